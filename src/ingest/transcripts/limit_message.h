#pragma once
// Limit-hit messages Claude Code writes into transcripts as synthetic API-error rows
// (research telemetry.md 5.6): "You've hit your session limit · resets 3pm
// (America/Los_Angeles)", "… weekly limit · resets Nov 24, 5pm (Europe/Berlin)", "Opus limit",
// "Sonnet limit"; older CLIs wrote "Claude AI usage limit reached|<unix seconds>".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"
#include "core/types.h"

namespace ccgauge::ingest {

struct LimitHit {
  std::string window;  // "five_hour", "seven_day", "seven_day_opus", "seven_day_sonnet"
  std::optional<std::int64_t> resets_at_epoch_s;
};

// Finds a limit-hit message in `text` (a raw transcript line is fine: only plain ASCII markers
// are looked for). `at` is when the message was written: a reset given as a clock time is the
// first such time after it, in the zone the message names, else in `zone`. None when the text
// holds no limit message.
std::optional<LimitHit> parse_limit_message(std::string_view text, Instant at,
                                            const TimeZone& zone);

}  // namespace ccgauge::ingest

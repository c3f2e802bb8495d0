#pragma once
// A harness event: what a script or program that drives Claude Code (a shell loop calling
// `claude -p` per task, an API wrapper) reports about its runs, through `ccgauge emit` or the
// daemon's `POST /api/v1/harness`:
//
//   {"source": "nightly.sh", "event": "end", "task_id": "T-17", "label": "refactor",
//    "project": "/src/app", "session_id": "…", "duration_ms": 81234, "success": true,
//    "error": null, "timestamp": "2026-03-02T12:00:00Z", "event_id": "…", "host": "…",
//    "user": "…"}
//
// Only `event` is required. `start` and `end` events with the same task_id pair up into a run
// (analytics/harness.h). `event_id`, when given, makes delivery idempotent: an event sent twice
// with the same id (a retry after a timeout, the daemon and a fallback both recording it) is
// kept once.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace ccgauge::ingest {

// Limits on the text fields, in bytes. Longer identifiers are an error; a longer error text is
// cut (at a UTF-8 boundary).
inline constexpr std::size_t kMaxHarnessIdBytes = 512;
inline constexpr std::size_t kMaxHarnessErrorBytes = 1000;
inline constexpr std::size_t kMaxHarnessExtraFields = 32;

struct HarnessEvent {
  std::string event;  // "start", "end", or any name the harness uses
  std::string source;  // the harness: a script name, "api-wrapper", ...
  std::string task_id;
  std::string label;
  std::string project;
  std::string session_id;  // the Claude Code session the run started, when the harness knows it
  std::optional<std::int64_t> duration_ms;
  std::optional<bool> success;
  std::string error;
  std::optional<Instant> timestamp;  // when the event happened; unset: when it was received
  std::string event_id;              // idempotency key (see above)
  std::string host;                  // the machine the harness ran on
  std::string user;
  // Other top-level fields whose values are numbers, booleans or strings (cut to
  // kMaxHarnessErrorBytes), kept as (key, compact JSON value), at most kMaxHarnessExtraFields.
  std::vector<std::pair<std::string, std::string>> extra;
};

// Parses and validates one harness event. Errors (kInvalidInput) name the field and say what is
// wrong, fit for an HTTP 400 body: not JSON, not an object, `event` missing or empty, a field of
// the wrong type (`success` must be a boolean, `duration_ms` a non-negative number,
// `timestamp` ISO 8601 text or epoch seconds/milliseconds), an identifier longer than
// kMaxHarnessIdBytes. null counts as absent.
Result<HarnessEvent> parse_harness_event(std::string_view json);

// The event as compact JSON in the shape parse_harness_event reads (absent fields left out).
std::string harness_event_json(const HarnessEvent& event);

}  // namespace ccgauge::ingest

#pragma once
// Parses one transcript line into a UsageRecord. Reads only the fields it needs and tolerates
// what ccusage does not (research: ccusage.md 7.4): spaces around `:`, nulls anywhere, any
// fraction of a second, `±HH:MM` offsets, numbers written as floats or strings.
//
// A LineParser owns a simdjson parser and its buffers: one per thread.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/types.h"

namespace ccgauge::ingest {

// Bytes that must be readable after a line passed to LineParser::parse (their value is
// irrelevant): simdjson reads ahead in blocks.
inline constexpr std::size_t kLinePadding = 64;

// The cheap byte check run before any JSON parse: a line that cannot carry usage has no
// `"usage"` key.
bool may_carry_usage(std::string_view line);

// The first `"usage"` in [begin, end), or nullptr. SIMD; several times faster than memmem.
const char* find_usage_key(const char* begin, const char* end);

enum class LineKind {
  kNoUsage,    // valid for us but carries no usage (a user line mentioning "usage", ...)
  kUsage,      // `record` holds one request
  kSynthetic,  // Claude Code's own `<synthetic>` message: no usage; may carry a limit reset
  kMalformed,  // `error` says why
};

struct ParsedLine {
  LineKind kind = LineKind::kNoUsage;
  UsageRecord record;
  std::string cwd;                                  // the line's `cwd`, empty when absent
  std::string error;                                // for kMalformed
  // kSynthetic limit-hit messages (limit_message.h): the window and when it resets.
  std::optional<std::int64_t> limit_reset_epoch_s;
  std::string limit_window;
};

class LineParser {
 public:
  LineParser();
  ~LineParser();
  LineParser(const LineParser&) = delete;
  LineParser& operator=(const LineParser&) = delete;

  // `line` excludes the newline and must be followed by kLinePadding readable bytes. `out` is
  // overwritten (its strings keep their capacity, so reusing one ParsedLine avoids
  // allocations).
  void parse(std::string_view line, ParsedLine& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccgauge::ingest

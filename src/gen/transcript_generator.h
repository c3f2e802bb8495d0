#pragma once
// A deterministic generator of realistic Claude Code transcript trees, for benchmarks, tests and
// `ccgauge demo`. It writes what Claude Code 1.x/2.x writes under a config directory:
//
//   <out>/projects/<encoded-cwd>/<session-uuid>.jsonl
//   <out>/projects/<encoded-cwd>/<session-uuid>/subagents/agent-<id>.jsonl (+ .meta.json)
//
// with the shapes that make usage accounting hard: one response spread over 1-3 content-block
// lines that repeat its usage (some with a smaller streaming snapshot first), subagent files,
// agent_progress lines that nest a subagent's message, resumed sessions that replay an earlier
// session's lines under a new sessionId, responses without requestId, `<synthetic>` API-error
// lines, fast mode, 5m/1h cache writes, long-context requests, web search counts and torn
// (malformed) lines. File sizes follow the quantiles of real histories.
//
// While writing, it adds up what a correct tool must report (TrueTotals) under the ledger's
// dedupe rule (DESIGN.md, "The ledger"): key = message.id + requestId, or message.id scoped by
// sessionId when requestId is missing; among lines sharing a key the largest output_tokens wins;
// `<synthetic>` lines carry no usage; a progress line's nested usage counts under its own key;
// malformed lines are counted, not totalled. Totals are built from what was generated, never by
// reading the files back. Every response's lines fall on one UTC day, so the per-day totals do
// not depend on which of a key's lines wins.
//
// Determinism: the same options give a byte-identical tree on every machine. Randomness comes
// from a seeded xoshiro256** with our own range helpers; no std:: distribution or libm function
// decides any output byte.
//
// Memory stays small: lines are streamed to disk through buffered writes and only a per-file plan
// (tens of bytes per file) is kept. Single-threaded; one call owns the tree it writes.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "core/types.h"

namespace ccgauge::gen {

struct GeneratorOptions {
  // The config directory to fill; transcripts go under <out_dir>/projects/. It is created if
  // missing; a non-empty <out_dir>/projects/ is refused (the generator never deletes anything).
  std::string out_dir;
  // Total bytes of .jsonl to write, at least 64 KiB. From a few MiB up the tree lands within a
  // fraction of a percent of it; tiny trees overshoot by up to one turn of conversation.
  std::uint64_t target_bytes = 200ull << 20;
  std::uint64_t seed = 1;
  // Sessions start within the `days` UTC calendar days that end with `end_date` (inclusive).
  int days = 30;
  // YYYY-MM-DD or YYYYMMDD. Empty means today (UTC): convenient for a demo, but then the tree
  // depends on the day it was generated.
  std::string end_date;
  // Only data on which ccusage v20 and the ledger's rule agree: every usage line has a requestId,
  // no request's input + cache tokens exceed 200,000, no web search/fetch counts, no malformed
  // lines. (`<synthetic>` lines stay: they carry zero tokens either way.)
  bool ccusage_compatible = false;
};

// Totals of one model (and speed) on one day.
struct ModelTotals {
  std::string model;
  Speed speed = Speed::kStandard;
  TokenCounts tokens;
  std::int64_t requests = 0;
};

struct DayTotals {
  DateKey date = 0;  // UTC calendar day
  TokenCounts tokens;
  std::int64_t requests = 0;        // unique dedupe keys with usage (not `<synthetic>`)
  std::vector<ModelTotals> models;  // sorted by model, then speed
};

// What the generator wrote, for the summary line. Line counts include replayed lines.
struct GeneratorStats {
  std::uint64_t bytes = 0;  // .jsonl bytes
  std::uint64_t files = 0;  // .jsonl files
  std::uint64_t session_files = 0;
  std::uint64_t subagent_files = 0;
  std::uint64_t sidecar_files = 0;  // agent-<id>.meta.json (not counted in bytes or files)
  std::uint64_t projects = 0;
  std::uint64_t resumed_sessions = 0;
  std::uint64_t lines = 0;
  std::uint64_t usage_lines = 0;           // well-formed lines carrying message.usage, incl. nested
  std::uint64_t progress_usage_lines = 0;  // agent_progress lines nesting a message with usage
  std::uint64_t requestless_lines = 0;     // usage lines without requestId
  std::uint64_t synthetic_lines = 0;       // model "<synthetic>" API-error lines
  std::uint64_t replayed_lines = 0;        // lines copied into resumed sessions
  std::uint64_t malformed_lines = 0;
  std::uint64_t long_context_requests = 0;  // input + cache > 200,000
  std::uint64_t fast_requests = 0;
  std::uint64_t web_search_requests = 0;
};

struct TrueTotals {
  std::vector<DayTotals> days;  // ascending
  TokenCounts overall;
  std::int64_t requests = 0;  // = unique keys with usage
  std::int64_t malformed_lines = 0;
  GeneratorStats stats;
};

// Writes the tree. Fails on a bad option (kInvalidInput) or an I/O error (kIo).
Result<TrueTotals> generate(const GeneratorOptions& options);

// Appends about `bytes` of new, ccusage-compatible lines (new requests, continuing the
// conversation and its clock) to 1-3 of the most recently written main session files of an
// existing tree, as a live Claude Code session does. Deterministic given the tree and the seed.
struct AppendOptions {
  std::string tree_dir;  // the config directory (holds projects/)
  std::uint64_t bytes = 1ull << 20;
  std::uint64_t seed = 1;
};

struct AppendedFile {
  std::string path;
  std::uint64_t size_before = 0;  // truncate back to this to undo the append
};

struct AppendResult {
  TrueTotals totals;  // of the appended lines alone
  std::vector<AppendedFile> files;
};

Result<AppendResult> append(const AppendOptions& options);

// Serializes totals as pretty JSON: {"generator":{...},"stats":{...},"daily":[...],"totals":{...}}
// with ccusage's key names (inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens,
// totalTokens) plus cacheCreation5mTokens, cacheCreation1hTokens, webSearchRequests,
// webFetchRequests, requests and per-model rows. `options` may be null (then no "generator").
std::string totals_to_json(const TrueTotals& totals, const GeneratorOptions* options);
Status write_totals_json(const TrueTotals& totals, const GeneratorOptions* options,
                         const std::string& path);

// Claude Code's project directory name: every character that is not an ASCII letter or digit
// becomes '-' (per UTF-16 code unit); names over 200 characters are cut and get a hash suffix.
std::string encode_project_dir(std::string_view cwd);

// Parses a byte size: "1GiB", "200MiB", "64KiB", "1G", "1.5GB", "1048576". Binary units for
// K/M/G/KiB/MiB/GiB, decimal for KB/MB/GB.
Result<std::uint64_t> parse_size(std::string_view text);

}  // namespace ccgauge::gen

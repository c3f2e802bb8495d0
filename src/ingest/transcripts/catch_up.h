#pragma once
// Catch-up: brings the ledger up to date with the transcript files. Reads only the bytes past
// each file's cursor; a partial last line waits for its newline; a truncated, replaced or
// rotated file is re-read from the start and deduped by key, so nothing is lost or counted
// twice. Files are parsed on worker threads; the calling thread commits batches, each batch's
// records together with the cursors that cover them.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "ingest/transcripts/discovery.h"
#include "ledger/ledger.h"

namespace ccgauge::ingest {

struct CatchUpProgress {
  std::int64_t files_done = 0;
  std::int64_t files_total = 0;
  std::int64_t bytes_done = 0;
  std::int64_t bytes_total = 0;
};

struct CatchUpOptions {
  std::vector<std::string> config_dirs;
  // When set, read only this session transcript and its subagent files, not the config dirs
  // (the status line's fast path).
  std::string only_session_file;
  // When not empty, read only these transcript files (the daemon's changed files).
  std::vector<std::string> only_files;
  int threads = 0;           // 0: one per core
  // Called on the committing thread after each batch is committed, with what it wrote (its
  // records collapsed by key: one per request). The daemon publishes these.
  std::function<void(const ledger::IngestBatch&)> on_commit;
  // Called on the committing thread now and then while work remains.
  std::function<void(const CatchUpProgress&)> on_progress;
  // false: a bulk load (a first catch-up into an empty ledger) is left for the caller to end,
  // with Ledger::end_bulk_load or, once it closed the ledger, ledger::finish_in_background. A
  // one-shot report does the latter: its indexes and the final checkpoint (a fifth of a cold
  // run) are built after it has printed.
  bool end_bulk_load = true;
};

struct CatchUpStats {
  std::int64_t files_seen = 0;
  std::int64_t files_read = 0;   // files that had new bytes
  std::int64_t files_reset = 0;  // truncated or replaced files read again from the start
  std::int64_t bytes_read = 0;
  std::int64_t lines_read = 0;
  std::int64_t usage_lines = 0;
  std::int64_t malformed_lines = 0;
  std::vector<ledger::MalformedLine> malformed;  // this run's, up to 1,000
  std::vector<DiscoveryProblem> problems;        // unreadable directories and files
};

Result<CatchUpStats> catch_up(ledger::Ledger& ledger, const CatchUpOptions& options);

}  // namespace ccgauge::ingest

#pragma once
// Keeps the ledger up to date with the transcript files while `ccgauge live` runs without a
// daemon: an inotify watcher (ingest/transcripts/watcher.h) says which files changed and only
// those are caught up, as the daemon's ingest thread does. Without inotify it falls back to a
// full catch-up on a short timer.
//
// Lives on the TUI's thread: the caller polls fd() and calls the on_* functions.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "ingest/transcripts/catch_up.h"
#include "ingest/transcripts/watcher.h"
#include "ledger/ledger.h"

namespace ccgauge::cli::live {

class TranscriptFollower {
 public:
  // `ledger` must outlive the follower; `config_dirs` as find_config_dirs returns them (may be
  // empty: then there is nothing to follow). The watcher is set up here, before the first
  // catch-up, so that nothing written in between is missed.
  TranscriptFollower(ledger::Ledger& ledger, std::vector<std::string> config_dirs, int threads);
  ~TranscriptFollower();

  // Reads every transcript's new bytes (the first time: the whole backlog).
  // Returns whether the ledger changed.
  Result<bool> catch_up_all(const std::function<void(const ingest::CatchUpProgress&)>& progress);

  // The watcher's descriptor, or -1 without one.
  int fd() const;

  // After fd() turned readable: catches up the files that changed. Returns whether the ledger
  // changed.
  Result<bool> on_readable();

  // When on_timer() wants to run next (rescans of what the watcher cannot see), if ever.
  std::optional<std::chrono::steady_clock::time_point> next_timer() const { return next_timer_; }
  Result<bool> on_timer();

  // "watching 12 directories", "polling (inotify unavailable: ...)", ...
  std::string status() const;

 private:
  Result<bool> catch_up_files(std::vector<std::string> files);
  Result<bool> run_catch_up(ingest::CatchUpOptions options);
  void schedule_timer();

  ledger::Ledger& ledger_;
  std::vector<std::string> config_dirs_;
  int threads_;
  std::unique_ptr<ingest::TranscriptWatcher> watcher_;
  std::string watcher_error_;
  std::optional<std::chrono::steady_clock::time_point> next_timer_;
};

}  // namespace ccgauge::cli::live

#include "cli/live/follower.h"

#include <filesystem>

namespace ccgauge::cli::live {
namespace {

// Without inotify everything is caught up this often (a new request shows within a second).
constexpr auto kPollInterval = std::chrono::milliseconds(800);
// Directories the watcher could not watch are rescanned this often (the daemon's rate).
constexpr auto kDegradedRescan = std::chrono::seconds(30);

}  // namespace

TranscriptFollower::TranscriptFollower(ledger::Ledger& ledger, std::vector<std::string> config_dirs,
                                       int threads)
    : ledger_(ledger), config_dirs_(std::move(config_dirs)), threads_(threads) {
  if (config_dirs_.empty()) {
    return;
  }
  auto watcher = ingest::TranscriptWatcher::open(
      std::vector<std::filesystem::path>(config_dirs_.begin(), config_dirs_.end()));
  if (watcher) {
    watcher_ = std::move(*watcher);
  } else {
    watcher_error_ = watcher.error().message;
  }
  schedule_timer();
}

TranscriptFollower::~TranscriptFollower() = default;

int TranscriptFollower::fd() const { return watcher_ ? watcher_->fd() : -1; }

void TranscriptFollower::schedule_timer() {
  auto now = std::chrono::steady_clock::now();
  if (!watcher_ && !config_dirs_.empty()) {
    next_timer_ = now + kPollInterval;
  } else if (watcher_ && watcher_->degraded()) {
    next_timer_ = now + kDegradedRescan;
  } else {
    next_timer_.reset();
  }
}

Result<bool> TranscriptFollower::run_catch_up(ingest::CatchUpOptions options) {
  if (config_dirs_.empty()) {
    return false;
  }
  bool changed = false;
  options.config_dirs = config_dirs_;
  options.on_commit = [&changed](const ledger::IngestBatch& batch) {
    for (const ledger::SourcedRecord& r : batch.records) {
      if (r.outcome == ledger::WriteOutcome::kInserted ||
          r.outcome == ledger::WriteOutcome::kReplaced) {
        changed = true;
      }
    }
    changed = changed || !batch.limit_samples.empty();
  };
  auto stats = ingest::catch_up(ledger_, options);
  if (!stats) {
    return tl::unexpected(stats.error());
  }
  return changed;
}

Result<bool> TranscriptFollower::catch_up_all(
    const std::function<void(const ingest::CatchUpProgress&)>& progress) {
  ingest::CatchUpOptions options;
  options.threads = threads_;
  options.on_progress = progress;
  return run_catch_up(std::move(options));
}

Result<bool> TranscriptFollower::catch_up_files(std::vector<std::string> files) {
  if (files.empty()) {
    return false;
  }
  ingest::CatchUpOptions options;
  options.only_files = std::move(files);
  options.threads = 1;
  return run_catch_up(std::move(options));
}

Result<bool> TranscriptFollower::on_readable() {
  if (!watcher_) {
    return false;
  }
  ingest::WatchBatch batch = watcher_->drain();
  if (batch.rescan_all) {
    return catch_up_all({});
  }
  std::vector<std::string> files;
  for (const auto& path : batch.changed) {
    files.push_back(path.string());
  }
  return catch_up_files(std::move(files));
}

Result<bool> TranscriptFollower::on_timer() {
  Result<bool> changed = false;
  if (!watcher_) {
    changed = catch_up_all({});
  } else if (watcher_->degraded()) {
    std::vector<std::string> files;
    for (const auto& path : watcher_->refresh().changed) {
      files.push_back(path.string());
    }
    changed = catch_up_files(std::move(files));
  }
  schedule_timer();
  return changed;
}

std::string TranscriptFollower::status() const {
  if (config_dirs_.empty()) {
    return "no Claude Code data found";
  }
  if (!watcher_) {
    return "polling transcripts (" + watcher_error_ + ")";
  }
  return watcher_->degraded() ? "watching transcripts, degraded" : "watching transcripts";
}

}  // namespace ccgauge::cli::live

// `ccgauge serve`: the daemon's core. The ingest thread owns the writing ledger connection and
// the inotify watcher: it catches up what changed, publishes each committed request on the live
// hub, and recomputes the live state (limits, today, active sessions). The server (server/)
// answers HTTP and WebSocket on its own thread from that state and a read connection.

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <variant>
#include <thread>

#include "cli/daemon.h"
#include "cli/otlp_receiver.h"
#include "cli/otlp_sink.h"
#include "cli/render.h"
#include "cli/serve_statusline.h"
#include "cli/statusline.h"
#include "core/json_writer.h"
#include "ingest/otlp/cumulative_to_delta.h"
#include "ingest/transcripts/catch_up.h"
#include "ledger/events.h"
#include "ingest/transcripts/discovery.h"
#include "ingest/transcripts/watcher.h"
#include "ledger/limits_reader.h"
#include "ledger/sqlite.h"
#include "pricing/price_table.h"
#include "server/http_server.h"

namespace ccgauge::cli {

DaemonContext::DaemonContext(pricing::PriceTable prices, TimeZone zone, analytics::PlanLimits plan,
                             std::string ledger_path, std::vector<std::string> config_dirs)
    : prices_(std::move(prices)),
      zone_(std::move(zone)),
      plan_(std::move(plan)),
      ledger_path_(std::move(ledger_path)),
      config_dirs_(std::move(config_dirs)),
      started_at_(now_instant()),
      state_(std::make_shared<LiveState>()),
      spool_dir_(ledger::default_spool_dir()) {}

std::shared_ptr<const LiveState> DaemonContext::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

void DaemonContext::set_state(std::shared_ptr<const LiveState> state) {
  std::lock_guard<std::mutex> lock(mutex_);
  state_ = std::move(state);
}

IngestHealth DaemonContext::health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return health_;
}

void DaemonContext::set_health(IngestHealth health) {
  std::lock_guard<std::mutex> lock(mutex_);
  health_ = std::move(health);
}

void DaemonContext::record_event(const server::LiveEvent& event) {
  auto recorded = std::make_shared<RecordedEvent>();
  recorded->recorded_at = now_instant();
  recorded->event = event;
  std::lock_guard<std::mutex> lock(events_mutex_);
  recorded->seq = ++event_seq_;
  events_.push_back(std::move(recorded));
  if (events_.size() > kRecentEventCapacity) {
    events_.pop_front();
  }
}

std::vector<std::shared_ptr<const RecordedEvent>> DaemonContext::recent_events() const {
  std::lock_guard<std::mutex> lock(events_mutex_);
  return {events_.begin(), events_.end()};
}

Result<ledger::Ledger*> DaemonContext::reader() {
  if (!reader_) {
    auto opened = ledger::Ledger::open_reader(ledger_path_, prices_);
    if (!opened) {
      return tl::unexpected(opened.error());
    }
    reader_.emplace(std::move(*opened));
  }
  return &*reader_;
}

void DaemonContext::wake_ingest() const {
  if (wake_fd_ >= 0) {
    std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
}

void write_session_activity(JsonWriter& w, const ActiveSession& s, Instant now) {
  // A session without hooks whose last request is older than this is "idle".
  constexpr auto kIdleAfter = std::chrono::minutes(5);
  const analytics::SessionActivity& h = s.hooks;
  w.key("status").value(!h.status.empty()      ? std::string_view(h.status)
                        : now - s.last < kIdleAfter ? "active"
                                                    : "idle");
  w.key("activity");
  h.activity.empty() ? w.null() : w.value(h.activity);
  w.key("tool");
  h.tool.empty() ? w.null() : w.value(h.tool);
  w.key("toolCalls").value(h.tool_calls);
  w.key("prompts").value(h.prompts);
  w.key("hooks").value(!h.status.empty());
}

namespace {

using std::chrono::milliseconds;

constexpr auto kActiveSessionWindow = std::chrono::minutes(30);
// Without file events the state is still recomputed this often (windows reset, sessions go
// idle, rates decay).
constexpr auto kStateTick = std::chrono::seconds(15);
// Directories the watcher could not watch are rescanned this often.
constexpr auto kDegradedRescan = std::chrono::seconds(30);
// After new usage (a transcript catch-up, OTLP commits, a status line call) the state is
// recomputed at once, then at most this often while more comes (exports can come hundreds of
// times a second, and a status line call every few hundred milliseconds per window), and at
// most a tenth of the time: the limits read weeks of usage. The requests themselves are
// published as they are committed.
constexpr auto kUsageRecompute = std::chrono::milliseconds(500);
constexpr int kUsageRecomputeShare = 10;
// A refused OTLP commit is tried again this often.
constexpr auto kOtlpRetry = std::chrono::milliseconds(200);
// The spool is drained, and events written by other processes (`ccgauge hook`, `emit`) are
// looked for, this often; a POST to the daemon wakes the ingest thread at once.
constexpr auto kEventsPoll = std::chrono::seconds(1);
// A spool append is drained this long after it is seen.
constexpr auto kSpoolSettle = std::chrono::milliseconds(50);
// A transcript change is caught up this long after it is seen: Claude Code calls its status
// line right after it writes, and on two cores a catch-up at once would take the CPU from that
// command, whose job catches up the same transcript first.
constexpr auto kTranscriptSettle = std::chrono::milliseconds(25);
// How long a status line job may wait for the ingest thread (it may be in a catch-up) before
// the command is told to do the work itself.
constexpr auto kStatusLineWait = std::chrono::milliseconds(800);
// Metric series not seen for this long are forgotten (a cumulative one then restarts from a
// baseline).
constexpr auto kMetricSeriesIdle = std::chrono::hours(6);

// The JSON of a `request` event.
std::string request_event_json(const UsageRecord& r, Nanodollars cost, const std::string& source) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  w.key("type").value("request");
  w.key("timestamp").value(format_iso_ms(r.instant));
  w.key("messageId").value(r.message_id);
  w.key("requestId").value(r.request_id);
  w.key("sessionId").value(r.session_id);
  w.key("project").value(r.project);
  w.key("model").value(r.model);
  w.key("agent").value(r.agent == Agent::kSubagent ? "subagent" : "main");
  w.key("speed").value(r.speed == Speed::kFast ? "fast" : "standard");
  w.key("source").value(source);
  w.key("inputTokens").value(r.tokens.input);
  w.key("outputTokens").value(r.tokens.output);
  w.key("cacheCreationTokens").value(r.tokens.cache_creation());
  w.key("cacheReadTokens").value(r.tokens.cache_read);
  w.key("totalTokens").value(r.tokens.total());
  w.key("costUSD").value(static_cast<double>(cost) / 1e9);
  w.end_object();
  return w.take();
}

std::string session_event_json(const char* type, const ActiveSession& s) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  w.key("type").value(type);
  w.key("sessionId").value(s.session_id);
  w.key("project").value(s.project);
  w.key("model").value(s.model);
  w.key("firstActivity").value(format_iso_ms(s.first));
  w.key("lastActivity").value(format_iso_ms(s.last));
  w.key("requests").value(s.requests);
  w.key("costUSD").value(static_cast<double>(s.cost) / 1e9);
  write_session_activity(w, s, now_instant());
  w.end_object();
  return w.take();
}

// Copies the ingest connection's WAL into the database on a thread and connection of its own
// (PRAGMA wal_checkpoint(PASSIVE), which never blocks the writer), so that the ingest thread
// never waits for the disk: under an OTLP flood a checkpoint of 16 MiB took up to 0.2 s here,
// most of it in fdatasync, and the sink filled meanwhile. The writer starts the WAL over at its
// next commit once everything in it was copied.
class Checkpointer {
 public:
  // The WAL size (pages) past which request() is worth calling.
  static constexpr int kWalPages = 4096;

  explicit Checkpointer(std::string ledger_path) : path_(std::move(ledger_path)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Asks for a checkpoint; returns at once. Requests made while one runs make one more.
  void request() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      wanted_ = true;
    }
    wake_.notify_one();
  }

 private:
  void run() {
    ::pthread_setname_np(::pthread_self(), "ccg-checkpoint");
    lower_this_thread_priority();
    std::optional<ledger::Database> db;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return wanted_ || stopping_; });
      if (stopping_) {
        return;
      }
      wanted_ = false;
      lock.unlock();
      if (!db) {
        if (auto opened = ledger::Database::open(path_, ledger::Database::Mode::kReadWrite)) {
          db.emplace(std::move(*opened));
        }
      }
      if (db) {
        (void)db->exec("PRAGMA wal_checkpoint(PASSIVE)");
      }
      lock.lock();
    }
  }

  const std::string path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;    // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

// Everything the ingest thread does; it runs on one thread.
class Ingestor {
 public:
  // `sink` (null: no OTLP) must outlive the Ingestor.
  Ingestor(DaemonContext& ctx, ledger::Ledger ledger, int wake_fd, OtlpSink* sink)
      : ctx_(ctx),
        ledger_(std::move(ledger)),
        wake_fd_(wake_fd),
        sink_(sink),
        deltas_(ctx.started_at()) {}
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;
  ~Ingestor() {
    if (spool_watch_fd_ >= 0) {
      ::close(spool_watch_fd_);
    }
  }

  // The first catch-up, before the server starts: the state is complete when clients come.
  Status start() {
    auto watcher = ingest::TranscriptWatcher::open(
        std::vector<std::filesystem::path>(ctx_.config_dirs().begin(), ctx_.config_dirs().end()));
    if (watcher) {
      watcher_ = std::move(*watcher);
    } else {
      health_.last_error = "inotify unavailable: " + watcher.error().message +
                           "; every config dir is rescanned every 30 s";
      health_.degraded = true;
      fmt::print(stderr, "ccgauge serve: {}\n", health_.last_error);
    }
    if (auto s = catch_up({}); !s) {
      return s;
    }
    watch_spool();
    // Events already in the ledger are history, not news: only later ones are published.
    if (auto newest = ledger::newest_event_id(ledger_)) {
      events_seen_ = *newest;
    }
    take_events(/*publish=*/false);
    recompute(/*publish=*/false);
    // A long-lived single writer: keep 64 MiB of pages (the indexes an OTLP flood appends to)
    // instead of 16, and leave checkpoints to the Checkpointer, every 16 MiB of WAL rather than
    // every 1 MiB, so an OTLP flood does not copy its pages into the database at every commit.
    (void)ledger_.database().exec("PRAGMA cache_size=-65536");
    // (A ledger opened empty is still in bulk mode when there was nothing to catch up; leaving
    // it later would turn automatic checkpoints back on.)
    if (auto s = ledger_.end_bulk_load(); !s) {
      return s;
    }
    ledger_.defer_checkpoints();
    checkpointer_ = std::make_unique<Checkpointer>(ledger_.path());
    return {};
  }

  // A `ccgauge statusline` job (cli/statusline.h), done on the ingest thread, which owns the
  // ledger's writer; called from the status line server's thread. An error when the ingest
  // thread did not get to it within kStatusLineWait (the command then does the work itself).
  Result<std::string> request_statusline(StatusLineJob job) {
    auto pending = std::make_shared<StatusLineRequest>();
    pending->job = std::move(job);
    auto answer = pending->answer.get_future();
    {
      std::lock_guard<std::mutex> lock(statusline_mutex_);
      statusline_jobs_.push_back(pending);
    }
    ctx_.wake_ingest();
    if (answer.wait_for(kStatusLineWait) != std::future_status::ready) {
      return fail(Errc::kUnavailable, "the daemon is busy");
    }
    return answer.get();
  }

  void run(const std::atomic<bool>& stopping) {
    lower_this_thread_priority();  // the API's thread comes first (otlp_receiver.h)
    auto next_tick = std::chrono::steady_clock::now() + kStateTick;
    auto next_rescan = std::chrono::steady_clock::now() + kDegradedRescan;
    auto last_recompute = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration recompute_cost{};
    // When new usage wants the state recomputed; max(): none pending.
    constexpr auto kNone = std::chrono::steady_clock::time_point::max();
    auto usage_recompute = kNone;
    auto usage_changed = [&] {
      if (usage_recompute == kNone) {
        usage_recompute = last_recompute + std::max<std::chrono::steady_clock::duration>(
                                               kUsageRecompute, kUsageRecomputeShare * recompute_cost);
      }
    };
    auto next_events = std::chrono::steady_clock::now() + kEventsPoll;
    // Transcript changes seen and not yet caught up (kTranscriptSettle).
    std::set<std::string> changed_files;
    bool rescan_all = false;
    auto transcripts_due = kNone;
    while (!stopping) {
      pollfd fds[4] = {{wake_fd_, POLLIN, 0},
                       {watcher_ ? watcher_->fd() : -1, POLLIN, 0},
                       {sink_ ? sink_->fd() : -1, POLLIN, 0},
                       {spool_watch_fd_, POLLIN, 0}};
      auto now = std::chrono::steady_clock::now();
      auto wake_at = std::min({next_tick, usage_recompute, next_events, transcripts_due});
      if (otlp_retry_) {
        wake_at = std::min(wake_at, now + kOtlpRetry);
      }
      auto wait = std::chrono::duration_cast<milliseconds>(wake_at - now).count();
      ::poll(fds, 4, static_cast<int>(std::max<std::int64_t>(0, wait)));
      if (stopping) {
        break;
      }
      bool woken = (fds[0].revents & POLLIN) != 0;
      if (woken) {
        std::uint64_t count = 0;
        (void)!::read(wake_fd_, &count, sizeof(count));
        // First: a status line command is waiting for its answer.
        if (answer_statusline_jobs()) {
          usage_changed();
        }
      }
      if (sink_ && ((fds[2].revents & POLLIN) != 0 || otlp_retry_) && commit_otlp()) {
        usage_changed();
      }
      bool events_changed = false;  // hook or harness events came (they change no usage)
      if ((fds[3].revents & POLLIN) != 0 && spool_written()) {
        // Not at once: the hook that wrote is still exiting, and on two cores a drain now would
        // take the CPU from it; a burst of hooks is drained together.
        next_events = std::min(next_events, std::chrono::steady_clock::now() + kSpoolSettle);
      }
      if (woken || std::chrono::steady_clock::now() >= next_events) {
        next_events = std::chrono::steady_clock::now() + kEventsPoll;
        events_changed = take_events(/*publish=*/true);
      }
      if (watcher_ && (fds[1].revents & POLLIN) != 0) {
        ingest::WatchBatch batch = watcher_->drain();
        rescan_all = rescan_all || batch.rescan_all;
        for (const auto& p : batch.changed) {
          changed_files.insert(p.string());
        }
        if ((rescan_all || !changed_files.empty()) && transcripts_due == kNone) {
          transcripts_due = std::chrono::steady_clock::now() + kTranscriptSettle;
        }
      }
      if (std::chrono::steady_clock::now() >= transcripts_due) {
        transcripts_due = kNone;
        std::vector<std::string> files(changed_files.begin(), changed_files.end());
        changed_files.clear();
        if (std::exchange(rescan_all, false) ? catch_up({}) : catch_up(std::move(files))) {
          usage_changed();
        }
      }
      now = std::chrono::steady_clock::now();
      bool degraded = !watcher_ || watcher_->degraded();
      if (degraded && now >= next_rescan) {
        next_rescan = now + kDegradedRescan;
        if (watcher_) {
          ingest::WatchBatch batch = watcher_->refresh();
          std::vector<std::string> files;
          for (const auto& p : batch.changed) {
            files.push_back(p.string());
          }
          if (!files.empty() && catch_up(std::move(files))) {
            usage_changed();
          }
        } else if (catch_up({})) {
          usage_changed();
        }
      }
      now = std::chrono::steady_clock::now();
      if (events_changed || now >= next_tick || now >= usage_recompute) {
        if (now >= next_tick) {
          deltas_.forget_idle(now_instant() - kMetricSeriesIdle);
        }
        // The limits change with usage and time: kept as they are when only hook events came
        // and no usage waits for its recompute.
        bool keep_limits = now < next_tick && usage_recompute == kNone;
        next_tick = now + kStateTick;
        usage_recompute = kNone;
        last_recompute = now;
        recompute(/*publish=*/true, keep_limits);
        recompute_cost = std::chrono::steady_clock::now() - now;
      }
    }
    if (sink_) {
      commit_otlp();  // what the receivers accepted before they stopped
    }
  }

 private:
  // Hands a checkpoint to the Checkpointer when the WAL has grown past its threshold.
  void checkpoint_if_due() {
    if (checkpointer_ && ledger_.wal_pages() >= Checkpointer::kWalPages) {
      checkpointer_->request();
    }
  }

  // Answers the queued status line jobs; whether there were any (they record and catch up).
  bool answer_statusline_jobs() {
    std::deque<std::shared_ptr<StatusLineRequest>> jobs;
    {
      std::lock_guard<std::mutex> lock(statusline_mutex_);
      jobs.swap(statusline_jobs_);
    }
    for (const auto& pending : jobs) {
      pending->answer.set_value(answer_statusline(
          ledger_, pending->job,
          [this](const std::string& transcript) { (void)catch_up({transcript}); }));
    }
    return !jobs.empty();
  }

  // Catches up the given files (all when empty) and publishes each request it added or changed.
  Status catch_up(std::vector<std::string> files) {
    ingest::CatchUpOptions options;
    options.config_dirs = ctx_.config_dirs();
    options.only_files = std::move(files);
    options.threads = options.only_files.empty() ? 0 : 1;
    options.on_commit = [this](const ledger::IngestBatch& batch) { publish(batch); };
    if (options.only_files.empty() && options.config_dirs.empty()) {
      return {};
    }
    auto stats = ingest::catch_up(ledger_, options);
    checkpoint_if_due();
    ++health_.catch_ups;
    if (!stats) {
      health_.last_error = stats.error().message;
      fmt::print(stderr, "ccgauge serve: catch-up failed: {}\n", stats.error().message);
      return tl::unexpected(stats.error());
    }
    health_.malformed_lines += stats->malformed_lines;
    for (const auto& problem : stats->problems) {
      fmt::print(stderr, "ccgauge serve: cannot read {}: {}\n", problem.path, problem.reason);
    }
    return {};
  }

  // Claims this ledger's spool (ledger::SpoolClaim), so `ccgauge hook` and `emit` append to it
  // instead of opening the ledger, and watches it: an append wakes the ingest thread at once.
  // Without either the spool is still drained every kEventsPoll.
  void watch_spool() {
    auto claim = ledger::SpoolClaim::acquire(ctx_.spool_dir(), ctx_.ledger_path());
    if (!claim) {
      fmt::print(stderr, "ccgauge serve: {}; hooks write the ledger themselves\n",
                 claim.error().message);
      return;
    }
    spool_claim_.emplace(std::move(*claim));
    spool_watch_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (spool_watch_fd_ < 0 ||
        ::inotify_add_watch(spool_watch_fd_, ctx_.spool_dir().c_str(),
                            IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
      fmt::print(stderr, "ccgauge serve: cannot watch the spool {}: {}; draining it every {} s\n",
                 ctx_.spool_dir(), std::strerror(errno), kEventsPoll.count());
    }
  }

  // Reads the spool watch's notifications; whether one was a spool file written (not the
  // drain's own renames of claimed files).
  bool spool_written() {
    alignas(inotify_event) char buffer[4096];
    bool written = false;
    for (;;) {
      ssize_t n = ::read(spool_watch_fd_, buffer, sizeof(buffer));
      if (n <= 0) {
        return written;
      }
      for (ssize_t at = 0; at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        std::string_view name = event->len > 0 ? std::string_view(event->name) : "";
        written = written || (name.ends_with(".jsonl") &&
                              name.find(".claimed-") == std::string_view::npos);
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
  }

  // Moves spooled events into the ledger, then publishes the hook and harness events that
  // reached it since the last look: through the spool (POST /api/v1/harness, or a hook that
  // found the ledger busy) or written by `ccgauge hook` / `emit` themselves. Returns whether an
  // event came: the state is then recomputed and gets a new version (live sessions change, and
  // the API's cached tools and harness reports are retired).
  bool take_events(bool publish) {
    auto drained = ledger::drain_spool(ledger_, ctx_.spool_dir());
    if (!drained) {
      health_.last_error = "spool: " + drained.error().message;
      fmt::print(stderr, "ccgauge serve: cannot drain the spool: {}\n", drained.error().message);
    } else {
      for (const std::string& problem : drained->problems) {
        fmt::print(stderr, "ccgauge serve: spool: {}\n", problem);
      }
    }
    ledger::EventQuery q;
    q.after_id = events_seen_;
    q.exclude_source = std::string(ledger::kOtlpSource);  // OTLP events are published as they come
    bool any = false;
    auto status = ledger::for_each_event(ledger_, q, [&](const ledger::EventRow& row) {
      events_seen_ = std::max(events_seen_, row.id);
      any = true;
      if (publish) {
        std::string type = row.source == "harness" ? "harness" : "hook";
        emit(server::LiveEvent{type, event_message(type, row), row.project, row.session, "", 0});
      }
    });
    if (!status) {
      health_.last_error = status.error().message;
    }
    return any;
  }

  // A hook or harness event as the WebSocket sends it: {"type": "hook"|"harness", "event": the
  // events row (ledger/events.h's JSON)}.
  static std::string event_message(std::string_view type, const ledger::EventRow& row) {
    JsonWriter w(JsonWriter::Style::kCompact);
    w.begin_object();
    w.key("type").value(type);
    w.key("timestamp").value(format_iso_ms(row.instant));
    w.key("event").raw(ledger::event_json(row));
    w.end_object();
    return w.take();
  }

  // Commits what the OTLP receivers handed over, in one transaction; publishes new requests.
  // Returns whether anything was committed.
  bool commit_otlp() {
    // A batch the ledger refused (another process held its write lock longer than the busy
    // timeout) is committed first; until it is, nothing more is taken, so the sink fills and
    // the receivers answer "try later" instead of anything being dropped.
    if (otlp_retry_) {
      if (auto s = ledger_.commit(*otlp_retry_); !s) {
        health_.last_error = s.error().message;
        return false;
      }
      checkpoint_if_due();
      publish(*otlp_retry_);
      otlp_retry_.reset();
    }
    std::vector<OtlpBatch> pending = sink_->take();
    if (pending.empty()) {
      return false;
    }
    ledger::IngestBatch batch;
    for (OtlpBatch& b : pending) {
      for (std::size_t i = 0; i < b.usage.size(); ++i) {
        ledger::SourcedRecord& r = batch.records.emplace_back();
        r.record = std::move(b.usage[i]);
        r.source = std::string(ledger::kOtlpSource);
        r.origin = i < b.usage_origins.size() ? std::move(b.usage_origins[i]) : nullptr;
      }
      std::move(b.events.begin(), b.events.end(), std::back_inserter(batch.events));
      std::move(b.limits.begin(), b.limits.end(), std::back_inserter(batch.limit_samples));
      for (MetricPoint& point : b.points) {
        std::optional<MetricPoint> delta = deltas_.to_delta(std::move(point));
        if (delta && (delta->value != 0 || delta->kind == MetricKind::kGauge)) {
          batch.metric_points.push_back(std::move(*delta));
        }
      }
    }
    if (auto s = ledger_.commit(batch); !s) {
      health_.last_error = s.error().message;
      fmt::print(stderr,
                 "ccgauge serve: OTLP commit of {} requests and {} events failed, retrying: {}\n",
                 batch.records.size(), batch.events.size(), s.error().message);
      otlp_retry_ = std::move(batch);
      return false;
    }
    checkpoint_if_due();
    publish(batch);
    return true;
  }

  void publish(const ledger::IngestBatch& batch) {
    auto committed = [](const ledger::SourcedRecord& sr) {
      return sr.outcome == ledger::WriteOutcome::kInserted ||
             sr.outcome == ledger::WriteOutcome::kReplaced;
    };
    // Without WebSocket clients only the events /api/v1/events keeps are formatted: the last
    // kRecentEventCapacity of the batch (an OTLP flood commits tens of thousands of requests a
    // second, and formatting each would cost more than storing it).
    std::size_t skip = 0;
    if (ctx_.hub().stats().clients == 0) {
      auto n = static_cast<std::size_t>(
          std::count_if(batch.records.begin(), batch.records.end(), committed));
      skip = n > kRecentEventCapacity ? n - kRecentEventCapacity : 0;
    }
    for (const ledger::SourcedRecord& sr : batch.records) {
      if (!committed(sr)) {
        continue;
      }
      ++health_.requests_committed;
      const UsageRecord& r = sr.record;
      if (skip > 0) {
        --skip;
        known_sessions_.insert(r.session_id);
        continue;
      }
      Nanodollars cost = r.reported_cost.value_or(0);
      if (!r.reported_cost) {
        if (const pricing::ModelPrice* price = ctx_.prices().find(r.model)) {
          cost = pricing::cost_of(*price, r.tokens, r.speed);
        }
      }
      if (!known_sessions_.contains(r.session_id)) {
        known_sessions_.insert(r.session_id);
        ActiveSession s;
        s.session_id = r.session_id;
        s.project = r.project;
        s.model = r.model;
        s.first = s.last = r.instant;
        server::LiveEvent start{"session_start", session_event_json("session_start", s),
                                r.project, r.session_id, r.model, 0};
        emit(start);
      }
      emit(server::LiveEvent{"request", request_event_json(r, cost, sr.source), r.project,
                             r.session_id, r.model, r.tokens.total()});
    }
  }

  // Recomputes the live state from the ledger; publishes limit changes and session ends.
  // keep_limits: only hook events came since the last recompute, so the limits are those it
  // computed (they read weeks of usage; a hook storm drains the spool many times a second).
  void recompute(bool publish_changes, bool keep_limits = false) {
    auto state = std::make_shared<LiveState>();
    Instant now = now_instant();
    state->computed_at = now;
    auto previous_state = ctx_.state();
    if (keep_limits && previous_state) {
      state->limits = previous_state->limits;
    } else {
      ledger::LimitsQuery lq;
      lq.now = now;
      lq.plan = ctx_.plan();
      if (auto limits = ledger::read_limits(ledger_, lq)) {
        state->limits = std::move(*limits);
      } else {
        health_.last_error = limits.error().message;
      }
    }
    // Today's totals: the whole quarter hours from the rollups, the rest from the requests, so
    // a recompute reads the requests of the last half hour, not of the whole day (a hook storm
    // recomputes many times a second). A day that starts off a quarter hour (historical local
    // mean times): every request of the day.
    DateKey today = ctx_.zone().local_date(now);
    Instant day_start = ctx_.zone().start_of_day(today);
    Instant end = now + std::chrono::minutes(1);
    Instant window_start = now - kActiveSessionWindow;
    Instant requests_from = day_start;  // today's rows before this are in the rollup totals
    if (ledger::Ledger::rollup_bucket_start(day_start) == day_start) {
      Instant whole_end = std::max(day_start, ledger::Ledger::rollup_bucket_start(end));
      if (auto totals = ledger_.rollup_totals(day_start, whole_end, analytics::CostMode::kAuto)) {
        state->today_tokens = totals->tokens;
        state->today_cost = totals->computed_cost;
        state->today_requests = totals->count;
        requests_from = whole_end;
      } else {
        health_.last_error = totals.error().message;
      }
    }
    // The last minute and the active sessions from the requests themselves.
    ledger::RequestQuery q;
    q.from = std::min(requests_from, window_start);
    q.to = end;
    std::map<std::string, ActiveSession> sessions;
    std::int64_t io_last_minute = 0;
    auto status = ledger_.for_each_request(q, [&](const analytics::RequestRow& row) {
      Nanodollars cost = analytics::cost_under(row, analytics::CostMode::kAuto);
      if (row.instant >= requests_from) {
        state->today_tokens += row.tokens;
        state->today_cost += cost;
        ++state->today_requests;
      }
      if (now - row.instant <= std::chrono::minutes(1) && row.instant <= now) {
        io_last_minute += row.tokens.input + row.tokens.output;
      }
      if (!state->last_request || row.instant > *state->last_request) {
        state->last_request = row.instant;
        state->last_model = row.model;
      }
      if (now - row.instant <= kActiveSessionWindow) {
        ActiveSession& s = sessions[row.session_id];
        if (s.requests == 0) {
          s.session_id = row.session_id;
          s.project = row.project;
          s.first = s.last = row.instant;
        }
        s.first = std::min(s.first, row.instant);
        if (row.instant >= s.last) {
          s.last = row.instant;
          s.model = row.model;
        }
        ++s.requests;
        s.cost += cost;
      }
    });
    if (!status) {
      health_.last_error = status.error().message;
    }
    // The newest request of the day when none came in the last half hour.
    if (Instant earliest = std::min(day_start, window_start);
        !state->last_request && *q.from > earliest) {
      if (auto newest = ledger_.newest_request(earliest, *q.from); newest && *newest) {
        state->last_request = (*newest)->first;
        state->last_model = std::move((*newest)->second);
      }
    }
    state->tpm_io_1m = static_cast<double>(io_last_minute);
    add_hook_activity(now, sessions);
    for (auto& [id, s] : sessions) {
      // A session its hooks said ended is gone, unless a request came after (a resume).
      bool ended = s.hooks.ended() && (s.requests == 0 || s.hooks.last >= s.last);
      if (ended) {
        ended_.emplace(id, std::move(s));
      } else {
        state->active_sessions.push_back(std::move(s));
      }
    }
    std::sort(state->active_sessions.begin(), state->active_sessions.end(),
              [](const ActiveSession& a, const ActiveSession& b) { return a.last > b.last; });

    const auto& previous = previous_state;
    state->seq = previous->seq + 1;
    if (watcher_) {
      health_.watcher = watcher_->status();
      bool degraded = watcher_->degraded();
      if (degraded != health_.degraded) {
        // Said once per change, in the log as in /api/v1/health.
        fmt::print(stderr, "ccgauge serve: {}\n", health_.watcher);
      }
      health_.degraded = degraded;
    }
    ctx_.set_health(health_);
    // The new state first: a client that reacts to an event reads the state it announces.
    ctx_.set_state(state);
    if (publish_changes) {
      publish_state_changes(*previous, *state);
    } else {
      for (const ActiveSession& s : state->active_sessions) {
        known_sessions_.insert(s.session_id);
      }
    }
    ended_.clear();
  }

  // Folds the hook events of the last kActiveSessionWindow into the sessions: their status and
  // activity, and sessions that have hooks but no request yet.
  void add_hook_activity(Instant now, std::map<std::string, ActiveSession>& sessions) {
    ledger::EventQuery q;
    q.from = now - kActiveSessionWindow;
    q.source = "hook";
    auto status = ledger::for_each_event(ledger_, q, [&](const ledger::EventRow& row) {
      if (row.session.empty()) {
        return;
      }
      ActiveSession& s = sessions[row.session];
      if (s.session_id.empty()) {
        s.session_id = row.session;
        s.first = s.last = row.instant;
      }
      if (s.project.empty()) {
        s.project = row.project;
      }
      s.first = std::min(s.first, row.instant);
      s.last = std::max(s.last, row.instant);
      analytics::HookSignal signal;
      signal.instant = row.instant;
      signal.name = row.name;
      signal.tool = row.tool;
      signal.notification_type = attribute_text(row.attributes, "notification_type");
      analytics::apply_hook_signal(s.hooks, signal);
    });
    if (!status) {
      health_.last_error = status.error().message;
    }
  }

  // The text of a top-level string member of an events row's attributes (our own compact JSON,
  // ledger/events.h), or "" when it has none.
  static std::string_view attribute_text(std::string_view attributes, std::string_view key) {
    std::string needle = fmt::format("\"{}\":\"", key);
    auto at = attributes.find(needle);
    if (at == std::string_view::npos) {
      return {};
    }
    auto begin = at + needle.size();
    auto end = attributes.find('"', begin);
    return end == std::string_view::npos ? std::string_view() : attributes.substr(begin, end - begin);
  }

  void publish_state_changes(const LiveState& before, const LiveState& after) {
    // Sessions that went idle.
    std::set<std::string> still;
    for (const ActiveSession& s : after.active_sessions) {
      still.insert(s.session_id);
    }
    for (const ActiveSession& s : before.active_sessions) {
      if (!still.contains(s.session_id)) {
        known_sessions_.erase(s.session_id);
        // Ended by its SessionEnd hook (status "ended"), or quiet for kActiveSessionWindow.
        auto it = ended_.find(s.session_id);
        const ActiveSession& last = it != ended_.end() ? it->second : s;
        emit(server::LiveEvent{"session_end", session_event_json("session_end", last), s.project,
                               s.session_id, s.model, 0});
      }
    }
    // Sessions that started (their hooks came before any request), and sessions whose hooks
    // changed what they do.
    std::map<std::string_view, const ActiveSession*> was;
    for (const ActiveSession& s : before.active_sessions) {
      was.emplace(s.session_id, &s);
    }
    for (const ActiveSession& s : after.active_sessions) {
      if (!known_sessions_.contains(s.session_id)) {
        known_sessions_.insert(s.session_id);
        emit(server::LiveEvent{"session_start", session_event_json("session_start", s),
                               s.project, s.session_id, s.model, 0});
        continue;
      }
      auto it = was.find(s.session_id);
      const analytics::SessionActivity* old = it != was.end() ? &it->second->hooks : nullptr;
      if (!s.hooks.status.empty() &&
          (old == nullptr || old->status != s.hooks.status || old->activity != s.hooks.activity ||
           old->tool != s.hooks.tool)) {
        emit(server::LiveEvent{"session_status", session_event_json("session_status", s),
                               s.project, s.session_id, s.model, 0});
      }
    }
    // Limits: when a window's percent (to 0.1), provenance or reset changed.
    auto key = [](const analytics::WindowState& w) {
      return fmt::format("{:.1f}|{}|{}", w.used_percent.value_or(-1),
                         analytics::provenance_name(w.used_provenance),
                         w.resets_at ? to_epoch_ms(*w.resets_at) : 0);
    };
    if (key(before.limits.five_hour) != key(after.limits.five_hour) ||
        key(before.limits.seven_day) != key(after.limits.seven_day)) {
      JsonWriter w(JsonWriter::Style::kCompact);
      w.begin_object();
      w.key("type").value("limit");
      for (const analytics::WindowState* win : {&after.limits.five_hour, &after.limits.seven_day}) {
        w.key(win->window).begin_object();
        w.key("usedPercent");
        win->used_percent ? w.value(*win->used_percent) : w.null();
        w.key("provenance").value(analytics::provenance_name(win->used_provenance));
        w.key("resetsAt");
        win->resets_at ? w.value(format_iso_ms(*win->resets_at)) : w.null();
        w.end_object();
      }
      w.end_object();
      emit(server::LiveEvent{"limit", w.take(), "", "", "", 0});
    }
    // Alerts: crossing 80 % and 100 % of a window.
    for (auto [b, a] : {std::pair{&before.limits.five_hour, &after.limits.five_hour},
                        std::pair{&before.limits.seven_day, &after.limits.seven_day}}) {
      for (double level : {80.0, 100.0}) {
        if (a->used_percent && *a->used_percent >= level &&
            (!b->used_percent || *b->used_percent < level)) {
          JsonWriter w(JsonWriter::Style::kCompact);
          w.begin_object();
          w.key("type").value("alert");
          w.key("window").value(a->window);
          w.key("level").value(level);
          w.key("usedPercent").value(*a->used_percent);
          w.key("provenance").value(analytics::provenance_name(a->used_provenance));
          w.key("message").value(fmt::format("{} window at {:.0f}%",
                                             a->window == "five_hour" ? "5-hour" : "7-day",
                                             *a->used_percent));
          w.end_object();
          emit(server::LiveEvent{"alert", w.take(), "", "", "", 0});
        }
      }
    }
  }

  // Publishes on the hub and remembers the event for /api/v1/events.
  void emit(const server::LiveEvent& event) {
    ctx_.record_event(event);
    ctx_.hub().publish(event);
  }

  DaemonContext& ctx_;
  ledger::Ledger ledger_;
  int wake_fd_;
  OtlpSink* sink_;                             // not owned; null without OTLP
  ingest::otlp::CumulativeToDelta deltas_;    // metric series state
  std::unique_ptr<ingest::TranscriptWatcher> watcher_;
  std::set<std::string> known_sessions_;
  std::optional<ledger::IngestBatch> otlp_retry_;  // refused by the ledger; committed first
  std::int64_t events_seen_ = 0;  // the newest event id published (or there at start)
  std::optional<ledger::SpoolClaim> spool_claim_;
  struct StatusLineRequest {
    StatusLineJob job;
    std::promise<Result<std::string>> answer;
  };
  std::mutex statusline_mutex_;
  std::deque<std::shared_ptr<StatusLineRequest>> statusline_jobs_;  // guarded by statusline_mutex_
  int spool_watch_fd_ = -1;  // inotify on the spool directory; -1 without
  // Sessions the last recompute found ended by their hooks, for their session_end event.
  std::map<std::string, ActiveSession> ended_;
  IngestHealth health_;
  // Set by start(); destroyed (its thread joined) with the Ingestor.
  std::unique_ptr<Checkpointer> checkpointer_;
};

// The snapshot a new WebSocket client receives first.
std::string snapshot_json(const DaemonContext& ctx) {
  auto state = ctx.state();
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  w.key("type").value("snapshot");
  w.key("seq").value(static_cast<std::int64_t>(state->seq));
  w.key("computedAt").value(format_iso_ms(state->computed_at));
  w.key("today").begin_object();
  w.key("totalTokens").value(state->today_tokens.total());
  w.key("costUSD").value(static_cast<double>(state->today_cost) / 1e9);
  w.key("requests").value(state->today_requests);
  w.end_object();
  w.key("limits").raw(render_limits_json(state->limits, false));
  w.key("activeSessions").begin_array();
  for (const ActiveSession& s : state->active_sessions) {
    w.raw(session_event_json("session", s));
  }
  w.end_array();
  w.end_object();
  return w.take();
}

struct OtlpReceivers {
  std::unique_ptr<OtlpGrpcReceiver> grpc;
  std::unique_ptr<OtlpHttpReceiver> http;
};

// Starts the OTLP receivers the options ask for and prints where they listen. A default
// address that cannot be bound is skipped with a warning; an explicit one is an error.
Result<OtlpReceivers> start_otlp(const ServeOptions& o, OtlpSink& sink) {
  OtlpReceiverOptions ro;
  ro.grpc_listen = o.otlp_grpc.value_or("127.0.0.1:4317");
  ro.http_listen = o.otlp_http.value_or("127.0.0.1:4318");
  ro.token = o.token;
  ro.max_body_bytes = o.otlp_max_body_bytes;
  ro.mapping.include_prompt_text = o.otlp_prompt_text;
  OtlpReceivers out;
  auto skip_or_fail = [](const Error& e, bool explicit_address) -> Status {
    if (explicit_address || e.code != Errc::kIo) {
      return tl::unexpected(e);
    }
    fmt::print(stderr, "ccgauge serve: warning: {}; that OTLP receiver is off\n", e.message);
    return {};
  };
  if (auto grpc = OtlpGrpcReceiver::start(ro, sink)) {
    out.grpc = std::move(*grpc);
    fmt::print("  otlp grpc on {}:{}\n", parse_listen(ro.grpc_listen)->first, out.grpc->port());
  } else if (auto s = skip_or_fail(grpc.error(), o.otlp_grpc.has_value()); !s) {
    return tl::unexpected(s.error());
  }
  if (auto http = OtlpHttpReceiver::start(ro, sink)) {
    out.http = std::move(*http);
    fmt::print("  otlp http on http://{}:{}\n", parse_listen(ro.http_listen)->first,
               out.http->port());
  } else if (auto s = skip_or_fail(http.error(), o.otlp_http.has_value()); !s) {
    return tl::unexpected(s.error());
  }
  return out;
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& listen,
                                                           std::string_view flag) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return fail(Errc::kInvalidInput,
                fmt::format("{} '{}' must be ADDRESS:PORT (e.g. 127.0.0.1:8321)", flag, listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    host = "127.0.0.1";
  }
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (end == listen.c_str() + colon + 1 || *end != '\0' || port < 0 || port > 65535) {
    return fail(Errc::kInvalidInput, fmt::format("{} '{}': bad port", flag, listen));
  }
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

int run_serve(const ServeOptions& o) {
  auto fail_with = [](std::string_view message) {
    fmt::print(stderr, "ccgauge serve: error: {}\n", message);
    return 1;
  };
  auto listen = parse_listen(o.listen);
  if (!listen) {
    return fail_with(listen.error().message);
  }
  auto zone = TimeZone::locate(o.timezone);
  if (!zone) {
    return fail_with(zone.error().message);
  }
  auto prices = load_price_table();
  if (!prices) {
    return fail_with(prices.error().message);
  }
  auto plan = load_plan(o.plan);
  if (!plan) {
    return fail_with(plan.error().message);
  }
  auto dirs = ingest::find_config_dirs(ingest::Environment::from_process());
  if (!dirs) {
    return fail_with(dirs.error().message);
  }
  std::string ledger_path = o.ledger_path.empty() ? ledger::Ledger::default_path() : o.ledger_path;
  DaemonContext ctx(std::move(*prices), std::move(*zone), std::move(*plan), ledger_path, *dirs);
  if (dirs->empty()) {
    fmt::print(stderr,
               "ccgauge serve: no Claude Code data found yet (looked in $XDG_CONFIG_HOME/claude "
               "and ~/.claude; set CLAUDE_CONFIG_DIR); serving the ledger as it is\n");
  }

  // SIGINT and SIGTERM are taken by sigwait() on this thread; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto writer = ledger::Ledger::open(ledger_path, ctx.prices());
  if (!writer) {
    return fail_with(writer.error().message);
  }
  int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ctx.set_wake_fd(wake_fd);
  std::unique_ptr<OtlpSink> sink;
  if (!o.no_otlp) {
    auto created = OtlpSink::create(o.otlp_max_pending);
    if (!created) {
      return fail_with(created.error().message);
    }
    sink = std::move(*created);
  }
  Ingestor ingestor(ctx, std::move(*writer), wake_fd, sink.get());
  fmt::print(stderr, "ccgauge serve: reading transcripts...\n");
  if (auto s = ingestor.start(); !s) {
    return fail_with(s.error().message);
  }

  ctx.hub().set_snapshot_provider([&ctx] { return snapshot_json(ctx); });
  server::Router router;
  add_api_routes(router, ctx);
  add_gauge_routes(router, ctx);
  server::ServerOptions so;
  so.address = listen->first;
  so.port = listen->second;
  so.token = o.token;
  so.log = [](std::string_view line) { fmt::print(stderr, "ccgauge serve: {}\n", line); };
  auto server = server::Server::start(so, std::move(router), ctx.hub());
  if (!server) {
    return fail_with(server.error().message);
  }
  std::string host = listen->first.find(':') != std::string::npos
                         ? "[" + listen->first + "]"
                         : listen->first;
  std::string base = fmt::format("http://{}:{}", host, (*server)->port());
  fmt::print("ccgauge serve: listening on {}\n", base);
  fmt::print("  API        {}/api/v1/summary  (OpenAPI: {}/api/v1/openapi.json)\n", base, base);
  fmt::print("  live       ws://{}:{}/api/v1/live\n", host, (*server)->port());
  fmt::print("  Prometheus {}/metrics\n", base);
  fmt::print("  gauge      {}/usage\n", base);
  OtlpReceivers otlp;
  if (sink) {
    auto started = start_otlp(o, *sink);
    if (!started) {
      (*server)->stop();
      return fail_with(started.error().message);
    }
    otlp = std::move(*started);
  }
  std::fflush(stdout);

  std::atomic<bool> stopping{false};
  std::thread ingest_thread([&] {
    ::pthread_setname_np(::pthread_self(), "ccg-ingest");
    ingestor.run(stopping);
  });
  // `ccgauge statusline` and `ccgauge hook` ask here while this daemon holds the spool claim (a
  // second daemon on the same ledger does not listen). A status line job is done on the ingest
  // thread; a hook is parsed here and spooled, as the command itself would (the spool is
  // claimed, so record_hook spools it).
  std::unique_ptr<StatusLineServer> statusline_server;
  if (ledger::spool_is_claimed(ctx.spool_dir(), ctx.ledger_path())) {
    auto started = StatusLineServer::start(
        ledger::statusline_socket_for(ctx.spool_dir(), ctx.ledger_path()),
        [&ingestor, &ctx](std::string bytes) -> Result<std::string> {
          auto job = decode_job(bytes);
          if (!job) {
            return tl::unexpected(job.error());
          }
          if (auto* hook = std::get_if<HookJob>(&*job)) {
            record_hook(ctx.ledger_path(), *hook);
            return std::string();
          }
          return ingestor.request_statusline(std::move(std::get<StatusLineJob>(*job)));
        });
    if (started) {
      statusline_server = std::move(*started);
    } else {
      fmt::print(stderr, "ccgauge serve: {}; status lines do their own work\n",
                 started.error().message);
    }
  }
  int sig = 0;
  sigwait(&signals, &sig);
  fmt::print(stderr, "ccgauge serve: {} received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  otlp = OtlpReceivers();  // no new exports; the ingest thread commits what was accepted
  statusline_server.reset();  // before the ingest thread that answers its jobs
  stopping = true;
  std::uint64_t one = 1;
  (void)!::write(wake_fd, &one, sizeof(one));
  ingest_thread.join();  // a catch-up in progress commits its batch first: nothing is lost
  (*server)->stop();
  ::close(wake_fd);
  return 0;
}

}  // namespace ccgauge::cli

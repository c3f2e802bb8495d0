#pragma once
// The ledger: one SQLite file (WAL) that keeps every deduped API request, the transcript
// cursors, malformed-line records and limit samples. It keeps history after Claude Code deletes
// old transcripts.
//
// Dedupe (one rule for every view): the key is message.id + requestId; without requestId,
// message.id scoped by session; without message.id, a hash of the record's content. When
// several records share a key, the one with the most output tokens wins, then a main-thread
// record over a sidechain copy; otherwise the stored one stays. Applying the same record twice
// changes nothing, which is what makes re-reading a file safe.
//
// Across sources (a request seen in a transcript and through OpenTelemetry counts once, in
// either order of arrival), the transcript wins, since it carries the message id and the
// project:
// - Join on the API request id when both have one. A transcript record takes over the OTLP row
//   with its request id (the row gets the transcript's key and numbers, and keeps the OTLP
//   row's host, user and origin); an OTLP record whose request id the ledger already has (from
//   either source) is kept out, and lends its host, user and origin to a transcript row that
//   has none.
// - When one side has no request id: join on session, model and token counts (input, output,
//   cache read, cache creation) within kJoinWindow of each other. One transcript row joins at
//   most one OTLP record this way.
// - OTLP records among themselves: the key is the request id ("otlp:<id>"), else the content
//   hash above, so an export sent twice counts once.
// A ledger without OTLP rows pays nothing for this: transcript records are only checked
// against OTLP rows once there are some.
//
// A Ledger is a connection: one per thread. Writes go through commit(), one transaction per
// batch, so a batch's requests and the cursors that say they were read land together or not at
// all.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <unordered_map>
#include <vector>

#include "analytics/reports.h"
#include "core/result.h"
#include "core/telemetry.h"
#include "core/types.h"
#include "ledger/sqlite.h"
#include "pricing/price_table.h"

namespace ccgauge::ledger {

// How far a transcript file has been read.
struct Cursor {
  std::string path;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;      // file size when last read
  std::int64_t mtime_ns = 0;  // file mtime when last read
  std::int64_t offset = 0;    // byte offset just past the last complete line consumed
  std::int64_t lines = 0;     // complete lines consumed (line number of the next line - 1)
  std::string project;        // project path learnt from the file's first `cwd`
};

struct MalformedLine {
  std::string path;
  std::int64_t line = 0;  // 1-based
  std::string reason;
};

using ::ccgauge::LimitSample;

// What Claude Code last told the status line about a session (kept per session, newest wins).
struct SessionStatus {
  std::string session_id;
  Instant instant{};
  std::string project;
  std::string model;
  std::optional<double> cost_usd;  // cost.total_cost_usd: cumulative, so the latest is the total
  std::optional<std::int64_t> context_tokens;
  std::optional<std::int64_t> context_size;
  std::optional<double> context_percent;
};

// What a commit did with a record.
enum class WriteOutcome : std::uint8_t {
  kPending,   // not committed yet
  kInserted,  // a request the ledger did not have
  kReplaced,  // won over the stored record of its key (more output tokens, or main thread)
  kKept,      // the stored record stays (a duplicate)
};

// The `source` of requests that came through OpenTelemetry (ingest/otlp).
inline constexpr std::string_view kOtlpSource = "otlp";

struct SourcedRecord {
  UsageRecord record;
  WriteOutcome outcome = WriteOutcome::kPending;  // set by Ledger::commit
  std::string source = "transcript";
  std::string key;            // dedupe_key(record); filled by collapse_duplicates()
  std::int64_t key_hash = 0;  // of `key`; filled with it
  // Who sent it (OTLP only; null for transcripts): stored as the row's host, user and origin.
  std::shared_ptr<const TelemetryOrigin> origin;
};

// Everything one commit writes.
struct IngestBatch {
  std::vector<SourcedRecord> records;
  std::vector<Cursor> cursors;
  std::vector<MalformedLine> malformed;
  std::vector<LimitSample> limit_samples;
  std::vector<SessionStatus> session_status;
  // OpenTelemetry events (into `events`, source 'otlp'; a record sent again is kept once) and
  // metric points (into `metric_points`; sums must already be deltas, see
  // ingest/otlp/cumulative_to_delta.h).
  std::vector<TelemetryEvent> events;
  std::vector<MetricPoint> metric_points;
  bool empty() const {
    return records.empty() && cursors.empty() && malformed.empty() && limit_samples.empty() &&
           session_status.empty() && events.empty() && metric_points.empty();
  }
};

// How far apart the instants of one request may be in a transcript and in an OTLP event, for
// the join without request id (the event is emitted when the response ends; the transcript line
// is written as it streams).
inline constexpr std::chrono::milliseconds kJoinWindow{120'000};

struct RequestQuery {
  std::optional<Instant> from;  // inclusive
  std::optional<Instant> to;    // exclusive
  std::optional<std::string> session_id;
  // Who made the requests (known for requests that came or were joined through OpenTelemetry):
  // host is the host.name; user matches the e-mail, the account UUID or the user.id.
  std::optional<std::string> host;
  std::optional<std::string> user;
};

struct LedgerStats {
  std::int64_t requests = 0;
  std::int64_t files = 0;
  std::int64_t malformed_lines = 0;
  std::optional<Instant> first;
  std::optional<Instant> last;
};

class RequestWriter;
class TelemetryWriter;

class Ledger {
 public:
  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;
  ~Ledger();

  // $XDG_DATA_HOME/ccgauge/ledger.db, else ~/.local/share/ccgauge/ledger.db.
  static std::string default_path();

  // Opens or creates the ledger (and its directory), applies pending schema migrations, and
  // recomputes stored costs when the price table changed since they were computed.
  // `prices` must outlive the Ledger.
  static Result<Ledger> open(const std::string& path, const pricing::PriceTable& prices);
  // The same for a connection that serves reads while another one writes (the daemon's HTTP
  // thread): it never starts a bulk load or touches indexes, even on an empty ledger.
  static Result<Ledger> open_reader(const std::string& path, const pricing::PriceTable& prices);

  // Every cursor, or only those of `only_paths` (the status line reads one session's files).
  Result<std::unordered_map<std::string, Cursor>> load_cursors(
      const std::vector<std::string>* only_paths = nullptr) const;

  // Writes the batch in one transaction, pricing each record. The dedupe rule above decides
  // which record a key keeps. The batch's records are collapsed in place
  // (collapse_duplicates).
  Status commit(IngestBatch& batch);

  // A ledger opened empty is filled in bulk: its indexes are built once, here. Call it after
  // the first catch-up; a no-op otherwise. (A process that never calls it leaves the indexes to
  // the next open.)
  Status end_bulk_load();

  // Streams deduped requests.
  Status for_each_request(const RequestQuery& query,
                          const std::function<void(const analytics::RequestRow&)>& fn) const;

  // Streams pre-summed rows (one per UTC quarter hour, project, model and speed): tokens are
  // sums, `count` the number of requests, `instant` the earliest request, and computed_cost the
  // cost under `mode` (reported_cost is empty), so a report built from them uses
  // CostMode::kCalculate. Period reports read these instead of every request.
  Status for_each_rollup(const RequestQuery& query, analytics::CostMode mode,
                         const std::function<void(const analytics::RequestRow&)>& fn) const;

  // The rollup rows whose earliest request has `from` <= ts < `to`, summed into one row:
  // `count` requests, their tokens, and their cost under `mode` as computed_cost; the rows a
  // report or the limits engine reading for_each_rollup() would place in that range. When both
  // instants fall on a quarter hour (a day's bounds do, in every time zone in use today), these
  // are exactly the requests with `from` <= ts < `to`.
  Result<analytics::RequestRow> rollup_totals(Instant from, Instant to,
                                              analytics::CostMode mode) const;
  // The newest request with `from` <= ts < `to`: its instant and model.
  Result<std::optional<std::pair<Instant, std::string>>> newest_request(Instant from,
                                                                        Instant to) const;
  // The width of a rollup bucket: a UTC quarter hour.
  static constexpr std::chrono::milliseconds kRollupBucket{900'000};
  // The start of the rollup bucket holding t; t itself when it starts one.
  static Instant rollup_bucket_start(Instant t) {
    return t - (t.time_since_epoch() % kRollupBucket + kRollupBucket) % kRollupBucket;
  }

  // The requests with `from` <= ts <= `to` summed into one row: `count` requests, their tokens,
  // and their cost in CostMode::kAuto as reported_cost and computed_cost. Its instant is `to`.
  Result<analytics::RequestRow> sum_requests(Instant from, Instant to) const;

  // All-time sums per project and model (speed folded in), for counters: one row each, with
  // `count` requests and the cost in CostMode::kAuto (reported cost when present, else
  // computed) as computed_cost.
  Status for_each_total(const std::function<void(const analytics::RequestRow&)>& fn) const;

  Result<std::vector<MalformedLine>> malformed_lines(std::int64_t limit) const;
  Result<std::vector<LimitSample>> limit_samples(std::optional<Instant> since) const;
  Result<std::optional<SessionStatus>> session_status(std::string_view session_id) const;
  // The newest sample of each window and source taken since `since`.
  Result<std::vector<LimitSample>> latest_limit_samples(Instant since) const;
  // The newest sample of a window taken at or before `until`, from any source, if any.
  Result<std::optional<LimitSample>> latest_limit_sample(std::string_view window,
                                                         Instant until = Instant::max()) const;
  Result<LedgerStats> stats() const;
  const std::string& path() const { return db_.path(); }

  // For short-lived processes on a latency budget (the status line): this connection never
  // checkpoints by itself; wal_pages() says how large its commits left the WAL, and
  // ledger::checkpoint_in_background() hands the checkpoint to a detached child process.
  void defer_checkpoints() { db_.defer_checkpoints(); }
  // A bulk load (the first catch-up into an empty ledger) is under way: no indexes yet, no
  // sync. end_bulk_load() ends it, or checkpoint_in_background() once this ledger is closed.
  bool in_bulk_load() const;
  int wal_pages() const { return db_.wal_pages(); }
  // The size of the -wal file (frames already checkpointed included).
  std::int64_t wal_file_bytes() const;

  // The connection, for the ledger module's own readers and writers in other files
  // (events.cpp, tools_reader.cpp, harness_reader.cpp). Same thread rules as the Ledger.
  Database& database() { return db_; }
  const Database& database() const { return db_; }

 private:
  Ledger(Database db, const pricing::PriceTable& prices);
  static Result<Ledger> open_retrying(const std::string& path, const pricing::PriceTable& prices,
                                     bool reader);
  static Result<Ledger> open_once(const std::string& path, const pricing::PriceTable& prices,
                                  bool reader);
  Status migrate();
  Status reprice_if_needed();
  Status prepare_writes();

  Database db_;
  const pricing::PriceTable* prices_;  // not owned
  std::unique_ptr<RequestWriter> writer_;
  std::unique_ptr<TelemetryWriter> telemetry_;  // prepared on the first commit with telemetry
  std::optional<Statement> upsert_cursor_;
  std::optional<Statement> insert_malformed_;
  std::optional<Statement> insert_limit_;
  std::optional<Statement> upsert_session_status_;
};

// Hands a checkpoint (TRUNCATE) of the ledger file at `path` to a detached child process with a
// connection of its own; a no-op while one is running. The child also builds the indexes a bulk
// load left out (Ledger::in_bulk_load), so it ends a bulk load its caller closed unfinished.
// Call it only when this process has no
// connection to that ledger open: a child forked then inherits SQLite's record of the
// connection's locks, takes them for its own, and checkpoints without holding them, which
// loses other processes' concurrent writes. The child is not waited for: call it from a
// short-lived process (once it exits, init reaps the child; a long-lived caller would keep the
// child as a zombie until it exits).
void checkpoint_in_background(const std::string& path);

// The dedupe key of a record (see the class comment).
std::string dedupe_key(const UsageRecord& record);
// The same, written into `out` (reusing its memory).
void dedupe_key_into(const UsageRecord& record, std::string& out);

// Applies the dedupe rule within `records`: fills each one's key and keeps only the winner of
// each key, in the order the winners first appeared. Sources call it on what they read (lines of
// one response sit next to each other) so less crosses threads; the ledger applies it again
// per batch and against stored rows.
void collapse_duplicates(std::vector<SourcedRecord>& records);

}  // namespace ccgauge::ledger

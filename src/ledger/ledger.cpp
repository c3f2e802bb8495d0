#include "ledger/ledger.h"

#include "ledger/paths.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "ledger/request_writer.h"
#include "ledger/telemetry_writer.h"

namespace ccgauge::ledger {
namespace {

// Each entry moves the schema one version up. Never edit a shipped entry; append a new one.
constexpr const char* kMigrations[] = {
    // 1: requests, cursors, malformed lines, limit samples.
    R"sql(
CREATE TABLE IF NOT EXISTS requests(
  id INTEGER PRIMARY KEY,
  key_hash INTEGER NOT NULL,
  key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  session TEXT NOT NULL,
  project TEXT NOT NULL,
  model TEXT NOT NULL,
  agent INTEGER NOT NULL,
  sidechain INTEGER NOT NULL,
  speed INTEGER NOT NULL,
  host TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_write_5m INTEGER NOT NULL,
  cache_write_1h INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  web_search INTEGER NOT NULL,
  web_fetch INTEGER NOT NULL,
  reported_cost INTEGER,
  computed_cost INTEGER NOT NULL,
  priced INTEGER NOT NULL,
  limit_reset INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS requests_key_hash ON requests(key_hash);
CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
-- Sums per UTC quarter hour, project, model and speed, kept exact by the request writer, so
-- period reports read thousands of rows instead of every request. A quarter hour never spans
-- two local dates or hours in any zone (offsets are multiples of 15 minutes).
CREATE TABLE IF NOT EXISTS usage_rollup(
  bucket INTEGER NOT NULL,
  project TEXT NOT NULL,
  model TEXT NOT NULL,
  speed INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_write_5m INTEGER NOT NULL,
  cache_write_1h INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  web_search INTEGER NOT NULL,
  web_fetch INTEGER NOT NULL,
  computed_cost INTEGER NOT NULL,
  auto_cost INTEGER NOT NULL,
  display_cost INTEGER NOT NULL,
  unpriced INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  PRIMARY KEY(bucket, project, model, speed)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cursors(
  path TEXT PRIMARY KEY,
  device INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  project TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS malformed_lines(
  path TEXT NOT NULL,
  line INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY(path, line)
) STRICT;
CREATE TABLE IF NOT EXISTS limit_samples(
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  source TEXT NOT NULL,
  window TEXT NOT NULL,
  used_percent REAL,
  resets_at INTEGER,
  session TEXT NOT NULL,
  UNIQUE(source, window, ts, session)
) STRICT;
CREATE INDEX IF NOT EXISTS limit_samples_ts ON limit_samples(ts);
)sql",
    // 2: the latest request of each rollup row, so 5-hour blocks can be built from rollups
    // (filled by the rebuild that follows every migration that changes the rollup).
    R"sql(
ALTER TABLE usage_rollup ADD COLUMN last_ts INTEGER NOT NULL DEFAULT 0;
-- What Claude Code last told the status line about each session.
CREATE TABLE IF NOT EXISTS session_status(
  session TEXT PRIMARY KEY,
  ts INTEGER NOT NULL,
  project TEXT NOT NULL,
  model TEXT NOT NULL,
  cost_usd REAL,
  context_tokens INTEGER,
  context_size INTEGER,
  context_percent REAL
) STRICT;
)sql",
    // 3: events that are not requests: Claude Code hook events, harness runs' events, OTLP
    // events (ledger/events.h). A non-empty key is unique, which makes re-delivery harmless.
    R"sql(
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY,
  key TEXT UNIQUE,
  ts INTEGER NOT NULL,
  source TEXT NOT NULL,
  name TEXT NOT NULL,
  session TEXT NOT NULL DEFAULT '',
  project TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  user TEXT NOT NULL DEFAULT '',
  tool TEXT NOT NULL DEFAULT '',
  tool_use_id TEXT NOT NULL DEFAULT '',
  task_id TEXT NOT NULL DEFAULT '',
  label TEXT NOT NULL DEFAULT '',
  success INTEGER,
  duration_ms INTEGER,
  error TEXT NOT NULL DEFAULT '',
  attributes TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
CREATE INDEX IF NOT EXISTS events_session ON events(session, ts);
CREATE INDEX IF NOT EXISTS events_source ON events(source, ts);
)sql",
    // 4: OpenTelemetry: who sent what (origins), the user and origin of requests and events,
    // metric points, and the indexes the cross-source join of requests uses (ledger.h).
    R"sql(
-- One row per distinct sender: a Claude Code process's resource plus its identity attributes.
-- `key` is the canonical text of all the other columns.
CREATE TABLE IF NOT EXISTS origins(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  service_name TEXT NOT NULL,
  service_version TEXT NOT NULL,
  host TEXT NOT NULL,
  user_id TEXT NOT NULL,
  user_email TEXT NOT NULL,
  user_account_uuid TEXT NOT NULL,
  organization_id TEXT NOT NULL,
  terminal_type TEXT NOT NULL,
  resource TEXT NOT NULL
) STRICT;
-- user: the e-mail, else the account UUID, else the user.id of the origin.
ALTER TABLE requests ADD COLUMN user TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN origin INTEGER;
-- The join looks requests up by request id, and those without one by session and time. (Not a
-- partial index: a bound request id compared with a partial index's condition would make SQLite
-- re-prepare the statement at every binding.)
CREATE INDEX IF NOT EXISTS requests_request_id ON requests(request_id, session, ts);
CREATE INDEX IF NOT EXISTS requests_otlp ON requests(session, ts) WHERE source = 'otlp';
ALTER TABLE events ADD COLUMN origin INTEGER;
ALTER TABLE events ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN prompt_id TEXT NOT NULL DEFAULT '';
-- Metric points as deltas (a cumulative series is stored as its increases). kind: 0 a sum,
-- 1 a gauge. type: the point's `type` attribute (input/output/..., added/removed, user/cli).
CREATE TABLE IF NOT EXISTS metric_points(
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  start_ts INTEGER NOT NULL,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  kind INTEGER NOT NULL,
  value REAL NOT NULL,
  session TEXT NOT NULL,
  model TEXT NOT NULL,
  type TEXT NOT NULL,
  project TEXT NOT NULL,
  host TEXT NOT NULL,
  user TEXT NOT NULL,
  origin INTEGER,
  attributes TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS metric_points_ts ON metric_points(ts);
CREATE INDEX IF NOT EXISTS metric_points_name ON metric_points(name, ts);
)sql",
};

// Migrations after which the rollup is recomputed from the requests.
constexpr int kRollupRebuiltBy[] = {2};

constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

constexpr const char* kUpsertCursor = R"sql(
INSERT INTO cursors(path, device, inode, size, mtime_ns, offset, lines, project)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT(path) DO UPDATE SET device = excluded.device, inode = excluded.inode,
  size = excluded.size, mtime_ns = excluded.mtime_ns, offset = excluded.offset,
  lines = excluded.lines, project = excluded.project
)sql";

std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Result<std::string> read_meta(const Database& db, std::string_view key) {
  auto stmt = db.prepare("SELECT value FROM meta WHERE key = ?1");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  stmt->bind(1, key);
  auto r = stmt->step();
  if (!r) {
    return tl::unexpected(r.error());
  }
  if (*r == Statement::StepResult::kDone) {
    return std::string();
  }
  return std::string(stmt->column_text(0));
}

Status write_meta(Database& db, std::string_view key, std::string_view value) {
  auto stmt = db.prepare(
      "INSERT INTO meta(key, value) VALUES(?1, ?2) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  stmt->bind(1, key).bind(2, value);
  return stmt->run();
}

}  // namespace

std::string dedupe_key(const UsageRecord& r) {
  std::string key;
  dedupe_key_into(r, key);
  return key;
}

void dedupe_key_into(const UsageRecord& r, std::string& out) {
  out.clear();
  if (!r.message_id.empty()) {
    out.append(r.message_id).append(1, '|');
    if (!r.request_id.empty()) {
      out.append(r.request_id);
    } else {
      out.append("s:").append(r.session_id);
    }
    return;
  }
  // No message id: the record's own content identifies it, so a re-read line maps to the same
  // key while two different requests do not.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  h = fnv1a(h, r.session_id);
  h = fnv1a(h, r.model);
  std::int64_t numbers[] = {to_epoch_ms(r.instant),  r.tokens.input,          r.tokens.output,
                            r.tokens.cache_write_5m, r.tokens.cache_write_1h, r.tokens.cache_read};
  h = fnv1a(h, std::string_view(reinterpret_cast<const char*>(numbers), sizeof(numbers)));
  fmt::format_to(std::back_inserter(out), "h:{:016x}", h);
}

Ledger::Ledger(Database db, const pricing::PriceTable& prices)
    : db_(std::move(db)), prices_(&prices) {}
Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;
Ledger::~Ledger() = default;

std::string Ledger::default_path() { return default_ledger_path(); }

Result<Ledger> Ledger::open(const std::string& path, const pricing::PriceTable& prices) {
  // Setting WAL mode on a new file, and creating the schema, can find another process doing the
  // same and get SQLITE_BUSY at once (SQLite does not wait there). Those steps are safe to run
  // again, so a busy open is retried for up to about two seconds.
  return open_retrying(path, prices, false);
}

Result<Ledger> Ledger::open_reader(const std::string& path, const pricing::PriceTable& prices) {
  return open_retrying(path, prices, true);
}

Result<Ledger> Ledger::open_retrying(const std::string& path, const pricing::PriceTable& prices,
                                     bool reader) {
  constexpr int kAttempts = 40;
  for (int attempt = 1;; ++attempt) {
    auto ledger = open_once(path, prices, reader);
    if (ledger || ledger.error().code != Errc::kUnavailable || attempt == kAttempts) {
      return ledger;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + 2 * attempt));
  }
}

Result<Ledger> Ledger::open_once(const std::string& path, const pricing::PriceTable& prices,
                                 bool reader) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return fail(Errc::kIo, fmt::format("cannot create ledger directory {}: {}", parent.string(),
                                         ec.message()));
    }
  }
  auto db = Database::open(path, Database::Mode::kReadWrite);
  if (!db) {
    return tl::unexpected(db.error());
  }
  Ledger ledger(std::move(*db), prices);
  if (auto s = ledger.migrate(); !s) {
    return tl::unexpected(s.error());
  }
  if (auto s = ledger.reprice_if_needed(); !s) {
    return tl::unexpected(s.error());
  }
  if (reader) {
    return ledger;
  }
  auto any = ledger.db_.prepare("SELECT EXISTS(SELECT 1 FROM requests)");
  if (!any) {
    return tl::unexpected(any.error());
  }
  if (auto step = any->step(); !step) {
    return tl::unexpected(step.error());
  }
  bool empty = any->column_int(0) == 0;
  any->reset();  // A running statement would lock the table against DROP INDEX.
  // Write statements are prepared on the first commit (a reader never pays for them), except
  // that an empty ledger starts in bulk mode at once.
  Status mode = RequestWriter::ensure_indexes(ledger.db_);
  if (empty) {
    mode = ledger.prepare_writes();
    if (mode) {
      mode = ledger.writer_->begin_bulk(ledger.db_);
    }
  }
  if (!mode) {
    return tl::unexpected(mode.error());
  }
  return ledger;
}

namespace {

// The schema version the ledger file has; 0 for a new file.
Result<int> schema_version(const Database& db) {
  auto exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  if (!exists) {
    return tl::unexpected(exists.error());
  }
  auto step = exists->step();
  if (!step) {
    return tl::unexpected(step.error());
  }
  if (*step == Statement::StepResult::kDone) {
    return 0;
  }
  auto text = read_meta(db, "schema_version");
  if (!text) {
    return tl::unexpected(text.error());
  }
  return text->empty() ? 0 : std::atoi(text->c_str());
}

}  // namespace

Status Ledger::migrate() {
  // Usually the schema is current: find that out without taking the write lock, so that many
  // commands opening the ledger at once do not queue behind each other.
  auto current = schema_version(db_);
  if (!current) {
    return tl::unexpected(current.error());
  }
  if (*current == kSchemaVersion) {
    return {};
  }
  return in_transaction(db_, [&]() -> Status {
    if (auto s = db_.exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT "
                          "NULL) STRICT");
        !s) {
      return s;
    }
    // Read again under the lock: another process may have migrated meanwhile.
    auto version = schema_version(db_);
    if (!version) {
      return tl::unexpected(version.error());
    }
    if (*version > kSchemaVersion) {
      return fail(Errc::kInvalidInput,
                  fmt::format("ledger {} has schema version {}, newer than this ccgauge "
                              "understands ({}); upgrade ccgauge",
                              db_.path(), *version, kSchemaVersion));
    }
    bool rebuild = false;
    for (int v = *version; v < kSchemaVersion; ++v) {
      if (auto s = db_.exec(kMigrations[v]); !s) {
        return s;
      }
      rebuild = rebuild || (*version > 0 && std::ranges::find(kRollupRebuiltBy, v + 1) !=
                                                std::end(kRollupRebuiltBy));
    }
    if (rebuild) {
      if (auto s = rebuild_rollup(db_); !s) {
        return s;
      }
    }
    return write_meta(db_, "schema_version", std::to_string(kSchemaVersion));
  });
}

Status Ledger::reprice_if_needed() {
  std::string fingerprint = prices_->fingerprint();
  auto stored = read_meta(db_, "pricing_fingerprint");
  if (!stored) {
    return tl::unexpected(stored.error());
  }
  if (*stored == fingerprint) {
    return {};
  }
  return in_transaction(db_, [&]() -> Status {
    auto select = db_.prepare(
        "SELECT id, model, speed, input, output, cache_write_5m, cache_write_1h, cache_read, "
        "web_search, web_fetch FROM requests");
    auto update = db_.prepare("UPDATE requests SET computed_cost = ?1, priced = ?2 WHERE id = ?3");
    if (!select || !update) {
      return tl::unexpected(!select ? select.error() : update.error());
    }
    Status updated;
    if (auto s = select->for_each_row([&] {
          if (!updated) {
            return;
          }
          PricedCost p = price_request(*prices_, select->column_text(1), read_tokens(*select, 3),
                                       static_cast<Speed>(select->column_int(2)));
          update->bind(1, p.cost).bind(2, std::int64_t{p.priced}).bind(3, select->column_int(0));
          updated = update->run();
        });
        !s || !updated) {
      return !s ? s : updated;
    }
    if (auto s = rebuild_rollup(db_); !s) {
      return s;
    }
    return write_meta(db_, "pricing_fingerprint", fingerprint);
  });
}

Status Ledger::prepare_writes() {
  auto writer = RequestWriter::prepare(db_, *prices_);
  if (!writer) {
    return tl::unexpected(writer.error());
  }
  writer_ = std::make_unique<RequestWriter>(std::move(*writer));
  upsert_cursor_.emplace(db_.prepare_deferred(kUpsertCursor));
  insert_malformed_.emplace(db_.prepare_deferred(
      "INSERT INTO malformed_lines(path, line, reason) VALUES(?1, ?2, ?3) "
      "ON CONFLICT(path, line) DO UPDATE SET reason = excluded.reason"));
  insert_limit_.emplace(db_.prepare_deferred(
      "INSERT INTO limit_samples(ts, source, window, used_percent, resets_at, session) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"));
  upsert_session_status_.emplace(db_.prepare_deferred(
      "INSERT INTO session_status(session, ts, project, model, cost_usd, context_tokens, "
      "context_size, context_percent) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT(session) DO UPDATE SET ts = excluded.ts, project = excluded.project, "
      "model = excluded.model, cost_usd = excluded.cost_usd, "
      "context_tokens = excluded.context_tokens, context_size = excluded.context_size, "
      "context_percent = excluded.context_percent WHERE excluded.ts >= session_status.ts"));
  return {};
}

Result<std::unordered_map<std::string, Cursor>> Ledger::load_cursors(
    const std::vector<std::string>* only_paths) const {
  constexpr const char* kColumns =
      "SELECT path, device, inode, size, mtime_ns, offset, lines, project FROM cursors";
  auto stmt = db_.prepare(only_paths ? fmt::format("{} WHERE path = ?1", kColumns) : kColumns);
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  std::unordered_map<std::string, Cursor> cursors;
  auto read_row = [&] {
    Cursor c;
    c.path = std::string(stmt->column_text(0));
    c.device = static_cast<std::uint64_t>(stmt->column_int(1));
    c.inode = static_cast<std::uint64_t>(stmt->column_int(2));
    c.size = stmt->column_int(3);
    c.mtime_ns = stmt->column_int(4);
    c.offset = stmt->column_int(5);
    c.lines = stmt->column_int(6);
    c.project = std::string(stmt->column_text(7));
    std::string key = c.path;
    cursors.emplace(std::move(key), std::move(c));
  };
  if (only_paths == nullptr) {
    if (auto s = stmt->for_each_row(read_row); !s) {
      return tl::unexpected(s.error());
    }
    return cursors;
  }
  for (const std::string& path : *only_paths) {
    stmt->bind(1, path);
    if (auto s = stmt->for_each_row(read_row); !s) {
      return tl::unexpected(s.error());
    }
  }
  return cursors;
}

Status Ledger::commit(IngestBatch& batch) {
  if (batch.empty()) {
    return {};
  }
  if (!writer_) {
    if (auto s = prepare_writes(); !s) {
      return s;
    }
  }
  bool telemetry = !batch.events.empty() || !batch.metric_points.empty() ||
                   std::any_of(batch.records.begin(), batch.records.end(),
                               [](const SourcedRecord& r) { return r.origin != nullptr; });
  if (telemetry && !telemetry_) {
    auto prepared = TelemetryWriter::prepare(db_);
    if (!prepared) {
      return tl::unexpected(prepared.error());
    }
    telemetry_ = std::make_unique<TelemetryWriter>(std::move(*prepared));
  }
  Status committed = in_transaction(db_, [&]() -> Status {
    if (auto s = writer_->write(db_, batch.records, telemetry_.get()); !s) {
      return s;
    }
    if (telemetry) {
      if (auto s = telemetry_->write_events(db_, batch.events); !s) {
        return tl::unexpected(s.error());
      }
      if (auto s = telemetry_->write_metric_points(batch.metric_points); !s) {
        return s;
      }
    }
    for (const MalformedLine& m : batch.malformed) {
      insert_malformed_->bind(1, m.path).bind(2, m.line).bind(3, m.reason);
      if (auto s = insert_malformed_->run(); !s) {
        return s;
      }
    }
    for (const LimitSample& l : batch.limit_samples) {
      insert_limit_->bind(1, to_epoch_ms(l.instant)).bind(2, l.source).bind(3, l.window);
      insert_limit_->bind(4, l.used_percent).bind(5, l.resets_at_epoch_s).bind(6, l.session_id);
      if (auto s = insert_limit_->run(); !s) {
        return s;
      }
    }
    for (const SessionStatus& st : batch.session_status) {
      upsert_session_status_->bind(1, st.session_id)
          .bind(2, to_epoch_ms(st.instant))
          .bind(3, st.project)
          .bind(4, st.model)
          .bind(5, st.cost_usd)
          .bind(6, st.context_tokens)
          .bind(7, st.context_size)
          .bind(8, st.context_percent);
      if (auto s = upsert_session_status_->run(); !s) {
        return s;
      }
    }
    for (const Cursor& c : batch.cursors) {
      upsert_cursor_->bind(1, c.path)
          .bind(2, static_cast<std::int64_t>(c.device))
          .bind(3, static_cast<std::int64_t>(c.inode))
          .bind(4, c.size)
          .bind(5, c.mtime_ns)
          .bind(6, c.offset)
          .bind(7, c.lines)
          .bind(8, c.project);
      if (auto s = upsert_cursor_->run(); !s) {
        return s;
      }
    }
    return Status{};
  });
  if (!committed && telemetry_) {
    telemetry_->forget_cache();  // origins it inserted were rolled back
  }
  return committed;
}

std::int64_t Ledger::wal_file_bytes() const {
  struct stat st {};
  return ::stat((db_.path() + "-wal").c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size)
                                                         : 0;
}

void checkpoint_in_background(const std::string& path) {
  // One at a time: a checkpoint already running (its lock held) makes this a no-op, so calls
  // never pile up processes.
  std::string lock_path = path + ".checkpoint.lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) {
    return;
  }
  if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock);
    return;
  }
  // One fork, not waited for: the callers are short-lived commands, and once the caller exits
  // init adopts the child and reaps it (a double fork, waiting for the middle child, cost the
  // status line 0.47 ms instead of 0.2). The child uses a connection of its own: a SQLite
  // connection must not be used across fork(). It inherits the lock (flock locks belong to the
  // open file, shared across fork); the parent's copy closes below.
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child != 0) {
    ::close(lock);
    return;
  }
  ::setsid();
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2; ++fd) {
    ::dup2(null, fd);
  }
  // TRUNCATE leaves an empty WAL, so the next process that opens the ledger alone has nothing
  // to read back (a PASSIVE checkpoint alone would not: that process's recovery forgets what
  // was copied, and the WAL would never start over). TRUNCATE holds the write lock throughout,
  // so a PASSIVE one does the copying and its fsync first, while writers go on; TRUNCATE then
  // copies what came since and cuts the file, which keeps the next status line's commit waiting
  // for tens of microseconds instead of 2 to 8 ms.
  // The indexes come between: built from the database file rather than through the WAL, and
  // a no-op unless a bulk load was left unfinished (the statement exists).
  if (auto db = Database::open(path, Database::Mode::kReadWrite, 2000)) {
    (void)db->exec("PRAGMA wal_checkpoint(PASSIVE)");
    (void)RequestWriter::ensure_indexes(*db);
    (void)db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  ::_exit(0);
}

Status Ledger::end_bulk_load() { return writer_ ? writer_->end_bulk(db_) : Status{}; }

bool Ledger::in_bulk_load() const { return writer_ && writer_->bulk(); }

namespace {

// The rollup column that holds a cost mode's cost.
const char* rollup_cost_column(analytics::CostMode mode) {
  return mode == analytics::CostMode::kCalculate ? "computed_cost"
         : mode == analytics::CostMode::kDisplay ? "display_cost"
                                                 : "auto_cost";
}

// Steps a bound `SELECT count, the seven token sums, the cost sum` into one pre-summed row.
Result<analytics::RequestRow> read_sums(Statement& stmt, Instant instant) {
  if (auto step = stmt.step(); !step) {
    return tl::unexpected(step.error());
  }
  analytics::RequestRow row;
  row.instant = instant;
  row.count = stmt.column_int(0);
  row.tokens = read_tokens(stmt, 1);
  row.computed_cost = stmt.column_int(8);
  return row;
}

}  // namespace

Result<analytics::RequestRow> Ledger::rollup_totals(Instant from, Instant to,
                                                    analytics::CostMode mode) const {
  const std::int64_t bucket = kRollupBucket.count();
  // A row's earliest request lies in its own bucket: the key range first, then the exact test.
  auto stmt = db_.prepare(fmt::format(
      "SELECT sum(requests), sum(input), sum(output), sum(cache_write_5m), sum(cache_write_1h), "
      "sum(cache_read), sum(web_search), sum(web_fetch), sum({}) FROM usage_rollup "
      "WHERE bucket >= ?1 AND bucket <= ?2 AND first_ts >= ?3 AND first_ts < ?4",
      rollup_cost_column(mode)));
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  stmt->bind(1, to_epoch_ms(rollup_bucket_start(from)) / bucket)
      .bind(2, to_epoch_ms(rollup_bucket_start(to - std::chrono::milliseconds(1))) / bucket)
      .bind(3, to_epoch_ms(from))
      .bind(4, to_epoch_ms(to));
  return read_sums(*stmt, from);
}

Result<std::optional<std::pair<Instant, std::string>>> Ledger::newest_request(Instant from,
                                                                              Instant to) const {
  auto stmt =
      db_.prepare("SELECT ts, model FROM requests WHERE ts >= ?1 AND ts < ?2 ORDER BY ts DESC LIMIT 1");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  stmt->bind(1, to_epoch_ms(from)).bind(2, to_epoch_ms(to));
  auto step = stmt->step();
  if (!step) {
    return tl::unexpected(step.error());
  }
  if (*step == Statement::StepResult::kDone) {
    return std::nullopt;
  }
  return std::make_pair(from_epoch_ms(stmt->column_int(0)), std::string(stmt->column_text(1)));
}

Result<analytics::RequestRow> Ledger::sum_requests(Instant from, Instant to) const {
  auto stmt = db_.prepare(
      "SELECT count(*), sum(input), sum(output), sum(cache_write_5m), sum(cache_write_1h), "
      "sum(cache_read), sum(web_search), sum(web_fetch), sum(coalesce(reported_cost, "
      "computed_cost)) FROM requests WHERE ts >= ?1 AND ts <= ?2");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  stmt->bind(1, to_epoch_ms(from)).bind(2, to_epoch_ms(to));
  auto row = read_sums(*stmt, to);
  if (row) {
    row->reported_cost = row->computed_cost;
  }
  return row;
}

Status Ledger::for_each_request(const RequestQuery& query,
                                const std::function<void(const analytics::RequestRow&)>& fn) const {
  std::string sql =
      "SELECT ts, session, project, model, agent, speed, input, output, cache_write_5m, "
      "cache_write_1h, cache_read, web_search, web_fetch, reported_cost, computed_cost, priced, "
      "limit_reset FROM requests WHERE ts >= ?1 AND ts < ?2";
  if (query.session_id) {
    sql += " AND session = ?3";
  }
  if (query.host) {
    sql += " AND host = ?4";
  }
  if (query.user) {
    sql +=
        " AND (user = ?5 OR origin IN (SELECT id FROM origins WHERE user_email = ?5 OR "
        "user_account_uuid = ?5 OR user_id = ?5))";
  }
  auto stmt = db_.prepare(sql);
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  stmt->bind(1, query.from ? to_epoch_ms(*query.from) : INT64_MIN);
  stmt->bind(2, query.to ? to_epoch_ms(*query.to) : INT64_MAX);
  if (query.session_id) {
    stmt->bind(3, *query.session_id);
  }
  if (query.host) {
    stmt->bind(4, *query.host);
  }
  if (query.user) {
    stmt->bind(5, *query.user);
  }
  analytics::RequestRow row;
  return stmt->for_each_row([&] {
    row.instant = from_epoch_ms(stmt->column_int(0));
    row.session_id.assign(stmt->column_text(1));
    row.project.assign(stmt->column_text(2));
    row.model.assign(stmt->column_text(3));
    row.agent = static_cast<Agent>(stmt->column_int(4));
    row.speed = static_cast<Speed>(stmt->column_int(5));
    row.tokens = read_tokens(*stmt, 6);
    row.reported_cost =
        stmt->column_is_null(13) ? std::nullopt : std::optional<Nanodollars>(stmt->column_int(13));
    row.computed_cost = stmt->column_int(14);
    row.priced = stmt->column_int(15) != 0;
    row.limit_reset_epoch_s =
        stmt->column_is_null(16) ? std::nullopt : std::optional<std::int64_t>(stmt->column_int(16));
    fn(row);
  });
}

Status Ledger::for_each_rollup(const RequestQuery& query, analytics::CostMode mode,
                               const std::function<void(const analytics::RequestRow&)>& fn) const {
  const char* cost_column = rollup_cost_column(mode);
  constexpr std::int64_t kBucketMs = kRollupBucket.count();
  auto stmt = db_.prepare(fmt::format(
      "SELECT first_ts, project, model, speed, requests, input, output, cache_write_5m, "
      "cache_write_1h, cache_read, web_search, web_fetch, {}, unpriced, last_ts "
      "FROM usage_rollup "
      "WHERE bucket >= ?1 AND bucket <= ?2 AND requests > 0",
      cost_column));
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  // Whole buckets around the range; the report filters exact local dates itself.
  stmt->bind(1, query.from ? to_epoch_ms(*query.from) / kBucketMs - 1 : INT64_MIN);
  stmt->bind(2, query.to ? to_epoch_ms(*query.to) / kBucketMs + 1 : INT64_MAX);
  analytics::RequestRow row;
  return stmt->for_each_row([&] {
    row.instant = from_epoch_ms(stmt->column_int(0));
    row.project.assign(stmt->column_text(1));
    row.model.assign(stmt->column_text(2));
    row.speed = static_cast<Speed>(stmt->column_int(3));
    row.count = stmt->column_int(4);
    row.tokens = read_tokens(*stmt, 5);
    row.computed_cost = stmt->column_int(12);
    row.reported_cost.reset();
    row.priced = stmt->column_int(13) == 0;
    row.last_instant = from_epoch_ms(std::max(stmt->column_int(14), stmt->column_int(0)));
    fn(row);
  });
}

Status Ledger::for_each_total(const std::function<void(const analytics::RequestRow&)>& fn) const {
  auto stmt = db_.prepare(
      "SELECT project, model, sum(requests), sum(input), sum(output), sum(cache_write_5m), "
      "sum(cache_write_1h), sum(cache_read), sum(web_search), sum(web_fetch), sum(auto_cost), "
      "sum(unpriced), max(last_ts) FROM usage_rollup GROUP BY project, model HAVING sum(requests) > 0");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  analytics::RequestRow row;
  return stmt->for_each_row([&] {
    row.project.assign(stmt->column_text(0));
    row.model.assign(stmt->column_text(1));
    row.count = stmt->column_int(2);
    row.tokens = read_tokens(*stmt, 3);
    row.computed_cost = stmt->column_int(10);
    row.priced = stmt->column_int(11) == 0;
    row.instant = from_epoch_ms(stmt->column_int(12));
    fn(row);
  });
}

Result<std::vector<MalformedLine>> Ledger::malformed_lines(std::int64_t limit) const {
  auto stmt =
      db_.prepare("SELECT path, line, reason FROM malformed_lines ORDER BY path, line LIMIT ?1");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  stmt->bind(1, limit);
  std::vector<MalformedLine> out;
  if (auto s = stmt->for_each_row([&] {
        out.push_back({std::string(stmt->column_text(0)), stmt->column_int(1),
                       std::string(stmt->column_text(2))});
      });
      !s) {
    return tl::unexpected(s.error());
  }
  return out;
}

namespace {

// A row of `SELECT ts, source, window, used_percent, resets_at, session FROM limit_samples`.
LimitSample read_limit_sample(const Statement& stmt) {
  LimitSample sample;
  sample.instant = from_epoch_ms(stmt.column_int(0));
  sample.source = std::string(stmt.column_text(1));
  sample.window = std::string(stmt.column_text(2));
  if (!stmt.column_is_null(3)) {
    sample.used_percent = stmt.column_double(3);
  }
  if (!stmt.column_is_null(4)) {
    sample.resets_at_epoch_s = stmt.column_int(4);
  }
  sample.session_id = std::string(stmt.column_text(5));
  return sample;
}

// The rows of a `SELECT ts, source, window, used_percent, resets_at, session ...` with its
// parameters ?1, ?2, ... bound in order.
template <class... Params>
Result<std::vector<LimitSample>> select_limit_samples(const Database& db, std::string_view sql,
                                                      const Params&... params) {
  auto stmt = db.prepare(sql);
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  int index = 0;
  (stmt->bind(++index, params), ...);
  std::vector<LimitSample> out;
  if (auto s = stmt->for_each_row([&] { out.push_back(read_limit_sample(*stmt)); }); !s) {
    return tl::unexpected(s.error());
  }
  return out;
}

}  // namespace

Result<std::vector<LimitSample>> Ledger::limit_samples(std::optional<Instant> since) const {
  return select_limit_samples(
      db_,
      "SELECT ts, source, window, used_percent, resets_at, session FROM limit_samples "
      "WHERE ts >= ?1 ORDER BY ts",
      since ? to_epoch_ms(*since) : INT64_MIN);
}

Result<std::vector<LimitSample>> Ledger::latest_limit_samples(Instant since) const {
  // A loose index scan over UNIQUE(source, window, ts, session): k walks the few distinct
  // (source, window) pairs one index seek each, and each pair's newest row is one more. A GROUP
  // BY would read every sample of the week (0.3 ms of a status line call).
  return select_limit_samples(db_, R"sql(
WITH RECURSIVE k(source, window) AS (
  SELECT * FROM (SELECT source, window FROM limit_samples ORDER BY source, window LIMIT 1)
  UNION ALL
  SELECT l.source, l.window FROM k JOIN limit_samples l ON l.id = coalesce(
    (SELECT id FROM limit_samples WHERE source = k.source AND window > k.window
     ORDER BY source, window LIMIT 1),
    (SELECT id FROM limit_samples WHERE source > k.source ORDER BY source, window LIMIT 1)))
SELECT l.ts, l.source, l.window, l.used_percent, l.resets_at, l.session FROM k
JOIN limit_samples l ON l.id = (SELECT id FROM limit_samples WHERE source = k.source AND
  window = k.window AND ts >= ?1 ORDER BY ts DESC LIMIT 1)
)sql",
                              to_epoch_ms(since));
}

Result<std::optional<SessionStatus>> Ledger::session_status(std::string_view session_id) const {
  auto stmt = db_.prepare(
      "SELECT session, ts, project, model, cost_usd, context_tokens, context_size, "
      "context_percent FROM session_status WHERE session = ?1");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  stmt->bind(1, session_id);
  std::optional<SessionStatus> out;
  auto opt_int = [&](int col) {
    return stmt->column_is_null(col) ? std::nullopt
                                     : std::optional<std::int64_t>(stmt->column_int(col));
  };
  auto opt_double = [&](int col) {
    return stmt->column_is_null(col) ? std::nullopt
                                     : std::optional<double>(stmt->column_double(col));
  };
  if (auto s = stmt->for_each_row([&] {
        out = SessionStatus{std::string(stmt->column_text(0)),
                            from_epoch_ms(stmt->column_int(1)),
                            std::string(stmt->column_text(2)),
                            std::string(stmt->column_text(3)),
                            opt_double(4),
                            opt_int(5),
                            opt_int(6),
                            opt_double(7)};
      });
      !s) {
    return tl::unexpected(s.error());
  }
  return out;
}

Result<std::optional<LimitSample>> Ledger::latest_limit_sample(std::string_view window,
                                                               Instant until) const {
  auto rows = select_limit_samples(
      db_,
      "SELECT ts, source, window, used_percent, resets_at, session FROM limit_samples "
      "WHERE window = ?1 AND ts <= ?2 ORDER BY ts DESC LIMIT 1",
      window, to_epoch_ms(until));
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  return rows->empty() ? std::nullopt : std::optional<LimitSample>(std::move(rows->front()));
}

Result<LedgerStats> Ledger::stats() const {
  auto stmt = db_.prepare(
      "SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM cursors), "
      "(SELECT count(*) FROM malformed_lines), (SELECT min(ts) FROM requests), "
      "(SELECT max(ts) FROM requests)");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  auto step = stmt->step();
  if (!step) {
    return tl::unexpected(step.error());
  }
  LedgerStats s;
  s.requests = stmt->column_int(0);
  s.files = stmt->column_int(1);
  s.malformed_lines = stmt->column_int(2);
  if (!stmt->column_is_null(3)) {
    s.first = from_epoch_ms(stmt->column_int(3));
    s.last = from_epoch_ms(stmt->column_int(4));
  }
  return s;
}

}  // namespace ccgauge::ledger

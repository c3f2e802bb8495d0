#include "ledger/sqlite.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <sqlite3.h>

#include <mutex>

namespace ccgauge::ledger {
namespace {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  Errc code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? Errc::kUnavailable : Errc::kIo;
  return Error{code, fmt::format("{}: {}", what, detail)};
}

}  // namespace

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

class StatementCache {
 public:
  StatementCache() = default;
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache() {
    for (auto& [sql, stmt] : stmts_) {
      sqlite3_finalize(stmt);
    }
  }
  // A cached statement for `sql`, or null.
  sqlite3_stmt* take(std::string_view sql) {
    auto it = stmts_.find(std::string(sql));
    if (it == stmts_.end()) {
      return nullptr;
    }
    sqlite3_stmt* stmt = it->second;
    stmts_.erase(it);
    return stmt;
  }
  // Keeps `stmt`, reset (it holds no read transaction open); finalizes it when one for the same
  // SQL is kept already, or kMaxStatements are.
  void put(std::string sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (stmts_.size() >= kMaxStatements || !stmts_.emplace(std::move(sql), stmt).second) {
      sqlite3_finalize(stmt);
    }
  }

 private:
  static constexpr std::size_t kMaxStatements = 128;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
};

Database::~Database() = default;

Statement::~Statement() {
  if (!stmt_) {
    return;
  }
  if (auto cache = cache_.lock()) {
    cache->put(std::move(cache_key_), stmt_.release());
  }
}

// SQLite's own busy handler sleeps 1, 2, 5, 10, 15 ms and longer between tries, so a write lock
// held for a tenth of a millisecond costs the waiter a whole millisecond or more. The ledger's
// writers hold it for well under a millisecond: try again after 50 us, doubling up to 2 ms.
int Database::on_busy(void* arg, int attempt) {
  auto* busy = static_cast<BusyWait*>(arg);
  auto now = std::chrono::steady_clock::now();
  if (attempt == 0) {
    busy->since = now;
  }
  auto left = busy->timeout - (now - busy->since);
  if (left <= std::chrono::steady_clock::duration::zero()) {
    return 0;
  }
  std::chrono::microseconds pause(50 << std::min(attempt, 5));
  std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, left));
  return 1;
}

Result<Database> Database::open(const std::string& path, Mode mode, int busy_timeout_ms) {
  // Memory statistics take a global mutex on every SQLite allocation; nothing reads them.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= mode == Mode::kReadWrite ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                                    : SQLITE_OPEN_READONLY;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db;
  db.db_.reset(raw);
  db.path_ = path;
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(raw, rc, fmt::format("cannot open ledger {}", path)));
  }
  db.cache_ = std::make_shared<StatementCache>();
  db.busy_ = std::make_unique<BusyWait>();
  db.busy_->timeout = std::chrono::milliseconds(busy_timeout_ms);
  sqlite3_busy_handler(raw, &Database::on_busy, db.busy_.get());
  // Closing the last connection would copy the WAL into the database and sync it, on every
  // command; the automatic checkpoint (wal_autocheckpoint) does that as the WAL grows instead.
  // It is kept small (256 pages, 1 MiB): a process that opens the ledger while no other has it
  // open rebuilds the WAL index by reading the whole WAL, and the status line does that on
  // every call. A bulk load raises it (RequestWriter::begin_bulk).
  sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  if (mode == Mode::kReadWrite) {
    if (auto s = db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s) {
      return tl::unexpected(s.error());
    }
  }
  if (auto s = db.exec(
          "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000; PRAGMA wal_autocheckpoint=256;");
      !s) {
    return tl::unexpected(s.error());
  }
  return db;
}

void Database::defer_checkpoints() {
  wal_pages_ = std::make_unique<int>(0);
  sqlite3_wal_autocheckpoint(db_.get(), 0);
  sqlite3_wal_hook(
      db_.get(),
      [](void* pages, sqlite3*, const char*, int n) {
        *static_cast<int*>(pages) = n;
        return SQLITE_OK;
      },
      wal_pages_.get());
}

Status Database::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    Errc code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? Errc::kUnavailable : Errc::kIo;
    return fail(code, fmt::format("ledger {}: {}", path_, detail));
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) const {
  sqlite3_stmt* stmt = cache_ ? cache_->take(sql) : nullptr;
  if (stmt == nullptr) {
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return tl::unexpected(sqlite_error(db_.get(), rc, "prepare"));
    }
  }
  Statement out(stmt, db_.get());
  out.cache_ = cache_;
  out.cache_key_ = std::string(sql);
  return out;
}

Statement Database::prepare_deferred(std::string sql) const {
  Statement stmt(nullptr, db_.get());
  stmt.deferred_sql_ = std::move(sql);
  return stmt;
}

bool Statement::ensure_prepared() {
  if (stmt_) {
    return true;
  }
  if (prepare_rc_ != 0 || deferred_sql_.empty()) {
    return false;
  }
  sqlite3_stmt* stmt = nullptr;
  prepare_rc_ = sqlite3_prepare_v3(db_, deferred_sql_.data(),
                                   static_cast<int>(deferred_sql_.size()),
                                   SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (prepare_rc_ != SQLITE_OK) {
    // Kept now: the connection's message is overwritten by its next call.
    prepare_error_ = sqlite_error(db_, prepare_rc_, "prepare");
    return false;
  }
  stmt_.reset(stmt);
  deferred_sql_ = std::string();
  return true;
}

std::int64_t Database::changes() const { return sqlite3_changes64(db_.get()); }

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }

Statement& Statement::bind(int index, std::int64_t value) {
  if (!ensure_prepared()) {
    return *this;
  }
  sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (!ensure_prepared()) {
    return *this;
  }
  sqlite3_bind_double(stmt_.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (!ensure_prepared()) {
    return *this;
  }
  // An empty view may have a null data(); SQLite would store NULL for it.
  sqlite3_bind_text(stmt_.get(), index, text.data() != nullptr ? text.data() : "",
                    static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (!ensure_prepared()) {
    return *this;
  }
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind(int index, const std::optional<double>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Result<Statement::StepResult> Statement::step() {
  if (!ensure_prepared()) {
    return tl::unexpected(prepare_rc_ != 0 ? prepare_error_
                                           : Error{Errc::kInternal, "step: no statement"});
  }
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) {
    return StepResult::kRow;
  }
  if (rc == SQLITE_DONE) {
    return StepResult::kDone;
  }
  return tl::unexpected(sqlite_error(db_, rc, "step"));
}

Status Statement::run() {
  return for_each_row([] {});
}

void Statement::reset() {
  if (!stmt_) {
    return;
  }
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }

double Statement::column_double(int col) const { return sqlite3_column_double(stmt_.get(), col); }

std::string_view Statement::column_text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), col);
  int size = sqlite3_column_bytes(stmt_.get(), col);
  return text == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(text),
                                            static_cast<std::size_t>(size));
}

bool Statement::column_is_null(int col) const {
  return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}

TokenCounts read_tokens(const Statement& stmt, int c) {
  return TokenCounts{stmt.column_int(c),     stmt.column_int(c + 1), stmt.column_int(c + 2),
                     stmt.column_int(c + 3), stmt.column_int(c + 4), stmt.column_int(c + 5),
                     stmt.column_int(c + 6)};
}

Statement& bind_tokens(Statement& stmt, int i, const TokenCounts& t) {
  return stmt.bind(i, t.input)
      .bind(i + 1, t.output)
      .bind(i + 2, t.cache_write_5m)
      .bind(i + 3, t.cache_write_1h)
      .bind(i + 4, t.cache_read)
      .bind(i + 5, t.web_search_requests)
      .bind(i + 6, t.web_fetch_requests);
}

}  // namespace ccgauge::ledger

#pragma once
// A small RAII wrapper over the SQLite C API: a connection, prepared statements, and every
// return code mapped to Result. sqlite3.h stays in sqlite.cpp.
//
// A Database and its Statements belong to one thread at a time.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/types.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ccgauge::ledger {

class Statement;
// Statements a Database prepared that their callers are done with, reset, by their SQL (sqlite.cpp).
class StatementCache;

class Database {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (creating when kReadWrite) the file, sets WAL, synchronous=NORMAL, a busy timeout.
  static Result<Database> open(const std::string& path, Mode mode, int busy_timeout_ms = 5000);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;
  ~Database();

  Status exec(std::string_view sql);
  // A statement for `sql`: one this connection prepared before and its user is done with, when
  // there is one (preparing takes SQLite 20 to 100 us; the daemon and the status line run the
  // same queries again and again), else a new one.
  Result<Statement> prepare(std::string_view sql) const;
  // A statement prepared when it is first bound or stepped: a writer keeps many statements and
  // a short command uses few, and SQLite takes 20 to 100 us to prepare each. An error in the
  // SQL is reported by its first step().
  Statement prepare_deferred(std::string sql) const;
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_.get(); }

  // Stops automatic checkpoints on this connection and counts the WAL's pages after each of
  // its commits (wal_pages()), so the caller can checkpoint when it suits it.
  void defer_checkpoints();
  int wal_pages() const { return wal_pages_ ? *wal_pages_ : 0; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  Database() = default;
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
  std::unique_ptr<int> wal_pages_;  // heap: the WAL hook keeps its address across moves
  struct BusyWait {
    std::chrono::steady_clock::duration timeout{};
    std::chrono::steady_clock::time_point since{};  // when the current wait began
  };
  static int on_busy(void* arg, int attempt);
  std::unique_ptr<BusyWait> busy_;  // heap, as wal_pages_
  // Shared with the statements it handed out (weakly), which may outlive the connection.
  std::shared_ptr<StatementCache> cache_;
};

// A prepared statement. Bind indexes start at 1, columns at 0 (SQLite's convention).
class Statement {
 public:
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  // SQLite does not copy the text: it must stay alive and unchanged until the statement is
  // reset or bound again (every caller binds and runs in one scope).
  Statement& bind(int index, std::string_view text);
  Statement& bind_null(int index);
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  Statement& bind(int index, const std::optional<double>& value);

  // kRow: a row is ready; kDone: finished.
  enum class StepResult { kRow, kDone };
  Result<StepResult> step();
  // Runs to completion, ignoring rows.
  Status run();
  // Steps through every row, calling fn() while it is current (fn reads the columns), then
  // resets the statement.
  template <class Fn>
  Status for_each_row(Fn&& fn) {
    for (;;) {
      auto r = step();
      if (!r) {
        reset();
        return tl::unexpected(r.error());
      }
      if (*r == StepResult::kDone) {
        reset();
        return {};
      }
      fn();
    }
  }
  void reset();

  // Columns are read only after step() returned kRow.
  std::int64_t column_int(int col) const;
  double column_double(int col) const;
  std::string_view column_text(int col) const;
  bool column_is_null(int col) const;

 private:
  friend class Database;
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  // Prepares a deferred statement; false (and the error kept for step()) if SQLite refused.
  bool ensure_prepared();
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  // Owned by the Database. A prepared statement may outlive it (sqlite3_close_v2 keeps the
  // connection until its last statement is finalized); a deferred one not yet prepared may not.
  sqlite3* db_ = nullptr;
  std::weak_ptr<StatementCache> cache_;  // where it goes back when destroyed (prepare())
  std::string cache_key_;               // its SQL
  std::string deferred_sql_;  // set until a deferred statement is prepared
  int prepare_rc_ = 0;        // SQLite's code when preparing the deferred statement failed,
  Error prepare_error_;       // and its message
};

// Runs fn inside BEGIN IMMEDIATE ... COMMIT; rolls back when fn fails.
template <class Fn>
Status in_transaction(Database& db, Fn&& fn) {
  if (auto s = db.exec("BEGIN IMMEDIATE"); !s) {
    return s;
  }
  Status result = fn();
  if (!result) {
    (void)db.exec("ROLLBACK");
    return result;
  }
  return db.exec("COMMIT");
}

// The seven token columns, stored in this order in every table that has them: input, output,
// cache_write_5m, cache_write_1h, cache_read, web_search, web_fetch.
TokenCounts read_tokens(const Statement& stmt, int first_col);
Statement& bind_tokens(Statement& stmt, int first_index, const TokenCounts& tokens);

}  // namespace ccgauge::ledger

#pragma once
// The ledger's `events` table: things that happened, as opposed to requests that cost money.
// Claude Code's hook events, harness runs' events and (later) OTLP events share one table:
//
//   id, key (unique when set), ts (epoch ms), source ('hook', 'harness', 'otlp'), name,
//   session, project, host, user, tool, tool_use_id, task_id, label, success (NULL: not told),
//   duration_ms (NULL: not told), error, attributes (a JSON object of whatever else the source
//   said), indexed on ts, (session, ts) and (source, ts).
//
// An event written twice with the same non-empty key is kept once: that is what makes the spool
// below and retried deliveries exactly-once.
//
// The spool: a short-lived command that must not wait (`ccgauge hook`, `ccgauge emit`) and
// finds the ledger busy appends its event as one JSON line to
// `<spool dir>/<ledger id>.jsonl` (O_APPEND, one write per line) and leaves. drain_spool moves
// spooled events into the ledger: it claims a spool file by renaming it, inserts its lines in one
// transaction and removes it. A crash anywhere leaves the file (or its claimed copy) in place
// for the next drain, and the keys make a second insert of a line a no-op. `<ledger id>` is a
// hash of the ledger's absolute path, so events reach the ledger they were meant for.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "ledger/paths.h"
#include "ledger/ledger.h"

namespace ccgauge::ledger {

struct EventRow {
  std::int64_t id = 0;  // set by readers; ignored by writers
  std::string key;      // idempotency key; empty: none (the row is never deduplicated)
  Instant instant{};
  std::string source;  // "hook", "harness", "otlp"
  std::string name;    // hook_event_name, the harness event, the OTLP event name
  std::string session;
  std::string project;
  std::string host;
  std::string user;
  std::string tool;
  std::string tool_use_id;
  std::string task_id;
  std::string label;
  std::optional<bool> success;
  std::optional<std::int64_t> duration_ms;
  std::string error;
  std::string attributes = "{}";  // a JSON object, compact
};

// A fresh random key: 32 hex digits.
std::string new_event_key();

// Inserts the rows in one transaction; rows whose key is already stored are skipped. Returns
// how many were inserted.
Result<std::int64_t> insert_events(Ledger& ledger, const std::vector<EventRow>& rows);

struct EventQuery {
  std::optional<Instant> from;  // inclusive
  std::optional<Instant> to;    // exclusive
  std::optional<std::string> source;
  std::optional<std::string> session;
  std::optional<std::string> exclude_source;  // rows of any source but this one
  std::optional<std::int64_t> after_id;  // only rows with a larger id (tailing new events)
};

// The largest event id in the ledger (0 when it has none).
Result<std::int64_t> newest_event_id(const Ledger& ledger);

// Streams matching events in (ts, id) order, or in id order with after_id.
Status for_each_event(const Ledger& ledger, const EventQuery& query,
                      const std::function<void(const EventRow&)>& fn);

// The row as one line of compact JSON (no newline): the spool's format, also fit for a
// WebSocket message. `attributes` is embedded as an object.
std::string event_json(const EventRow& row);
// Reads event_json's output back. Errors name what is wrong.
Result<EventRow> parse_event_json(std::string_view json);

// --- Writing from short-lived processes -------------------------------------------------------

struct DirectWriteOptions {
  // The longest wait for the write lock (SQLite's busy timeout).
  int busy_timeout_ms = 40;
  // When set, and this ledger's spool file there is small (≤ 64 KiB), its events are moved in
  // with this one, so a busy spell's spool empties itself without a daemon.
  std::string spool_dir;
};

// Inserts one event into the ledger file at `ledger_path` on a connection of its own, for
// processes that must finish in milliseconds: no migration, no repricing, one statement
// prepared. This connection never checkpoints by itself; when the WAL has grown, a checkpoint is
// handed to a detached child. Returns whether the row was new (false: its key was stored).
// kUnavailable when the ledger does not exist yet, predates the events table, or stayed locked
// for busy_timeout_ms: the caller spools the event then.
Result<bool> write_event_direct(const std::string& ledger_path, const EventRow& row,
                                const DirectWriteOptions& options = {});

// --- The spool ----------------------------------------------------------------------------------

// default_spool_dir(), spool_file_for(), statusline_socket_for(): ledger/paths.h.

// Appends the row as one line to the ledger's spool file (creating the directory), with one
// write on an O_APPEND descriptor under a shared lock, so concurrent writers never interleave
// and a drain never loses a line being written. A row without a key gets one first: the key is
// what makes draining exactly-once. Never blocks on a drain: it writes to a fresh file instead.
Status spool_event(const std::string& spool_dir, const std::string& ledger_path, EventRow row);

// The daemon's claim on a ledger's spool: an exclusive flock on `<spool_dir>/<ledger id>.daemon`,
// held while a daemon watches that spool and moves what comes into the ledger at once. While it
// is held, short-lived writers (`ccgauge hook`, `emit`) spool their events instead of opening the
// ledger themselves: one append instead of an SQLite open, insert and commit, and the daemon
// records the event within milliseconds. Released when destroyed (or when the process dies).
class SpoolClaim {
 public:
  // kUnavailable when another process holds the claim.
  static Result<SpoolClaim> acquire(const std::string& spool_dir, const std::string& ledger_path);
  SpoolClaim(SpoolClaim&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  SpoolClaim& operator=(SpoolClaim&& other) noexcept;
  SpoolClaim(const SpoolClaim&) = delete;
  SpoolClaim& operator=(const SpoolClaim&) = delete;
  ~SpoolClaim();

 private:
  explicit SpoolClaim(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Whether a daemon holds the spool claim of this ledger (a few microseconds: one open and a
// non-blocking lock attempt).
bool spool_is_claimed(const std::string& spool_dir, const std::string& ledger_path);

struct DrainStats {
  std::int64_t files = 0;       // spool files drained
  std::int64_t lines = 0;       // lines read
  std::int64_t inserted = 0;    // events new to the ledger
  std::int64_t duplicates = 0;  // lines whose key was already stored (a re-drain after a crash)
  std::int64_t malformed = 0;   // lines that were not events (dropped; see problems)
  std::vector<std::string> problems;  // one line each, for a log
};

// Moves the events spooled for this ledger into it, exactly once, and removes the drained
// files. Safe to run from several processes at once (each spool file is claimed by one); a
// drain that died half-way is finished by the next one. Call it before reading events (the
// `tools` and `harness` commands do) and periodically in the daemon.
Result<DrainStats> drain_spool(Ledger& ledger, const std::string& spool_dir = default_spool_dir());

}  // namespace ccgauge::ledger

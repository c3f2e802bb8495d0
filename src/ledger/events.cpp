#include "ledger/events.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/json_writer.h"

namespace ccgauge::ledger {
namespace {

namespace dom = simdjson::dom;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kInsertEvent = R"sql(
INSERT INTO events(key, ts, source, name, session, project, host, user, tool, tool_use_id,
  task_id, label, success, duration_ms, error, attributes)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
ON CONFLICT(key) DO NOTHING
)sql";

// A spool file this small is drained by a direct writer on its way out.
constexpr off_t kSmallSpoolBytes = 64 * 1024;
// A direct writer that leaves the WAL this large hands a checkpoint to a child process.
constexpr int kCheckpointPages = 128;

void bind_event(Statement& stmt, const EventRow& row) {
  if (row.key.empty()) {
    stmt.bind_null(1);
  } else {
    stmt.bind(1, row.key);
  }
  stmt.bind(2, to_epoch_ms(row.instant))
      .bind(3, row.source)
      .bind(4, row.name)
      .bind(5, row.session)
      .bind(6, row.project)
      .bind(7, row.host)
      .bind(8, row.user)
      .bind(9, row.tool)
      .bind(10, row.tool_use_id)
      .bind(11, row.task_id)
      .bind(12, row.label);
  if (row.success) {
    stmt.bind(13, std::int64_t{*row.success ? 1 : 0});
  } else {
    stmt.bind_null(13);
  }
  stmt.bind(14, row.duration_ms)
      .bind(15, row.error)
      .bind(16, row.attributes.empty() ? std::string_view("{}") : std::string_view(row.attributes));
}

Result<std::int64_t> insert_rows(Database& db, const std::vector<EventRow>& rows) {
  if (rows.empty()) {
    return 0;
  }
  auto stmt = db.prepare(kInsertEvent);
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  std::int64_t inserted = 0;
  Status s = in_transaction(db, [&]() -> Status {
    for (const EventRow& row : rows) {
      bind_event(*stmt, row);
      if (auto r = stmt->run(); !r) {
        return r;
      }
      inserted += db.changes();
    }
    return {};
  });
  if (!s) {
    return tl::unexpected(s.error());
  }
  return inserted;
}

std::string text_of(dom::element parent, std::string_view key) {
  std::string_view s;
  return parent[key].get_string().get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

// --- Spool files --------------------------------------------------------------------------------

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Takes the exclusive lock of a claimed spool file, waiting up to `wait` for appenders that
// still hold their shared lock (they hold it for one write).
bool lock_exclusive(int fd, std::chrono::milliseconds wait) {
  auto deadline = SteadyClock::now() + wait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return false;
    }
    if (SteadyClock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

Result<std::string> read_all(int fd) {
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail(Errc::kIo, fmt::format("cannot read a spool file: {}", std::strerror(errno)));
    }
    if (n == 0) {
      return data;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
}

// Inserts the lines of a claimed spool file that this process holds locked, then removes it.
Status drain_claimed(Database& db, const std::string& path, int fd, DrainStats& stats) {
  auto data = read_all(fd);
  if (!data) {
    return tl::unexpected(data.error());
  }
  std::vector<EventRow> rows;
  std::string_view rest = *data;
  std::int64_t line_no = 0;
  while (!rest.empty()) {
    std::size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    ++line_no;
    if (line.empty()) {
      continue;
    }
    ++stats.lines;
    auto row = parse_event_json(line);
    if (!row || row->key.empty()) {
      ++stats.malformed;
      stats.problems.push_back(fmt::format("{}:{}: dropped: {}", path, line_no,
                                           row ? "no key" : row.error().message));
      continue;
    }
    rows.push_back(std::move(*row));
  }
  auto inserted = insert_rows(db, rows);
  if (!inserted) {
    return tl::unexpected(inserted.error());
  }
  stats.inserted += *inserted;
  stats.duplicates += static_cast<std::int64_t>(rows.size()) - *inserted;
  ++stats.files;
  // Only now: a crash before this line leaves the file for the next drain, whose inserts of
  // these keys are no-ops.
  ::unlink(path.c_str());
  return {};
}

// Opens a claimed file and drains it if this process gets its lock and it is still there.
Status drain_file(Database& db, const std::string& path, std::chrono::milliseconds lock_wait,
                  DrainStats& stats) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return {};  // Drained meanwhile by another process.
  }
  Status s;
  struct stat by_fd {};
  struct stat by_path {};
  if (lock_exclusive(fd, lock_wait) && ::fstat(fd, &by_fd) == 0 && by_fd.st_nlink > 0 &&
      ::stat(path.c_str(), &by_path) == 0 && same_file(by_fd, by_path)) {
    s = drain_claimed(db, path, fd, stats);
  }
  ::close(fd);
  return s;
}

Result<DrainStats> drain_dir(Database& db, const std::string& spool_dir,
                             const std::string& ledger_path, std::chrono::milliseconds lock_wait) {
  DrainStats stats;
  std::string id = ledger_id(ledger_path);
  std::string live = id + ".jsonl";
  std::string claimed_prefix = id + ".claimed-";
  std::vector<std::string> stale;
  if (DIR* dir = ::opendir(spool_dir.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name.starts_with(claimed_prefix) && name.ends_with(".jsonl")) {
        stale.emplace_back(name);
      }
    }
    ::closedir(dir);
  }
  // Claimed files found before this drain claims its own: left by a drain that died, or being
  // drained right now (then their lock is held and they are skipped).
  for (const std::string& name : stale) {
    if (auto s = drain_file(db, spool_dir + "/" + name, std::chrono::milliseconds(0), stats); !s) {
      return tl::unexpected(s.error());
    }
  }
  static std::atomic<int> counter{0};
  std::string claimed = fmt::format(
      "{}/{}{}-{}-{}.jsonl", spool_dir, claimed_prefix, ::getpid(),
      std::chrono::steady_clock::now().time_since_epoch().count(), counter.fetch_add(1));
  if (::rename((spool_dir + "/" + live).c_str(), claimed.c_str()) == 0) {
    if (auto s = drain_file(db, claimed, lock_wait, stats); !s) {
      return tl::unexpected(s.error());
    }
  }
  return stats;
}

}  // namespace

std::string new_event_key() {
  unsigned char bytes[16];
  if (::getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != static_cast<ssize_t>(sizeof(bytes))) {
    // No entropy yet (early boot): time, process and a counter are unique enough here.
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t a = static_cast<std::uint64_t>(
        std::chrono::system_clock::now().time_since_epoch().count());
    std::uint64_t b = (static_cast<std::uint64_t>(::getpid()) << 32) ^ counter.fetch_add(1);
    std::memcpy(bytes, &a, 8);
    std::memcpy(bytes + 8, &b, 8);
  }
  std::string key;
  key.reserve(32);
  for (unsigned char b : bytes) {
    fmt::format_to(std::back_inserter(key), "{:02x}", b);
  }
  return key;
}

Result<std::int64_t> insert_events(Ledger& ledger, const std::vector<EventRow>& rows) {
  return insert_rows(ledger.database(), rows);
}

Status for_each_event(const Ledger& ledger, const EventQuery& query,
                      const std::function<void(const EventRow&)>& fn) {
  // Tailing walks the table by id from after_id: the other terms get a unary + so SQLite never
  // picks their index instead (which would visit and sort every row of a source, each time).
  std::string_view plus = query.after_id ? "+" : "";
  std::string sql = fmt::format(
      "SELECT id, key, ts, source, name, session, project, host, user, tool, tool_use_id, "
      "task_id, label, success, duration_ms, error, attributes FROM events "
      "WHERE {0}ts >= ?1 AND {0}ts < ?2",
      plus);
  if (query.source) {
    sql += fmt::format(" AND {}source = ?3", plus);
  }
  if (query.session) {
    sql += fmt::format(" AND {}session = ?4", plus);
  }
  if (query.exclude_source) {
    sql += " AND source != ?6";
  }
  if (query.after_id) {
    sql += " AND id > ?5 ORDER BY id";
  } else {
    sql += " ORDER BY ts, id";
  }
  auto stmt = ledger.database().prepare(sql);
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  stmt->bind(1, query.from ? to_epoch_ms(*query.from) : INT64_MIN);
  stmt->bind(2, query.to ? to_epoch_ms(*query.to) : INT64_MAX);
  if (query.source) {
    stmt->bind(3, *query.source);
  }
  if (query.session) {
    stmt->bind(4, *query.session);
  }
  if (query.after_id) {
    stmt->bind(5, *query.after_id);
  }
  if (query.exclude_source) {
    stmt->bind(6, *query.exclude_source);
  }
  EventRow row;
  return stmt->for_each_row([&] {
    row.id = stmt->column_int(0);
    row.key.assign(stmt->column_text(1));
    row.instant = from_epoch_ms(stmt->column_int(2));
    row.source.assign(stmt->column_text(3));
    row.name.assign(stmt->column_text(4));
    row.session.assign(stmt->column_text(5));
    row.project.assign(stmt->column_text(6));
    row.host.assign(stmt->column_text(7));
    row.user.assign(stmt->column_text(8));
    row.tool.assign(stmt->column_text(9));
    row.tool_use_id.assign(stmt->column_text(10));
    row.task_id.assign(stmt->column_text(11));
    row.label.assign(stmt->column_text(12));
    row.success = stmt->column_is_null(13) ? std::nullopt
                                           : std::optional<bool>(stmt->column_int(13) != 0);
    row.duration_ms = stmt->column_is_null(14)
                          ? std::nullopt
                          : std::optional<std::int64_t>(stmt->column_int(14));
    row.error.assign(stmt->column_text(15));
    row.attributes.assign(stmt->column_text(16));
    fn(row);
  });
}

Result<std::int64_t> newest_event_id(const Ledger& ledger) {
  auto stmt = ledger.database().prepare("SELECT coalesce(max(id), 0) FROM events");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  std::int64_t id = 0;
  if (auto s = stmt->for_each_row([&] { id = stmt->column_int(0); }); !s) {
    return tl::unexpected(s.error());
  }
  return id;
}

std::string event_json(const EventRow& row) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  if (row.id != 0) {
    w.key("id").value(row.id);
  }
  w.key("key").value(row.key);
  w.key("ts").value(to_epoch_ms(row.instant));
  w.key("source").value(row.source);
  w.key("name").value(row.name);
  const std::pair<std::string_view, const std::string*> texts[] = {
      {"session", &row.session}, {"project", &row.project},         {"host", &row.host},
      {"user", &row.user},       {"tool", &row.tool},               {"tool_use_id", &row.tool_use_id},
      {"task_id", &row.task_id}, {"label", &row.label},             {"error", &row.error}};
  for (const auto& [key, value] : texts) {
    if (!value->empty()) {
      w.key(key).value(*value);
    }
  }
  if (row.success) {
    w.key("success").value(*row.success);
  }
  if (row.duration_ms) {
    w.key("duration_ms").value(*row.duration_ms);
  }
  w.key("attributes").raw(row.attributes.empty() ? std::string_view("{}") : row.attributes);
  w.end_object();
  return w.take();
}

Result<EventRow> parse_event_json(std::string_view json) {
  dom::parser parser;
  dom::element root;
  if (auto e = parser.parse(json.data(), json.size()).get(root)) {
    return fail(Errc::kInvalidInput, fmt::format("not JSON: {}", simdjson::error_message(e)));
  }
  if (!root.is_object()) {
    return fail(Errc::kInvalidInput, "not a JSON object");
  }
  EventRow row;
  std::int64_t ts = 0;
  if (root["ts"].get_int64().get(ts) != simdjson::SUCCESS) {
    return fail(Errc::kInvalidInput, "no \"ts\"");
  }
  row.instant = from_epoch_ms(ts);
  row.source = text_of(root, "source");
  row.name = text_of(root, "name");
  if (row.source.empty() || row.name.empty()) {
    return fail(Errc::kInvalidInput, "no \"source\" or \"name\"");
  }
  if (root["id"].get_int64().get(row.id) != simdjson::SUCCESS) {
    row.id = 0;
  }
  row.key = text_of(root, "key");
  row.session = text_of(root, "session");
  row.project = text_of(root, "project");
  row.host = text_of(root, "host");
  row.user = text_of(root, "user");
  row.tool = text_of(root, "tool");
  row.tool_use_id = text_of(root, "tool_use_id");
  row.task_id = text_of(root, "task_id");
  row.label = text_of(root, "label");
  row.error = text_of(root, "error");
  bool success = false;
  if (root["success"].get_bool().get(success) == simdjson::SUCCESS) {
    row.success = success;
  }
  std::int64_t duration = 0;
  if (root["duration_ms"].get_int64().get(duration) == simdjson::SUCCESS) {
    row.duration_ms = duration;
  }
  dom::element attributes;
  if (root["attributes"].get(attributes) == simdjson::SUCCESS && attributes.is_object()) {
    row.attributes = simdjson::minify(attributes);
  }
  return row;
}

namespace {

// The insert of write_event_direct, on a connection that is closed when this returns. Sets
// `wal_pages` to the WAL's size after the commit.
Result<bool> insert_direct(const std::string& ledger_path, const EventRow& row,
                           const DirectWriteOptions& options, int& wal_pages) {
  auto db = Database::open(ledger_path, Database::Mode::kReadWrite, options.busy_timeout_ms);
  if (!db) {
    return fail(Errc::kUnavailable, db.error().message);
  }
  db->defer_checkpoints();
  auto stmt = db->prepare(kInsertEvent);
  if (!stmt) {
    return fail(Errc::kUnavailable,
                fmt::format("ledger {} has no events table yet (any other ccgauge command "
                            "upgrades it): {}",
                            ledger_path, stmt.error().message));
  }
  bind_event(*stmt, row);
  if (auto s = stmt->run(); !s) {
    return fail(Errc::kUnavailable, s.error().message);
  }
  bool inserted = db->changes() > 0;
  if (!options.spool_dir.empty()) {
    struct stat spool {};
    std::string spool_path = spool_file_for(options.spool_dir, ledger_path);
    if (::stat(spool_path.c_str(), &spool) == 0 && spool.st_size <= kSmallSpoolBytes) {
      // Best effort: the row above is in; a spool left behind waits for the next drain.
      (void)drain_dir(*db, options.spool_dir, ledger_path, std::chrono::milliseconds(10));
    }
  }
  wal_pages = db->wal_pages();
  return inserted;
}

}  // namespace

Result<bool> write_event_direct(const std::string& ledger_path, const EventRow& row,
                                const DirectWriteOptions& options) {
  struct stat st {};
  if (::stat(ledger_path.c_str(), &st) != 0) {
    return fail(Errc::kUnavailable, fmt::format("no ledger at {} yet", ledger_path));
  }
  int wal_pages = 0;
  auto inserted = insert_direct(ledger_path, row, options, wal_pages);
  if (!inserted) {
    return inserted;
  }
  // Every process that opens the ledger while no other has it open reads the whole WAL back, so
  // it is kept short: past kCheckpointPages (left by this write or by another command) a child
  // process checkpoints and truncates it. Only once the connection above is closed: a child
  // forked while this process has the ledger open inherits SQLite's record of that connection's
  // locks, takes them for its own and checkpoints without holding them, which loses writes.
  struct stat wal {};
  if (wal_pages >= kCheckpointPages ||
      (::stat((ledger_path + "-wal").c_str(), &wal) == 0 &&
       wal.st_size >= kCheckpointPages * 4096)) {
    checkpoint_in_background(ledger_path);
  }
  return inserted;
}

namespace {

std::string claim_file_for(const std::string& spool_dir, const std::string& ledger_path) {
  return spool_dir + "/" + ledger_id(ledger_path) + ".daemon";
}

}  // namespace

Result<SpoolClaim> SpoolClaim::acquire(const std::string& spool_dir,
                                       const std::string& ledger_path) {
  std::error_code ec;
  std::filesystem::create_directories(spool_dir, ec);
  std::string path = claim_file_for(spool_dir, ledger_path);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::kIo, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return fail(Errc::kUnavailable,
                fmt::format("another daemon drains the spool of {} ({} is locked)", ledger_path,
                            path));
  }
  return SpoolClaim(fd);
}

SpoolClaim& SpoolClaim::operator=(SpoolClaim&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

SpoolClaim::~SpoolClaim() {
  if (fd_ >= 0) {
    ::close(fd_);  // releases the lock
  }
}

bool spool_is_claimed(const std::string& spool_dir, const std::string& ledger_path) {
  int fd = ::open(claim_file_for(spool_dir, ledger_path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

Status spool_event(const std::string& spool_dir, const std::string& ledger_path, EventRow row) {
  if (row.key.empty()) {
    row.key = new_event_key();
  }
  std::string line = event_json(row);
  line += '\n';
  std::string path = spool_file_for(spool_dir, ledger_path);
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT) {
      std::error_code ec;
      std::filesystem::create_directories(spool_dir, ec);
      fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    }
    if (fd < 0) {
      return fail(Errc::kIo, fmt::format("cannot open spool file {}: {}", path,
                                         std::strerror(errno)));
    }
    // A drain renames the file before it locks it, so a lock refused, or a file no longer at
    // `path`, means this descriptor's file was claimed: write to the fresh one instead.
    struct stat by_fd {};
    struct stat by_path {};
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0 || ::fstat(fd, &by_fd) != 0 ||
        ::stat(path.c_str(), &by_path) != 0 || !same_file(by_fd, by_path)) {
      ::close(fd);
      continue;
    }
    ssize_t written = ::write(fd, line.data(), line.size());
    int write_errno = errno;
    ::close(fd);
    if (written != static_cast<ssize_t>(line.size())) {
      return fail(Errc::kIo, fmt::format("cannot append to spool file {}: {}", path,
                                         written < 0 ? std::strerror(write_errno) : "short write"));
    }
    return {};
  }
  return fail(Errc::kUnavailable, fmt::format("spool file {} kept being claimed", path));
}

Result<DrainStats> drain_spool(Ledger& ledger, const std::string& spool_dir) {
  return drain_dir(ledger.database(), spool_dir, ledger.path(), std::chrono::milliseconds(2000));
}

}  // namespace ccgauge::ledger

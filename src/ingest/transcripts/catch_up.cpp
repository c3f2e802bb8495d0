#include "ingest/transcripts/catch_up.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "ingest/transcripts/line_parser.h"
#include "ingest/transcripts/record_pack.h"

namespace ccgauge::ingest {
namespace {

// Bytes read at once: small enough that what one read brings stays in the core's L2 cache while
// it is scanned and parsed (4 MiB reads cost twice the CPU in the kernel's copy alone).
constexpr std::size_t kInitialBuffer = 256 << 10;
// A worker cuts a large file's records into chunks of about this many packed bytes, and hands
// over the chunks of small files in bundles of about as many (see Bundle).
constexpr std::size_t kChunkBytes = 256 << 10;
constexpr std::size_t kRecordsPerCommit = 20'000;
constexpr std::size_t kRecordsWhenIdle = 2'000;  // a smaller batch, committed rather than waiting
constexpr std::int64_t kMalformedKeptPerFile = 100;  // rows stored per file, the rest counted
constexpr std::size_t kQueueCapacity = 16;  // bundles: 4 MiB of packed records, give or take
constexpr std::int64_t kInlineBytes = 8 << 20;  // below this, no worker threads

// One file to read, from where.
struct Work {
  const TranscriptFile* file = nullptr;
  ledger::Cursor cursor;  // offset/lines to start from; project if known
  bool reset = false;
};

// What a worker hands the committing thread: one region of one file, complete lines only.
struct ChunkResult {
  std::string packed_records;  // pack_record() output
  std::int64_t record_count = 0;
  std::vector<ledger::MalformedLine> malformed;
  std::vector<ledger::LimitSample> limits;
  ledger::Cursor cursor;  // after this region
  std::int64_t bytes = 0;
  std::int64_t lines = 0;
  std::int64_t usage_lines = 0;
  std::int64_t malformed_count = 0;
  bool last_of_file = false;
  bool file_had_bytes = false;  // with last_of_file: some complete line of the file was read
  std::optional<DiscoveryProblem> problem;
};

// What a worker hands over at once: the chunks of several small files, or one chunk of a large
// one (about kChunkBytes of packed records either way), so that the committing thread wakes up
// a few hundred times rather than once per file.
using Bundle = std::vector<ChunkResult>;

// A bounded multi-producer, single-consumer queue of bundles.
class ChunkQueue {
 public:
  explicit ChunkQueue(int producers) : producers_(producers) {}

  void push(Bundle&& b) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < kQueueCapacity; });
    items_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  // A producer pushes nothing after this.
  void producer_done() {
    std::lock_guard lock(mutex_);
    --producers_;
    not_empty_.notify_one();
  }
  // Waits up to `timeout` for a bundle; nullopt when none came, with `finished` set when none
  // ever will (every producer is done and the queue is empty).
  std::optional<Bundle> pop(std::chrono::milliseconds timeout, bool& finished) {
    std::unique_lock lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] { return !items_.empty() || producers_ == 0; });
    if (items_.empty()) {
      finished = producers_ == 0;
      return std::nullopt;
    }
    Bundle b = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return b;
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<Bundle> items_;  // Guarded by mutex_.
  int producers_;             // Guarded by mutex_.
};

std::int64_t mtime_ns_of(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// The bytes read from a file, with kLinePadding spare bytes at the end for simdjson. Not
// zeroed: every byte is written before it is parsed, and the padding's value is irrelevant.
class ReadBuffer {
 public:
  explicit ReadBuffer(std::size_t capacity)
      : data_(new char[capacity + kLinePadding]), capacity_(capacity) {}
  char* data() { return data_.get(); }
  std::size_t capacity() const { return capacity_; }
  // Doubles the capacity, keeping the first `keep` bytes.
  void grow(std::size_t keep) {
    std::unique_ptr<char[]> bigger(new char[capacity_ * 2 + kLinePadding]);
    std::memcpy(bigger.get(), data_.get(), keep);
    data_ = std::move(bigger);
    capacity_ *= 2;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_;
};

// Reads one file from its cursor and emits ChunkResults through `emit`.
class FileReader {
 public:
  explicit FileReader(LineParser& parser) : parser_(parser) {}

  template <class Emit>
  void read(const Work& work, ReadBuffer& buffer, Emit&& emit) {
    const TranscriptFile& file = *work.file;
    ledger::Cursor cursor = work.cursor;
    int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      ChunkResult r;
      r.problem = DiscoveryProblem{file.path, fmt::format("cannot open: {}", std::strerror(errno))};
      r.last_of_file = true;
      emit(std::move(r));
      return;
    }
    struct stat st {};
    ::fstat(fd, &st);
    cursor.device = static_cast<std::uint64_t>(st.st_dev);
    cursor.inode = static_cast<std::uint64_t>(st.st_ino);
    if (static_cast<std::int64_t>(st.st_size) < cursor.offset) {
      cursor.offset = 0;  // truncated since the walk
      cursor.lines = 0;
    }
    read_from(fd, file, cursor, buffer, emit);
    ::close(fd);
  }

 private:
  template <class Emit>
  void read_from(int fd, const TranscriptFile& file, ledger::Cursor& cursor,
                 ReadBuffer& buffer, Emit&& emit) {
    std::size_t carry = 0;  // bytes at buffer[0] that belong to a line not yet complete
    std::int64_t base = cursor.offset;
    std::int64_t malformed_kept = 0;
    bool had_bytes = false;
    ChunkResult r;  // what the reads since the last emit found
    auto emit_chunk = [&] {
      flush_pending(r);
      r.cursor = cursor;
      emit(std::move(r));
      r = ChunkResult();
    };
    for (;;) {
      if (carry == buffer.capacity()) {
        buffer.grow(carry);  // One line is longer than the buffer: keep reading.
      }
      ssize_t n = ::pread(fd, buffer.data() + carry, buffer.capacity() - carry,
                          static_cast<off_t>(base + static_cast<std::int64_t>(carry)));
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (r.bytes > 0) {
          emit_chunk();
        }
        ChunkResult failed;
        failed.file_had_bytes = had_bytes;
        failed.problem =
            DiscoveryProblem{file.path, fmt::format("read failed: {}", std::strerror(errno))};
        failed.cursor = cursor;
        failed.last_of_file = true;
        emit(std::move(failed));
        return;
      }
      std::size_t total = carry + static_cast<std::size_t>(n);
      const char* data = buffer.data();
      const void* last_nl = total ? ::memrchr(data, '\n', total) : nullptr;
      bool eof = n == 0;
      if (last_nl == nullptr) {
        carry = total;
        if (eof) {
          break;  // Only a partial line remains: it waits for its newline.
        }
        continue;
      }
      std::size_t complete = static_cast<std::size_t>(static_cast<const char*>(last_nl) - data) + 1;
      scan_lines(std::string_view(data, complete), file, cursor, malformed_kept, r);
      cursor.offset = base + static_cast<std::int64_t>(complete);
      r.bytes += static_cast<std::int64_t>(complete);
      had_bytes = true;
      base = cursor.offset;
      carry = total - complete;
      std::memmove(buffer.data(), data + complete, carry);
      if (r.packed_records.size() >= kChunkBytes) {
        emit_chunk();
      }
      if (eof) {
        break;
      }
    }
    // The size recorded is what was read, not what fstat says now: a line appended after the
    // read reached the end must make the next run read again, so it must not be counted as seen.
    struct stat st {};
    ::fstat(fd, &st);
    cursor.size = base + static_cast<std::int64_t>(carry);
    cursor.mtime_ns = mtime_ns_of(st);
    r.last_of_file = true;
    r.file_had_bytes = had_bytes;
    emit_chunk();
  }

  // Parses the complete lines in `region` (which ends with a newline).
  void scan_lines(std::string_view region, const TranscriptFile& file, ledger::Cursor& cursor,
                  std::int64_t& malformed_kept, ChunkResult& r) {
    const char* const begin = region.data();
    const char* const end = begin + region.size();
    const char* pos = begin;
    std::int64_t line_no = cursor.lines;  // lines before `pos`
    while (pos < end) {
      const char* hit = find_usage_key(pos, end);
      if (hit == nullptr) {
        line_no += scan_plain_lines(pos, end, line_no, file, malformed_kept, r);
        break;
      }
      const char* line_start =
          static_cast<const char*>(::memrchr(pos, '\n', static_cast<std::size_t>(hit - pos)));
      line_start = line_start == nullptr ? pos : line_start + 1;
      line_no += scan_plain_lines(pos, line_start, line_no, file, malformed_kept, r);
      const char* line_end =
          static_cast<const char*>(std::memchr(hit, '\n', static_cast<std::size_t>(end - hit)));
      ++line_no;
      ++r.usage_lines;
      handle_line(std::string_view(line_start, static_cast<std::size_t>(line_end - line_start)),
                  line_no, file, cursor, malformed_kept, r);
      pos = line_end + 1;
    }
    r.lines += line_no - cursor.lines;
    cursor.lines = line_no;
  }

  // Counts the lines in [from, to) (each ends with a newline) that carry no `"usage"` key, and
  // checks each cheaply: a JSON object line ends with '}', so any other non-blank line was cut
  // short or is not JSON, and is counted malformed without a parse.
  std::int64_t scan_plain_lines(const char* from, const char* to, std::int64_t line_no,
                                const TranscriptFile& file, std::int64_t& malformed_kept,
                                ChunkResult& r) {
    std::int64_t count = 0;
    while (from < to) {
      const char* nl =
          static_cast<const char*>(std::memchr(from, '\n', static_cast<std::size_t>(to - from)));
      if (nl == nullptr) {
        break;
      }
      ++count;
      const char* last = nl;
      while (last > from && (last[-1] == '\r' || last[-1] == ' ' || last[-1] == '\t')) {
        --last;
      }
      if (last > from && last[-1] != '}') {
        note_malformed(file, line_no + count, "not a complete JSON object (cut short?)",
                       malformed_kept, r);
      }
      from = nl + 1;
    }
    return count;
  }

  static void note_malformed(const TranscriptFile& file, std::int64_t line_no, std::string_view why,
                             std::int64_t& malformed_kept, ChunkResult& r) {
    ++r.malformed_count;
    if (malformed_kept++ < kMalformedKeptPerFile) {
      r.malformed.push_back({file.path, line_no, std::string(why)});
    }
  }

  void handle_line(std::string_view line, std::int64_t line_no, const TranscriptFile& file,
                   ledger::Cursor& cursor, std::int64_t& malformed_kept, ChunkResult& r) {
    parser_.parse(line, parsed_);
    if (cursor.project.empty() && !parsed_.cwd.empty()) {
      cursor.project = parsed_.cwd;
    }
    switch (parsed_.kind) {
      case LineKind::kNoUsage:
        return;
      case LineKind::kMalformed:
        note_malformed(file, line_no, parsed_.error, malformed_kept, r);
        return;
      case LineKind::kSynthetic:
        if (parsed_.limit_reset_epoch_s) {
          r.limits.push_back(
              {parsed_.record.instant, "transcript", parsed_.limit_window, std::nullopt,
               parsed_.limit_reset_epoch_s,
               parsed_.record.session_id.empty() ? file.path_session : parsed_.record.session_id});
        }
        return;
      case LineKind::kUsage: {
        UsageRecord& record = parsed_.record;
        if (record.session_id.empty()) {
          record.session_id = file.path_session;
        }
        record.project = cursor.project.empty() ? file.project_dir : cursor.project;
        if (file.subagent) {
          record.agent = Agent::kSubagent;
        }
        hold(record, r);
        return;
      }
    }
  }

  // Claude Code writes one line per content block of a response, each with the response's
  // usage, one after another. The last record is held back so that such a run leaves one
  // record (the dedupe rule's winner), without allocating.
  void hold(UsageRecord& record, ChunkResult& r) {
    if (has_pending_ && same_request(pending_, record)) {
      bool wins = record.tokens.output > pending_.tokens.output ||
                  (record.tokens.output == pending_.tokens.output && !record.sidechain &&
                   pending_.sidechain);
      if (wins) {
        std::swap(pending_, record);
      }
      return;
    }
    flush_pending(r);
    std::swap(pending_, record);
    has_pending_ = true;
  }

  static bool same_request(const UsageRecord& a, const UsageRecord& b) {
    return !a.message_id.empty() && a.message_id == b.message_id && a.request_id == b.request_id &&
           (!a.request_id.empty() || a.session_id == b.session_id);
  }

  void flush_pending(ChunkResult& r) {
    if (has_pending_) {
      pack_record(pending_, r.packed_records);
      ++r.record_count;
      has_pending_ = false;
    }
  }

  LineParser& parser_;
  ParsedLine parsed_;
  UsageRecord pending_;
  bool has_pending_ = false;
};

// Decides which files need reading and from where.
std::vector<Work> plan(const std::vector<TranscriptFile>& files,
                       const std::unordered_map<std::string, ledger::Cursor>& cursors) {
  std::vector<Work> work;
  for (const TranscriptFile& f : files) {
    Work w;
    w.file = &f;
    auto it = cursors.find(f.path);
    if (it == cursors.end()) {
      w.cursor.path = f.path;
      work.push_back(std::move(w));
      continue;
    }
    const ledger::Cursor& c = it->second;
    bool same_file = c.device == f.device && c.inode == f.inode;
    if (same_file && c.size == f.size && c.mtime_ns == f.mtime_ns) {
      continue;  // Unchanged since it was read.
    }
    w.cursor = c;
    // Replaced (new inode), truncated, or rewritten in place at the same size: read it all
    // again; the dedupe keys make that safe.
    if (!same_file || f.size < c.offset || f.size == c.size) {
      w.cursor.offset = 0;
      w.cursor.lines = 0;
      w.reset = true;
    }
    work.push_back(std::move(w));
  }
  // Largest first, so two workers finish together.
  std::sort(work.begin(), work.end(), [](const Work& a, const Work& b) {
    return a.file->size - a.cursor.offset > b.file->size - b.cursor.offset;
  });
  return work;
}

}  // namespace

Result<CatchUpStats> catch_up(ledger::Ledger& ledger, const CatchUpOptions& options) {
  CatchUpStats stats;
  bool some = !options.only_session_file.empty() || !options.only_files.empty();
  std::vector<TranscriptFile> files =
      !options.only_files.empty() ? describe_transcripts(options.only_files, stats.problems)
      : !options.only_session_file.empty()
          ? session_transcripts(options.only_session_file, stats.problems)
          : list_transcripts(options.config_dirs, stats.problems);
  stats.files_seen = static_cast<std::int64_t>(files.size());
  std::vector<std::string> paths;
  if (some) {
    for (const TranscriptFile& f : files) {
      paths.push_back(f.path);
    }
  }
  auto cursors = ledger.load_cursors(some ? &paths : nullptr);
  if (!cursors) {
    return tl::unexpected(cursors.error());
  }
  std::vector<Work> work = plan(files, *cursors);
  cursors->clear();
  if (work.empty()) {
    if (auto s = options.end_bulk_load ? ledger.end_bulk_load() : Status{}; !s) {
      return tl::unexpected(s.error());
    }
    return stats;
  }
  CatchUpProgress progress;
  progress.files_total = static_cast<std::int64_t>(work.size());
  for (const Work& w : work) {
    progress.bytes_total += w.file->size - w.cursor.offset;
    stats.files_reset += w.reset ? 1 : 0;
  }

  ledger::IngestBatch batch;
  batch.records.reserve(kRecordsPerCommit + 4096);
  std::size_t records_used = 0;  // batch.records[0, records_used) hold this batch's records
  Status commit_status;
  // Commits what the batch holds (after a failed commit, nothing more is written).
  auto commit_batch = [&] {
    if (!commit_status) {
      return;
    }
    batch.records.resize(records_used);
    commit_status = ledger.commit(batch);
    if (commit_status && options.on_commit) {
      options.on_commit(batch);
    }
    records_used = 0;
    batch.cursors.clear();
    batch.malformed.clear();
    batch.limit_samples.clear();
  };
  auto absorb = [&](ChunkResult&& r) {
    if (r.problem) {
      stats.problems.push_back(std::move(*r.problem));
    }
    stats.bytes_read += r.bytes;
    stats.lines_read += r.lines;
    stats.usage_lines += r.usage_lines;
    stats.malformed_lines += r.malformed_count;
    progress.bytes_done += r.bytes;
    for (auto& m : r.malformed) {
      if (stats.malformed.size() < 1000) {
        stats.malformed.push_back(m);
      }
      batch.malformed.push_back(std::move(m));
    }
    // Records of the batch before are overwritten in place, so their strings' memory is
    // reused instead of freed and allocated again.
    const char* pos = r.packed_records.data();
    for (std::int64_t i = 0; i < r.record_count; ++i) {
      if (records_used == batch.records.size()) {
        batch.records.emplace_back();
      }
      ledger::SourcedRecord& slot = batch.records[records_used++];
      slot.key.clear();
      slot.outcome = ledger::WriteOutcome::kPending;
      unpack_record(pos, slot.record);
    }
    std::move(r.limits.begin(), r.limits.end(), std::back_inserter(batch.limit_samples));
    if (!r.cursor.path.empty()) {
      // A file read in several chunks within one batch needs only its latest cursor.
      if (!batch.cursors.empty() && batch.cursors.back().path == r.cursor.path) {
        batch.cursors.back() = std::move(r.cursor);
      } else {
        batch.cursors.push_back(std::move(r.cursor));
      }
    }
    if (r.last_of_file) {
      ++progress.files_done;
      stats.files_read += r.file_had_bytes ? 1 : 0;
    }
    if (records_used >= kRecordsPerCommit) {
      commit_batch();
    }
  };

  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min<int>(threads, static_cast<int>(work.size()));
  if (progress.bytes_total < kInlineBytes) {
    threads = 0;
  }

  if (threads == 0) {
    LineParser parser;
    FileReader reader(parser);
    // Sized to the work: a status line reading a few new lines allocates little.
    ReadBuffer buffer(static_cast<std::size_t>(
        std::clamp<std::int64_t>(progress.bytes_total + 1, 64 << 10, kInitialBuffer)));
    for (const Work& w : work) {
      reader.read(w, buffer, absorb);
    }
  } else {
    ChunkQueue queue(threads);
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        LineParser parser;
        FileReader reader(parser);
        ReadBuffer buffer(kInitialBuffer);
        Bundle bundle;
        std::size_t bundle_bytes = 0;
        auto hand_over = [&] {
          queue.push(std::move(bundle));
          bundle = Bundle();
          bundle_bytes = 0;
        };
        for (std::size_t i = next++; i < work.size(); i = next++) {
          reader.read(work[i], buffer, [&](ChunkResult&& r) {
            bundle_bytes += r.packed_records.size() + 256;  // 256: a cursor's worth
            bundle.push_back(std::move(r));
            if (bundle_bytes >= kChunkBytes) {
              hand_over();
            }
          });
        }
        if (!bundle.empty()) {
          hand_over();
        }
        queue.producer_done();
      });
    }
    auto last_report = std::chrono::steady_clock::now();
    for (;;) {
      bool finished = false;
      std::optional<Bundle> bundle = queue.pop(std::chrono::milliseconds(0), finished);
      if (!bundle && !finished) {
        // Nothing to absorb: commit what there is rather than wait for a full batch, so that
        // this thread, which also has the SQLite work, does not idle while workers parse.
        if (commit_status && records_used >= kRecordsWhenIdle) {
          commit_batch();
          continue;
        }
        bundle = queue.pop(std::chrono::milliseconds(100), finished);
      }
      if (bundle) {
        for (ChunkResult& r : *bundle) {
          absorb(std::move(r));
        }
      } else if (finished) {
        break;
      }
      auto now = std::chrono::steady_clock::now();
      if (options.on_progress && now - last_report > std::chrono::milliseconds(100)) {
        options.on_progress(progress);
        last_report = now;
      }
    }
    for (auto& t : pool) {
      t.join();
    }
  }
  if (commit_status) {
    batch.records.resize(records_used);
    commit_status = ledger.commit(batch);
    if (commit_status && options.on_commit) {
      options.on_commit(batch);
    }
  }
  if (commit_status && options.end_bulk_load) {
    commit_status = ledger.end_bulk_load();
  }
  if (!commit_status) {
    return tl::unexpected(commit_status.error());
  }
  return stats;
}

}  // namespace ccgauge::ingest

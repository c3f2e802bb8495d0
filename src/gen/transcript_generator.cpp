#include "gen/transcript_generator.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "core/json_writer.h"

namespace ccgauge::gen {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMsPerDay = 86'400'000;
// A resume copies at most this many lines of the session it continues.
constexpr std::size_t kReplayWindow = 300;
// Context above which a request is "long context" (ccusage prices buckets above it differently).
constexpr std::int64_t kLongContextTokens = 200'000;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness and arithmetic.

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr double kLn2 = 0.69314718055994530942;

// exp and log built from + - * / and exact frexp/ldexp only, so that every value drawn from them
// is the same on every libm.
double det_exp(double x) {
  const double scaled = x / kLn2;
  const int k = static_cast<int>(scaled >= 0 ? scaled + 0.5 : scaled - 0.5);
  const double r = x - k * kLn2;
  double term = 1;
  double sum = 1;
  for (int n = 1; n <= 16; ++n) {
    term *= r / n;
    sum += term;
  }
  return std::ldexp(sum, k);
}

double det_log(double x) {
  int exponent = 0;
  double mantissa = std::frexp(x, &exponent);  // [0.5, 1)
  if (mantissa < 0.70710678118654752) {
    mantissa *= 2;
    --exponent;
  }
  // log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172.
  const double s = (mantissa - 1) / (mantissa + 1);
  const double s2 = s * s;
  double power = s;
  double sum = 0;
  for (int n = 1; n <= 31; n += 2) {
    sum += power / n;
    power *= s2;
  }
  return 2 * sum + exponent * kLn2;
}

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (std::uint64_t& word : state_) {
      word = splitmix64(seed);
    }
  }

  // An independent stream for (seed, purpose, index).
  static Rng stream(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index = 0) {
    std::uint64_t x = seed;
    x = splitmix64(x) ^ purpose;
    x = splitmix64(x) ^ index;
    return Rng(splitmix64(x));
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [lo, hi], inclusive, without modulo bias.
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    if (hi <= lo) {
      return lo;
    }
    const std::uint64_t range = static_cast<std::uint64_t>(hi - lo) + 1;
    const std::uint64_t max = ~std::uint64_t{0};
    const std::uint64_t limit = max - max % range;
    std::uint64_t x = next();
    while (x >= limit) {
      x = next();
    }
    return lo + static_cast<std::int64_t>(x % range);
  }

  std::size_t index(std::size_t n) {
    return static_cast<std::size_t>(between(0, static_cast<std::int64_t>(n) - 1));
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }

  // Log-uniform in [lo, hi]: as many values in 100-1000 as in 1000-10000.
  std::int64_t log_between(std::int64_t lo, std::int64_t hi) {
    const double a = det_log(static_cast<double>(lo));
    const double b = det_log(static_cast<double>(hi));
    const auto v = static_cast<std::int64_t>(det_exp(a + unit() * (b - a)));
    return std::clamp(v, lo, hi);
  }

  std::size_t weighted(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    double x = unit() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) {
        return i;
      }
      x -= weights[i];
    }
    return weights.size() - 1;
  }

  template <class T>
  const T& pick(std::span<const T> items) {
    return items[index(items.size())];
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> state_{};
};

template <class T, std::size_t N>
const T& pick(Rng& rng, const std::array<T, N>& items) {
  return items[rng.index(N)];
}

// Size quantiles of real Claude Code histories (ccusage's generate-large-fixture.nu: 3,142 files,
// 1,239 MiB): p50 105 KB, p90 654 KB, p99 5.4 MB, max 87 MB. Below the median the log of the size
// is linear in u; above it, linear in -log(1 - u) (a Pareto-like tail).
double file_size_quantile(double u) {
  constexpr double kMinBytes = 3'000;
  if (u < 0.5) {
    return kMinBytes * det_exp(2 * u * det_log(105'000.0 / kMinBytes));
  }
  struct Knot {
    double tail;  // 1 - u
    double bytes;
  };
  static constexpr std::array<Knot, 4> kKnots = {
      {{0.5, 105'000}, {0.1, 654'000}, {0.01, 5'400'000}, {0.0003, 87'000'000}}};
  const double z = -det_log(std::max(1 - u, kKnots.back().tail));
  for (std::size_t i = 1; i < kKnots.size(); ++i) {
    const double z0 = -det_log(kKnots[i - 1].tail);
    const double z1 = -det_log(kKnots[i].tail);
    if (z <= z1 || i + 1 == kKnots.size()) {
      const double f = std::min(1.0, (z - z0) / (z1 - z0));
      const double l0 = det_log(kKnots[i - 1].bytes);
      const double l1 = det_log(kKnots[i].bytes);
      return det_exp(l0 + f * (l1 - l0));
    }
  }
  return kKnots.back().bytes;
}

double file_size_mean() {
  constexpr int kSteps = 20'000;
  double sum = 0;
  for (int i = 0; i < kSteps; ++i) {
    sum += file_size_quantile((i + 0.5) / kSteps);
  }
  return sum / kSteps;
}

// ---------------------------------------------------------------------------------------------
// Text, identifiers and timestamps.

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, result.ptr);
}

void append_escaped(std::string& out, std::string_view raw) { json_escape_to(out, raw); }

// A body of JSON-escaped text from which slices of any length are copied. Slices never split an
// escape sequence or a UTF-8 character, so every slice is a valid JSON string body.
class TextCorpus {
 public:
  TextCorpus(std::span<const std::string_view> fragments, Rng& rng, std::size_t target_bytes) {
    std::string raw;
    while (raw.size() < target_bytes) {
      raw += rng.pick(fragments);
      raw += '\n';
      if (rng.chance(0.3)) {
        raw += noise_line(rng);
      }
    }
    build(raw);
  }

  // Appends about n bytes (at least one character) of escaped text.
  void append(std::string& out, Rng& rng, std::size_t n) const {
    const std::size_t size = text_.size();
    while (n > 0) {
      std::size_t start = next_safe(rng.index(size));
      if (start >= size) {
        start = 0;
      }
      std::size_t end = prev_safe(std::min(size, start + n));
      if (end <= start) {
        end = next_safe(start + 1);
      }
      out.append(text_, start, end - start);
      const std::size_t taken = end - start;
      n = taken >= n ? 0 : n - taken;
    }
  }

 private:
  static std::string noise_line(Rng& rng) {
    static constexpr std::array<std::string_view, 6> kPrefixes = {
        "    at Object.<anonymous> (", "  --> src/", "[debug] ",
        "warning: unused variable `x", "ok ",        "\x1b[2m"};
    std::string line(pick(rng, kPrefixes));
    line += fmt::format("{:x}/file_{}.ts:{}:{}", rng.next() & 0xffffff, rng.between(1, 999),
                        rng.between(1, 400), rng.between(1, 80));
    line += rng.chance(0.5) ? ")\n" : "\x1b[0m\n";
    return line;
  }

  void build(std::string_view raw) {
    text_.reserve(raw.size() + raw.size() / 8);
    safe_.reserve(text_.capacity() + 1);
    for (char c : raw) {
      const auto byte = static_cast<unsigned char>(c);
      const bool continuation = (byte & 0xC0) == 0x80;
      json_escape_to(text_, std::string_view(&c, 1));
      safe_.push_back(continuation ? 0 : 1);
      safe_.resize(text_.size(), 0);  // bytes inside an escape are not cut points
    }
    safe_.push_back(1);  // the end
  }

  std::size_t next_safe(std::size_t i) const {
    while (i < text_.size() && !safe_[i]) {
      ++i;
    }
    return std::min(i, text_.size());
  }
  std::size_t prev_safe(std::size_t i) const {
    while (i > 0 && !safe_[i]) {
      --i;
    }
    return i;
  }

  std::string text_;
  std::vector<std::uint8_t> safe_;  // safe_[i]: a slice may begin or end before byte i
};

constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void append_hex(std::string& out, Rng& rng, int digits) {
  std::uint64_t bits = rng.next();
  for (int i = 0; i < digits; ++i) {
    if (i % 16 == 15) {
      bits = rng.next();
    }
    out += kHex[bits & 15];
    bits >>= 4;
  }
}

void append_base62(std::string& out, Rng& rng, int digits) {
  std::uint64_t bits = rng.next();
  for (int i = 0; i < digits; ++i) {
    if (i % 10 == 9) {
      bits = rng.next();
    }
    out += kBase62[bits % 62];
    bits /= 62;
  }
}

std::string uuid4(Rng& rng) {
  std::string out;
  out.reserve(36);
  append_hex(out, rng, 8);
  out += '-';
  append_hex(out, rng, 4);
  out += "-4";
  append_hex(out, rng, 3);
  out += '-';
  out += kHex[8 + rng.index(4)];
  append_hex(out, rng, 3);
  out += '-';
  append_hex(out, rng, 12);
  return out;
}

std::string prefixed_id(Rng& rng, std::string_view prefix, int digits) {
  std::string out(prefix);
  append_base62(out, rng, digits);
  return out;
}

std::string message_id(Rng& rng) { return prefixed_id(rng, "msg_01", 22); }
std::string request_id(Rng& rng) { return prefixed_id(rng, "req_011C", 20); }
std::string tool_use_id(Rng& rng) { return prefixed_id(rng, "toolu_01", 22); }

void append_base64(std::string& out, Rng& rng, std::size_t n) {
  std::uint64_t bits = rng.next();
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 10 == 9) {
      bits = rng.next();
    }
    out += kBase64[bits & 63];
    bits >>= 6;
  }
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::chrono::year_month_day ymd_of_epoch_day(std::int64_t day) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{day}}};
}

void append_2(std::string& out, unsigned v) {
  out += static_cast<char>('0' + v / 10);
  out += static_cast<char>('0' + v % 10);
}

// `2026-03-02T03:03:51.467Z`
void append_iso_ms(std::string& out, std::int64_t epoch_ms) {
  const std::int64_t day = floor_div(epoch_ms, kMsPerDay);
  const std::int64_t ms = epoch_ms - day * kMsPerDay;
  const auto ymd = ymd_of_epoch_day(day);
  const int year = static_cast<int>(ymd.year());
  out += static_cast<char>('0' + year / 1000 % 10);
  out += static_cast<char>('0' + year / 100 % 10);
  append_2(out, static_cast<unsigned>(year % 100));
  out += '-';
  append_2(out, static_cast<unsigned>(ymd.month()));
  out += '-';
  append_2(out, static_cast<unsigned>(ymd.day()));
  out += 'T';
  append_2(out, static_cast<unsigned>(ms / 3'600'000));
  out += ':';
  append_2(out, static_cast<unsigned>(ms / 60'000 % 60));
  out += ':';
  append_2(out, static_cast<unsigned>(ms / 1000 % 60));
  out += '.';
  const auto millis = static_cast<unsigned>(ms % 1000);
  out += static_cast<char>('0' + millis / 100);
  append_2(out, millis % 100);
  out += 'Z';
}

// ---------------------------------------------------------------------------------------------
// Output files.

// A transcript file written through a buffer. Write errors are sticky and reported by close().
class FileSink {
 public:
  FileSink() = default;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  ~FileSink() { (void)close(); }

  // kCreateNew fails if the file exists: a generated tree never overwrites a file it wrote.
  enum class Mode { kCreateNew, kTruncate, kAppend };

  Status open(const std::string& path, Mode mode) {
    path_ = path;
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
                      (mode == Mode::kCreateNew  ? O_EXCL
                       : mode == Mode::kTruncate ? O_TRUNC
                                                 : O_APPEND);
    fd_ = ::open(path.c_str(), flags, 0600);
    if (fd_ < 0) {
      return fail(Errc::kIo, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    }
    buffer_.reserve(kBufferBytes + (64 << 10));
    return {};
  }

  void write_line(std::string_view line) {
    buffer_ += line;
    buffer_ += '\n';
    bytes_ += line.size() + 1;
    ++lines_;
    if (buffer_.size() >= kBufferBytes) {
      flush();
    }
  }

  Status close() {
    if (fd_ < 0) {
      return status();
    }
    flush();
    if (::close(fd_) != 0 && error_ == 0) {
      error_ = errno;
    }
    fd_ = -1;
    return status();
  }

  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t lines() const { return lines_; }

 private:
  static constexpr std::size_t kBufferBytes = 256 << 10;

  void flush() {
    std::size_t done = 0;
    while (done < buffer_.size() && error_ == 0) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0) {
        if (errno != EINTR) {
          error_ = errno;
        }
        continue;
      }
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

  Status status() const {
    if (error_ != 0) {
      return fail(Errc::kIo, fmt::format("cannot write {}: {}", path_, std::strerror(error_)));
    }
    return {};
  }

  std::string path_;
  int fd_ = -1;
  std::string buffer_;
  std::uint64_t bytes_ = 0;
  std::uint64_t lines_ = 0;
  int error_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Ground truth.

class TotalsBuilder {
 public:
  void add_request(std::int64_t epoch_ms, const std::string& model, Speed speed,
                   const TokenCounts& tokens) {
    Day& day = days_[floor_div(epoch_ms, kMsPerDay)];
    day.tokens += tokens;
    ++day.requests;
    ModelTotals& m = day.models[{model, speed}];
    m.tokens += tokens;
    ++m.requests;
  }
  void add_malformed() { ++malformed_; }

  TrueTotals finish(const GeneratorStats& stats) const {
    TrueTotals out;
    for (const auto& [epoch_day, day] : days_) {
      DayTotals row;
      row.date = date_key(ymd_of_epoch_day(epoch_day));
      row.tokens = day.tokens;
      row.requests = day.requests;
      for (const auto& [key, m] : day.models) {
        ModelTotals model = m;
        model.model = key.first;
        model.speed = key.second;
        row.models.push_back(std::move(model));
      }
      out.overall += day.tokens;
      out.requests += day.requests;
      out.days.push_back(std::move(row));
    }
    out.malformed_lines = malformed_;
    out.stats = stats;
    return out;
  }

 private:
  struct Day {
    TokenCounts tokens;
    std::int64_t requests = 0;
    std::map<std::pair<std::string, Speed>, ModelTotals> models;
  };
  std::map<std::int64_t, Day> days_;  // by epoch day
  std::int64_t malformed_ = 0;
};

struct RunContext {
  bool compatible = false;
  const TextCorpus* prose = nullptr;
  const TextCorpus* code = nullptr;
  TotalsBuilder totals;
  GeneratorStats stats;

  void record_request(std::int64_t epoch_ms, const std::string& model, Speed speed,
                      const TokenCounts& tokens) {
    totals.add_request(epoch_ms, model, speed, tokens);
    if (tokens.context() > kLongContextTokens) {
      ++stats.long_context_requests;
    }
    if (speed == Speed::kFast) {
      ++stats.fast_requests;
    }
    stats.web_search_requests += static_cast<std::uint64_t>(tokens.web_search_requests);
  }
};

// What one line is, for the statistics and for replaying it into a resumed session.
enum class LineKind : std::uint8_t {
  kOther,
  kUsage,
  kRequestless,    // usage without requestId
  kSynthetic,      // `<synthetic>` API error
  kProgressUsage,  // agent_progress with a nested message
  kMalformed,
};

// One requestless usage line among a session's first lines. A resume that copies it starts a new
// key (message.id scoped by the new sessionId), so the copy counts again.
struct RequestlessNote {
  std::uint32_t line = 0;
  std::string message_id;
  std::string model;
  Speed speed = Speed::kStandard;
  TokenCounts tokens;  // with this line's output_tokens
  std::int64_t epoch_ms = 0;
};

// What a later resume needs to know about a written session.
struct SessionRecord {
  std::string path;
  std::string session_id;
  std::vector<LineKind> kinds;  // of the first kReplayWindow lines
  std::vector<RequestlessNote> requestless;
};

// An open transcript file plus the bookkeeping every written line goes through.
class TranscriptFile {
 public:
  TranscriptFile(RunContext& run, SessionRecord* record) : run_(run), record_(record) {}

  Status open(const std::string& path, FileSink::Mode mode) { return sink_.open(path, mode); }
  Status close() { return sink_.close(); }

  void write(std::string_view line, LineKind kind) {
    if (record_ != nullptr && sink_.lines() < kReplayWindow) {
      record_->kinds.push_back(kind);
    }
    sink_.write_line(line);
    GeneratorStats& stats = run_.stats;
    ++stats.lines;
    switch (kind) {
      case LineKind::kOther:
        break;
      case LineKind::kUsage:
        ++stats.usage_lines;
        break;
      case LineKind::kRequestless:
        ++stats.usage_lines;
        ++stats.requestless_lines;
        break;
      case LineKind::kSynthetic:
        ++stats.usage_lines;
        ++stats.synthetic_lines;
        break;
      case LineKind::kProgressUsage:
        ++stats.usage_lines;
        ++stats.progress_usage_lines;
        break;
      case LineKind::kMalformed:
        ++stats.malformed_lines;
        run_.totals.add_malformed();
        break;
    }
  }

  // Remembers a requestless line about to be written (call before write()).
  void note_requestless(RequestlessNote note) {
    if (record_ != nullptr && sink_.lines() < kReplayWindow) {
      note.line = static_cast<std::uint32_t>(sink_.lines());
      record_->requestless.push_back(std::move(note));
    }
  }

  std::uint64_t bytes() const { return sink_.bytes(); }
  std::uint64_t lines() const { return sink_.lines(); }
  SessionRecord* record() { return record_; }

 private:
  RunContext& run_;
  SessionRecord* record_;  // may be null; owned by the caller
  FileSink sink_;
};

// ---------------------------------------------------------------------------------------------
// Who writes a file and how their Claude Code version writes it.

struct Traits {
  bool cache_object = true;        // usage.cache_creation {ephemeral_5m, ephemeral_1h}
  bool server_tool_use = false;    // usage.server_tool_use with zero counts
  bool final_stop_reason = false;  // every line repeats the final stop_reason
  bool prompt_id = false;
  bool long_agent_id = false;  // "a" + 16 hex instead of 8 hex
  bool sidecar = false;        // agent-<id>.meta.json
  bool slug = false;
  bool task_usage = false;  // Task results carry toolUseResult.usage
};

int version_number(std::string_view version) {
  int parts[3] = {0, 0, 0};
  int part = 0;
  for (char c : version) {
    if (c == '.') {
      if (++part == 3) {
        break;
      }
    } else if (c >= '0' && c <= '9') {
      parts[part] = parts[part] * 10 + (c - '0');
    } else {
      break;
    }
  }
  return parts[0] * 1'000'000 + parts[1] * 1'000 + parts[2];
}

Traits traits_of(std::string_view version) {
  const int v = version_number(version);
  Traits t;
  t.cache_object = v >= 2'000'000;
  t.server_tool_use = v >= 2'001'014;
  t.final_stop_reason = v >= 2'001'092;
  t.prompt_id = v >= 2'001'063;
  t.long_agent_id = v >= 2'001'037;
  t.sidecar = v >= 2'001'037;
  t.slug = v >= 2'001'037;
  t.task_usage = v >= 2'001'037;
  return t;
}

struct Identity {
  std::string session_id;
  std::string cwd;
  std::string version;
  std::string git_branch;
  std::string slug;
  std::string agent_id;  // empty on the main thread
  bool sidechain = false;
  Traits traits;
};

// `{"parentUuid":...,"gitBranch":"main"` (no closing brace).
void append_envelope(std::string& out, const Identity& id, std::string_view parent_uuid) {
  out += "{\"parentUuid\":";
  if (parent_uuid.empty()) {
    out += "null";
  } else {
    out += '"';
    out += parent_uuid;
    out += '"';
  }
  out += id.sidechain ? ",\"isSidechain\":true" : ",\"isSidechain\":false";
  out += ",\"userType\":\"external\",\"cwd\":\"";
  append_escaped(out, id.cwd);
  out += "\",\"sessionId\":\"";
  out += id.session_id;
  out += "\",\"version\":\"";
  out += id.version;
  out += "\",\"gitBranch\":\"";
  append_escaped(out, id.git_branch);
  out += '"';
  if (!id.agent_id.empty()) {
    out += ",\"agentId\":\"";
    out += id.agent_id;
    out += '"';
  }
  if (id.traits.slug && !id.slug.empty()) {
    out += ",\"slug\":\"";
    out += id.slug;
    out += '"';
  }
}

// `,"uuid":"...","timestamp":"..."`
void append_uuid_timestamp(std::string& out, std::string_view uuid, std::int64_t ms) {
  out += ",\"uuid\":\"";
  out += uuid;
  out += "\",\"timestamp\":\"";
  append_iso_ms(out, ms);
  out += '"';
}

// ---------------------------------------------------------------------------------------------
// Vocabulary.

constexpr std::array<std::string_view, 5> kModels = {
    "claude-opus-4-6", "claude-opus-4-7", "claude-sonnet-4-5-20250929", "claude-sonnet-4-6",
    "claude-haiku-4-5-20251001"};
constexpr std::array<double, 5> kMainModelWeights = {0.28, 0.22, 0.17, 0.25, 0.08};
constexpr std::array<double, 5> kSubagentModelWeights = {0.08, 0.07, 0.12, 0.23, 0.50};
constexpr std::string_view kFastModel = "claude-opus-4-6";

// Versions in release order; a session's version follows its date.
constexpr std::array<std::string_view, 7> kVersions = {"2.0.61", "2.1.3",  "2.1.14", "2.1.37",
                                                       "2.1.63", "2.1.92", "2.1.112"};
constexpr std::string_view kOldVersion = "1.0.98";

constexpr std::array<std::string_view, 12> kBranches = {"main",
                                                        "main",
                                                        "main",
                                                        "main",
                                                        "master",
                                                        "dev",
                                                        "feature/streaming-parser",
                                                        "fix/login-redirect",
                                                        "HEAD",
                                                        "",
                                                        "release/2.3",
                                                        "claude/refactor-auth"};

constexpr std::array<std::string_view, 40> kProjectNames = {"api-chat",
                                                            "web-demo",
                                                            "billing-service",
                                                            "infra-terraform",
                                                            "dotfiles",
                                                            "ml-pipeline",
                                                            "mobile-app",
                                                            "docs-site",
                                                            "auth-gateway",
                                                            "data-lake",
                                                            "cli-tools",
                                                            "game-engine",
                                                            "blog",
                                                            "notes",
                                                            "payments",
                                                            "search-indexer",
                                                            "k8s-manifests",
                                                            "design-system",
                                                            "analytics-dashboard",
                                                            "chat-widget",
                                                            "etl-jobs",
                                                            "firmware",
                                                            "raytracer",
                                                            "compiler",
                                                            "scraper",
                                                            "homelab",
                                                            "portfolio",
                                                            "ccgauge",
                                                            "rust-playground",
                                                            "interview-prep",
                                                            "Client Work/acme site",
                                                            "my_project.v2",
                                                            "legacy-php-app",
                                                            "monorepo/packages/ui",
                                                            "monorepo/packages/server",
                                                            "go-microservice",
                                                            "python-sdk",
                                                            "vscode-extension",
                                                            "slack-bot",
                                                            "invoice-generator"};
constexpr std::array<std::string_view, 7> kParentDirs = {"/home/alice/work",
                                                         "/home/alice/src",
                                                         "/home/alice/code",
                                                         "/home/alice/projects",
                                                         "/home/alice/dev",
                                                         "/home/alice/repos",
                                                         "/home/alice/Documents/GitHub"};
constexpr std::array<std::string_view, 5> kSubdirs = {"src", "packages/web", "backend", "docs",
                                                      "services/worker"};

constexpr std::array<std::string_view, 12> kSlugWords = {"gentle", "sparkling", "otter", "quiet",
                                                         "brave",  "falcon",    "amber", "rolling",
                                                         "harbor", "misty",     "cedar", "lantern"};

constexpr std::array<std::string_view, 14> kTitles = {
    "Fix flaky websocket reconnect test",
    "Add CSV export to reports",
    "Refactor auth middleware",
    "Investigate memory leak in worker pool",
    "Set up CI for the monorepo",
    "Migrate build from Webpack to Vite",
    "Speed up JSONL parsing",
    "Implement rate-limit backoff",
    "Debug \"permission denied\" on deploy",
    "Write integration tests for billing",
    "Update dependencies and fix breaking changes",
    "Design the plugin API",
    "Explain the caching layer",
    "Port the CLI to Windows paths (C:\\Users\\...)"};

struct BashCommand {
  std::string_view command;
  std::string_view description;
};
constexpr std::array<BashCommand, 16> kBashCommands = {{
    {"npm test", "Run the test suite"},
    {"npm run build 2>&1 | tail -50", "Build the project"},
    {"git status", "Show working tree status"},
    {"git diff --stat", "Show changed files"},
    {"git log --oneline -20", "Show recent commits"},
    {"ls -la src/", "List source files"},
    {"grep -rn \"TODO\" src/ | head -20", "Find TODO comments"},
    {"cargo test --all-features", "Run Rust tests"},
    {"pytest -x -q tests/", "Run Python tests"},
    {"go test ./... -run 'TestParse.*'", "Run parser tests"},
    {"make -j4 && ./build/app --help", "Build and show usage"},
    {"find . -name \"*.ts\" -not -path \"./node_modules/*\" | xargs wc -l",
     "Count lines of TypeScript"},
    {"git commit -m \"fix: handle \\\"quoted\\\" header values\"", "Commit the fix"},
    {"python3 -c \"import json,sys; print(json.load(sys.stdin)['version'])\" < package.json",
     "Read the package version"},
    {"echo $PATH | tr ':' '\\n'", "Show PATH entries"},
    {"awk -F'\\t' '{print $2}' data.tsv | sort | uniq -c | sort -rn | head",
     "Count values in column 2"},
}};

constexpr std::array<std::string_view, 14> kFiles = {"src/server.ts",
                                                     "src/lib/parser.rs",
                                                     "tests/test_api.py",
                                                     "README.md",
                                                     "package.json",
                                                     "src/components/Button.tsx",
                                                     "internal/store/store.go",
                                                     "CMakeLists.txt",
                                                     "src/main.cpp",
                                                     "docs/architecture.md",
                                                     ".github/workflows/ci.yml",
                                                     "src/utils/date.ts",
                                                     "src/handlers/webhook.py",
                                                     "include/app/config.h"};

constexpr std::array<std::string_view, 6> kGrepPatterns = {"fn\\s+parse_\\w+",
                                                           "TODO|FIXME",
                                                           "import .* from ['\"]react['\"]",
                                                           "\\bconsole\\.log\\(",
                                                           "\"version\":\\s*\"\\d+\\.\\d+\"",
                                                           "class \\w+Error"};
constexpr std::array<std::string_view, 5> kGlobPatterns = {"**/*.ts", "src/**/*.rs", "**/test_*.py",
                                                           "**/*.{js,jsx}", "docs/**/*.md"};
constexpr std::array<std::string_view, 8> kTodos = {
    "Read the failing test",   "Fix the parser edge case", "Run the full test suite",
    "Update the changelog",    "Add a regression test",    "Check the CI logs",
    "Refactor the retry loop", "Document the new flag"};
constexpr std::array<std::string_view, 6> kQueries = {"rust serde untagged enum performance",
                                                      "sqlite WAL checkpoint starvation",
                                                      "react 19 useOptimistic example",
                                                      "golang context cancellation best practices",
                                                      "python asyncio TaskGroup exception handling",
                                                      "postgres jsonb index \"gin\" vs btree"};
constexpr std::array<std::string_view, 5> kUrls = {
    "https://docs.rs/serde/latest/serde/", "https://www.sqlite.org/wal.html",
    "https://react.dev/reference/react/useOptimistic",
    "https://docs.python.org/3/library/asyncio-task.html",
    "https://www.postgresql.org/docs/current/gin.html"};
constexpr std::array<std::string_view, 4> kSubagentTypes = {"general-purpose", "Explore",
                                                            "general-purpose", "code-reviewer"};
constexpr std::array<std::string_view, 6> kTaskDescriptions = {
    "Find call sites of parse_header", "Review the auth changes",     "Explore the test layout",
    "Search for rate-limit handling",  "Summarize the build scripts", "Audit error handling"};
constexpr std::array<std::string_view, 5> kHookCommands = {
    "npx prettier --write \"$CLAUDE_FILE_PATHS\"", "~/.claude/hooks/log-tool.sh",
    "ruff check --fix $CLAUDE_FILE_PATHS", "cargo fmt",
    "bash -c 'echo \"$(date)\" >> ~/.claude/tools.log'"};

enum class Tool {
  kBash,
  kRead,
  kEdit,
  kWrite,
  kGrep,
  kGlob,
  kTodoWrite,
  kWebSearch,
  kWebFetch,
  kTask
};
constexpr std::array<std::string_view, 10> kToolNames = {
    "Bash", "Read", "Edit", "Write", "Grep", "Glob", "TodoWrite", "WebSearch", "WebFetch", "Task"};
constexpr std::array<double, 9> kToolWeights = {0.32, 0.25, 0.16, 0.05, 0.08,
                                                0.05, 0.05, 0.02, 0.02};

enum class CacheTier { k5m, k1h, kMixed };

// ---------------------------------------------------------------------------------------------
// One conversation file.

// A response's usage: its final token counts (`output` is the final output) and speed.
struct Usage : TokenCounts {
  Speed speed = Speed::kStandard;

  // The counts as a line that reports `output_tokens` (a streaming snapshot) shows them.
  TokenCounts tokens(std::int64_t output_tokens) const {
    TokenCounts t = *this;
    t.output = output_tokens;
    return t;
  }
};

struct Knobs {
  std::string model;
  CacheTier tier = CacheTier::k1h;
  bool long_context = false;
  double time_scale = 1.0;
  // The clock never passes this instant (it then moves 1 ms per line), so that no line falls
  // after the requested span.
  std::int64_t hard_end_ms = std::numeric_limits<std::int64_t>::max();
};

struct ToolCall {
  Tool tool = Tool::kBash;
  std::string id;
  std::string assistant_uuid;
  std::string file_path;
  std::string task_prompt;       // escaped, for Task
  std::string task_description;  // for Task
};

// What the parent writes back after a subagent finished.
struct SubagentOutcome {
  std::int64_t end_ms = 0;
  std::string agent_id;
  std::string final_text;  // escaped
  Usage last_usage;
  std::int64_t total_tokens = 0;
  int tool_uses = 0;
};

// Where a subagent's agent_progress lines go: the parent's file, in the parent's envelope.
struct ProgressTarget {
  TranscriptFile* file = nullptr;
  const Identity* parent = nullptr;
  std::string parent_uuid;  // the parent's Task tool_use line
  std::string tool_use_id;  // the parent's Task tool_use id
};

using SpawnSubagent = std::function<SubagentOutcome(const ToolCall& call, std::int64_t start_ms)>;

// Writes the lines of one conversation (a main session or one subagent) and records each request
// in the run's totals. Lives on the generating thread; `run` and `file` outlive it.
class TranscriptWriter {
 public:
  TranscriptWriter(RunContext& run, TranscriptFile& file, Identity id, Knobs knobs, Rng rng,
                   std::int64_t start_ms)
      : run_(run),
        file_(file),
        id_(std::move(id)),
        knobs_(std::move(knobs)),
        rng_(rng),
        clock_ms_(start_ms) {
    system_prefix_ = rng_.between(9'000, 16'000);
    context_ = system_prefix_ + rng_.between(2'000, 9'000);
    if (knobs_.long_context) {
      context_ += rng_.between(60'000, 230'000);
    }
    new_compact_threshold();
    line_.reserve(1 << 16);
  }

  void set_parent_uuid(std::string uuid) { parent_uuid_ = std::move(uuid); }
  void set_progress_target(ProgressTarget* target) { progress_ = target; }
  void set_subagents(std::vector<std::uint64_t> budgets, SpawnSubagent spawn) {
    subagent_budgets_ = std::move(budgets);
    spawn_ = std::move(spawn);
  }
  void set_clock(std::int64_t ms) { clock_ms_ = std::max(clock_ms_, ms); }
  void expect_cache_miss() { cache_miss_next_ = true; }
  Identity& identity() { return id_; }
  TranscriptFile& file() { return file_; }

  // Turns until the file holds `budget` bytes and every planned subagent ran (at least one turn).
  // With `pause_at`, returns once the file holds that many bytes; call again to go on.
  void write_main_conversation(std::uint64_t budget, std::uint64_t pause_at = ~std::uint64_t{0}) {
    budget_ = budget;
    do {
      write_turn();
    } while ((file_.bytes() < budget_ || next_subagent_ < subagent_budgets_.size()) &&
             file_.bytes() < pause_at);
  }

  // The parent's prompt, tool iterations until `budget`, then the final answer.
  SubagentOutcome write_subagent_conversation(std::string_view prompt, std::uint64_t budget) {
    budget_ = budget;
    write_user_text(prompt, /*is_prompt=*/false);
    while (file_.bytes() < budget_) {
      if (!write_tool_iteration()) {
        break;
      }
    }
    SubagentOutcome outcome;
    write_response(/*wants_tool=*/false, Tool::kBash, &outcome.final_text);
    outcome.end_ms = clock_ms_;
    outcome.agent_id = id_.agent_id;
    outcome.last_usage = last_usage_;
    outcome.total_tokens = total_tokens_;
    outcome.tool_uses = tool_uses_;
    return outcome;
  }

  void write_summaries(int count) {
    for (int i = 0; i < count; ++i) {
      line_.clear();
      line_ += "{\"type\":\"summary\",\"summary\":\"";
      append_escaped(line_, pick(rng_, kTitles));
      line_ += "\",\"leafUuid\":\"";
      line_ += uuid4(rng_);
      line_ += "\"}";
      file_.write(line_, LineKind::kOther);
    }
  }

 private:
  // --- time ---

  void advance(std::int64_t ms) {
    const auto step = std::max<std::int64_t>(1, static_cast<std::int64_t>(ms * knobs_.time_scale));
    const std::int64_t room = knobs_.hard_end_ms - clock_ms_;
    clock_ms_ += std::max<std::int64_t>(1, std::min(step, room));
  }

  // Keeps every line of one response (and its progress copies) on one UTC day, so that per-day
  // totals do not depend on which line of a key wins.
  void same_day_guard() {
    const std::int64_t into_day = clock_ms_ - floor_div(clock_ms_, kMsPerDay) * kMsPerDay;
    if (into_day > kMsPerDay - 20'000) {
      clock_ms_ += kMsPerDay - into_day + rng_.between(500, 5'000);
    }
  }

  // --- turns ---

  void write_turn() {
    maybe_toggle_fast();
    if (rng_.chance(0.55)) {
      write_file_history_snapshot();
    }
    std::string prompt;
    append_prompt_text(prompt);
    write_user_text(prompt, /*is_prompt=*/true);
    if (rng_.chance(0.08)) {
      write_hook_progress("UserPromptSubmit", "", "");
    }
    const int iterations = static_cast<int>(
        std::min<std::int64_t>(60, rng_.chance(0.15) ? 0 : rng_.log_between(1, 40)));
    for (int i = 0; i < iterations || subagent_due(); ++i) {
      if (file_.bytes() >= budget_ && !subagent_due()) {
        break;
      }
      if (!write_tool_iteration()) {
        return;  // a usage-limit error ended the turn
      }
    }
    write_response(/*wants_tool=*/false, Tool::kBash, nullptr);
    if (rng_.chance(0.7)) {
      write_turn_duration();
    }
    advance(rng_.log_between(8'000, 1'800'000));  // the user reads and thinks
  }

  bool subagent_due() const {
    if (next_subagent_ >= subagent_budgets_.size() || !spawn_) {
      return false;
    }
    const std::uint64_t at = budget_ * (next_subagent_ + 1) / (subagent_budgets_.size() + 1);
    return file_.bytes() >= at;
  }

  void maybe_toggle_fast() {
    if (knobs_.model != kFastModel) {
      return;
    }
    fast_ = fast_ ? !rng_.chance(0.25) : rng_.chance(0.04);
  }

  // One response that calls a tool, then the tool's result. False when the response was a
  // usage-limit error instead.
  bool write_tool_iteration() {
    if (rng_.chance(0.005)) {
      write_synthetic_limit();
      return false;
    }
    const bool task = subagent_due();
    const Tool tool = task ? Tool::kTask : static_cast<Tool>(rng_.weighted(kToolWeights));
    std::optional<ToolCall> call = write_response(/*wants_tool=*/true, tool, nullptr);
    ++tool_uses_;
    advance(rng_.log_between(40, 30'000));  // the tool runs
    if (task) {
      run_subagent(*call);
    } else {
      write_tool_result(*call);
    }
    if (rng_.chance(0.2)) {
      write_hook_progress("PostToolUse", kToolNames[static_cast<std::size_t>(call->tool)],
                          call->id);
    }
    return true;
  }

  void run_subagent(const ToolCall& call) {
    ++next_subagent_;
    SubagentOutcome outcome = spawn_(call, clock_ms_ + rng_.between(100, 600));
    set_clock(outcome.end_ms + rng_.between(50, 500));
    write_task_result(call, outcome);
  }

  // --- responses ---

  // Writes one API response as 1-3 content-block lines; returns its tool call when it has one.
  // `final_text` (subagents) receives the escaped text of the last text block.
  std::optional<ToolCall> write_response(bool wants_tool, Tool tool, std::string* final_text) {
    if (context_ + pending_ > compact_threshold_) {
      write_compaction();
    }
    advance(rng_.between(1'500, 12'000));  // the model thinks
    same_day_guard();

    std::optional<ToolCall> call;
    build_blocks(wants_tool, tool, &call, final_text);
    const bool partial = rng_.chance(0.10) && blocks_.size() >= 2;
    std::int64_t output = rng_.between(2, 40);
    for (const std::string& block : blocks_) {
      output += static_cast<std::int64_t>(block.size() * 10 / 36);
    }
    if (rng_.chance(0.05)) {
      output += rng_.log_between(200, 8'000);  // thinking not shown in the transcript
    }
    Usage usage = next_usage(output);
    const std::int64_t partial_output =
        partial ? rng_.between(1, std::min<std::int64_t>(output - 1, 40)) : output;

    const bool requestless = !run_.compatible && id_.agent_id.empty() && rng_.chance(0.02);
    const std::string msg_id = message_id(rng_);
    const std::string req_id = requestless ? std::string() : request_id(rng_);
    const std::string_view stop = wants_tool ? "tool_use" : "end_turn";
    const std::int64_t first_ms = clock_ms_;

    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      if (i > 0) {
        advance(rng_.between(30, 2'500));
      }
      const bool last = i + 1 == blocks_.size();
      const std::int64_t line_output = (partial && !last) ? partial_output : output;
      const std::string uuid = uuid4(rng_);
      build_assistant_line(msg_id, req_id, blocks_[i], usage, line_output,
                           (id_.traits.final_stop_reason && !partial) ? stop : std::string_view(),
                           uuid);
      if (i == 0 && !run_.compatible && rng_.chance(0.0015)) {
        write_torn_copy();
      }
      if (requestless) {
        file_.note_requestless(RequestlessNote{0, msg_id, knobs_.model, usage.speed,
                                               usage.tokens(line_output), clock_ms_});
      }
      file_.write(line_, requestless ? LineKind::kRequestless : LineKind::kUsage);
      if (progress_ != nullptr && rng_.chance(0.35 / static_cast<double>(blocks_.size()))) {
        write_agent_progress();
      }
      parent_uuid_ = uuid;
      if (call && last) {
        call->assistant_uuid = uuid;
      }
    }
    run_.record_request(first_ms, knobs_.model, usage.speed, usage.tokens(output));
    last_usage_ = usage;
    last_usage_.output = output;
    total_tokens_ += usage.tokens(output).total();
    pending_ += output;
    return call;
  }

  Usage next_usage(std::int64_t output) {
    Usage u;
    u.output = output;
    u.speed = fast_ ? Speed::kFast : Speed::kStandard;
    u.input = rng_.chance(0.92) ? rng_.between(1, 12) : rng_.log_between(20, 3'000);
    std::int64_t creation = pending_;
    if (cache_miss_next_ || rng_.chance(0.03)) {
      u.cache_read = rng_.chance(0.8) ? std::min(context_, system_prefix_) : 0;
      creation += context_ - u.cache_read;
      cache_miss_next_ = false;
    } else {
      u.cache_read = context_;
    }
    if (run_.compatible) {
      std::int64_t excess = u.input + creation + u.cache_read - kLongContextTokens;
      if (excess > 0) {
        const std::int64_t cut = std::min(excess, creation);
        creation -= cut;
        excess -= cut;
        u.cache_read -= std::min(excess, u.cache_read);
      }
    } else {
      if (rng_.chance(0.01)) {
        u.web_search_requests = rng_.between(1, 4);
      }
      if (rng_.chance(0.004)) {
        u.web_fetch_requests = 1;
      }
    }
    split_cache_creation(creation, &u);
    context_ = u.cache_read + creation;
    pending_ = 0;
    return u;
  }

  void split_cache_creation(std::int64_t creation, Usage* u) {
    if (!id_.traits.cache_object) {
      u->cache_write_5m = creation;  // without the split object everything is priced as 5m
      return;
    }
    switch (knobs_.tier) {
      case CacheTier::k5m:
        u->cache_write_5m = creation;
        break;
      case CacheTier::k1h:
        u->cache_write_1h = creation;
        break;
      case CacheTier::kMixed:
        u->cache_write_1h = rng_.between(0, creation);
        u->cache_write_5m = creation - u->cache_write_1h;
        break;
    }
  }

  void new_compact_threshold() {
    compact_threshold_ =
        knobs_.long_context ? rng_.between(380'000, 900'000) : rng_.between(135'000, 168'000);
  }

  void build_assistant_line(std::string_view msg_id, std::string_view req_id,
                            std::string_view block, const Usage& u, std::int64_t output,
                            std::string_view stop_reason, std::string_view uuid) {
    line_.clear();
    append_envelope(line_, id_, parent_uuid_);
    line_ += ",\"message\":{\"model\":\"";
    line_ += knobs_.model;
    line_ += "\",\"id\":\"";
    line_ += msg_id;
    line_ += "\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[";
    line_ += block;
    line_ += "],\"stop_reason\":";
    if (stop_reason.empty()) {
      line_ += "null";
    } else {
      line_ += '"';
      line_ += stop_reason;
      line_ += '"';
    }
    line_ += ",\"stop_sequence\":null,\"usage\":";
    append_usage(line_, u, output);
    line_ += '}';
    if (!req_id.empty()) {
      line_ += ",\"requestId\":\"";
      line_ += req_id;
      line_ += '"';
    }
    line_ += ",\"type\":\"assistant\"";
    append_uuid_timestamp(line_, uuid, clock_ms_);
    line_ += '}';
  }

  void append_usage(std::string& out, const Usage& u, std::int64_t output) const {
    out += "{\"input_tokens\":";
    append_int(out, u.input);
    out += ",\"cache_creation_input_tokens\":";
    append_int(out, u.cache_write_5m + u.cache_write_1h);
    out += ",\"cache_read_input_tokens\":";
    append_int(out, u.cache_read);
    if (id_.traits.cache_object) {
      out += ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":";
      append_int(out, u.cache_write_5m);
      out += ",\"ephemeral_1h_input_tokens\":";
      append_int(out, u.cache_write_1h);
      out += '}';
    }
    out += ",\"output_tokens\":";
    append_int(out, output);
    if (id_.traits.server_tool_use || u.web_search_requests > 0 || u.web_fetch_requests > 0) {
      out += ",\"server_tool_use\":{\"web_search_requests\":";
      append_int(out, u.web_search_requests);
      out += ",\"web_fetch_requests\":";
      append_int(out, u.web_fetch_requests);
      out += '}';
    }
    out += ",\"service_tier\":\"standard\"";
    if (u.speed == Speed::kFast) {
      out += ",\"speed\":\"fast\"";
    }
    out += '}';
  }

  // A torn write: the start of the line about to be written, without its end.
  void write_torn_copy() {
    const std::size_t cut = line_.size() * static_cast<std::size_t>(rng_.between(40, 95)) / 100;
    file_.write(std::string_view(line_).substr(0, cut), LineKind::kMalformed);
  }

  // The subagent line just built, nested in an agent_progress line of the parent's file.
  void write_agent_progress() {
    std::string& out = progress_line_;
    out.clear();
    append_envelope(out, *progress_->parent, progress_->parent_uuid);
    out += ",\"type\":\"progress\",\"data\":{\"message\":";
    out += line_;
    out += ",\"normalizedMessages\":[],\"type\":\"agent_progress\",\"prompt\":\"\",\"agentId\":\"";
    out += id_.agent_id;
    out += "\"},\"toolUseID\":\"agent_msg_01";
    append_base62(out, rng_, 22);
    out += "\",\"parentToolUseID\":\"";
    out += progress_->tool_use_id;
    out += '"';
    append_uuid_timestamp(out, uuid4(rng_), clock_ms_ + rng_.between(1, 3));
    out += '}';
    progress_->file->write(out, LineKind::kProgressUsage);
  }

  // --- content blocks ---

  void build_blocks(bool wants_tool, Tool tool, std::optional<ToolCall>* call,
                    std::string* final_text) {
    // Tool responses: [tool], [text, tool], [thinking, tool], [thinking, text, tool].
    // Final answers: [text], [thinking, text].
    static constexpr std::array<double, 4> kToolShapes = {0.35, 0.30, 0.25, 0.10};
    static constexpr std::array<double, 2> kFinalShapes = {0.6, 0.4};
    const std::size_t shape = wants_tool ? rng_.weighted(kToolShapes) : rng_.weighted(kFinalShapes);
    const bool thinking = wants_tool ? (shape == 2 || shape == 3) : shape == 1;
    const bool text = wants_tool ? (shape == 1 || shape == 3) : true;
    blocks_.clear();
    if (thinking) {
      blocks_.emplace_back();
      build_thinking(blocks_.back());
    }
    if (text) {
      blocks_.emplace_back();
      build_text(blocks_.back(), wants_tool ? 400 : 2'500, final_text);
    }
    if (wants_tool) {
      blocks_.emplace_back();
      *call = build_tool_use(blocks_.back(), tool);
    }
  }

  void build_thinking(std::string& out) {
    out += "{\"type\":\"thinking\",\"thinking\":\"";
    run_.prose->append(out, rng_, static_cast<std::size_t>(rng_.log_between(80, 4'000)));
    out += "\",\"signature\":\"";
    append_base64(out, rng_, static_cast<std::size_t>(rng_.between(200, 1'200)));
    out += "\"}";
  }

  void build_text(std::string& out, std::int64_t max_bytes, std::string* final_text) {
    out += "{\"type\":\"text\",\"text\":\"";
    const std::size_t start = out.size();
    run_.prose->append(out, rng_, static_cast<std::size_t>(rng_.log_between(20, max_bytes)));
    if (final_text != nullptr) {
      final_text->assign(out, start, out.size() - start);
    }
    out += "\"}";
  }

  std::string project_file() {
    std::string path = id_.cwd;
    path += '/';
    path += pick(rng_, kFiles);
    return path;
  }

  ToolCall build_tool_use(std::string& out, Tool tool) {
    ToolCall call;
    call.tool = tool;
    call.id = tool_use_id(rng_);
    out += "{\"type\":\"tool_use\",\"id\":\"";
    out += call.id;
    out += "\",\"name\":\"";
    out += kToolNames[static_cast<std::size_t>(tool)];
    out += "\",\"input\":{";
    switch (tool) {
      case Tool::kBash: {
        const BashCommand& bash = pick(rng_, kBashCommands);
        out += "\"command\":\"";
        append_escaped(out, bash.command);
        out += "\",\"description\":\"";
        append_escaped(out, bash.description);
        out += '"';
        if (rng_.chance(0.1)) {
          out += ",\"timeout\":120000";
        }
        break;
      }
      case Tool::kRead:
        call.file_path = project_file();
        out += "\"file_path\":\"";
        append_escaped(out, call.file_path);
        out += '"';
        if (rng_.chance(0.2)) {
          out += ",\"offset\":";
          append_int(out, rng_.between(1, 400));
          out += ",\"limit\":200";
        }
        break;
      case Tool::kEdit:
        call.file_path = project_file();
        out += "\"file_path\":\"";
        append_escaped(out, call.file_path);
        out += "\",\"old_string\":\"";
        run_.code->append(out, rng_, static_cast<std::size_t>(rng_.log_between(30, 1'500)));
        out += "\",\"new_string\":\"";
        run_.code->append(out, rng_, static_cast<std::size_t>(rng_.log_between(30, 2'000)));
        out += "\",\"replace_all\":false";
        break;
      case Tool::kWrite:
        call.file_path = project_file();
        out += "\"file_path\":\"";
        append_escaped(out, call.file_path);
        out += "\",\"content\":\"";
        run_.code->append(out, rng_, static_cast<std::size_t>(rng_.log_between(300, 12'000)));
        out += '"';
        break;
      case Tool::kGrep:
        out += "\"pattern\":\"";
        append_escaped(out, pick(rng_, kGrepPatterns));
        out += "\",\"path\":\"";
        append_escaped(out, id_.cwd);
        out += "\",\"output_mode\":\"content\",\"-n\":true";
        break;
      case Tool::kGlob:
        out += "\"pattern\":\"";
        out += pick(rng_, kGlobPatterns);
        out += '"';
        break;
      case Tool::kTodoWrite:
        append_todos(out);
        break;
      case Tool::kWebSearch:
        out += "\"query\":\"";
        append_escaped(out, pick(rng_, kQueries));
        out += '"';
        break;
      case Tool::kWebFetch:
        out += "\"url\":\"";
        out += pick(rng_, kUrls);
        out += "\",\"prompt\":\"Summarize the parts about configuration.\"";
        break;
      case Tool::kTask:
        call.task_description = pick(rng_, kTaskDescriptions);
        run_.prose->append(call.task_prompt, rng_,
                           static_cast<std::size_t>(rng_.log_between(200, 2'000)));
        out += "\"description\":\"";
        append_escaped(out, call.task_description);
        out += "\",\"prompt\":\"";
        out += call.task_prompt;
        out += "\",\"subagent_type\":\"";
        out += pick(rng_, kSubagentTypes);
        out += '"';
        break;
    }
    out += "}}";
    return call;
  }

  void append_todos(std::string& out) {
    out += "\"todos\":[";
    const std::int64_t n = rng_.between(2, 6);
    for (std::int64_t i = 0; i < n; ++i) {
      if (i > 0) {
        out += ',';
      }
      const std::string_view todo = pick(rng_, kTodos);
      out += "{\"content\":\"";
      out += todo;
      out += "\",\"status\":\"";
      out += i == 0 ? "in_progress" : "pending";
      out += "\",\"activeForm\":\"";
      out += todo;
      out += "\"}";
    }
    out += ']';
  }

  // --- user lines ---

  void append_prompt_text(std::string& out) {
    const double kind = rng_.unit();
    if (kind < 0.04) {
      out +=
          "<command-name>/review</command-name>\\n<command-message>review</command-message>"
          "\\n<command-args>";
      run_.prose->append(out, rng_, 60);
      out += "</command-args>";
    } else if (kind < 0.06) {
      out += "[Request interrupted by user for tool use]";
    } else if (kind < 0.11) {
      run_.code->append(out, rng_, static_cast<std::size_t>(rng_.log_between(2'000, 20'000)));
    } else {
      run_.prose->append(out, rng_, static_cast<std::size_t>(rng_.log_between(20, 1'500)));
    }
  }

  // A typed prompt (is_prompt) or a subagent's first line; `text` is escaped.
  void write_user_text(std::string_view text, bool is_prompt) {
    advance(rng_.between(5, 400));
    const std::string uuid = uuid4(rng_);
    line_.clear();
    append_envelope(line_, id_, parent_uuid_);
    line_ += ",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"";
    line_ += text;
    line_ += "\"}";
    append_uuid_timestamp(line_, uuid, clock_ms_);
    if (is_prompt && id_.traits.prompt_id) {
      line_ += ",\"promptId\":\"";
      line_ += uuid4(rng_);
      line_ += '"';
    }
    if (is_prompt) {
      line_ += ",\"permissionMode\":\"default\"";
    }
    line_ += '}';
    file_.write(line_, LineKind::kOther);
    parent_uuid_ = uuid;
    pending_ += static_cast<std::int64_t>(text.size() / 4) + 5;
  }

  // Starts a tool_result user line; the caller appends the content and calls finish_tool_result.
  void begin_tool_result(const ToolCall& call) {
    line_.clear();
    append_envelope(line_, id_, parent_uuid_);
    line_ += ",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"tool_use_id\":\"";
    line_ += call.id;
    line_ += "\",\"type\":\"tool_result\",\"content\":";
  }

  void finish_tool_result(const ToolCall& call, bool is_error, std::string_view tool_use_result) {
    line_ += is_error ? ",\"is_error\":true}]}" : ",\"is_error\":false}]}";
    const std::string uuid = uuid4(rng_);
    append_uuid_timestamp(line_, uuid, clock_ms_);
    line_ += ",\"toolUseResult\":";
    line_ += tool_use_result;
    line_ += ",\"sourceToolAssistantUUID\":\"";
    line_ += call.assistant_uuid;
    line_ += "\"}";
    pending_ += static_cast<std::int64_t>(line_.size() / 7) + 10;
    file_.write(line_, LineKind::kOther);
    parent_uuid_ = uuid;
  }

  // Heavy-tailed size of a tool result line: 200 B to 60 KB.
  std::size_t tool_result_bytes() {
    static constexpr std::array<double, 3> kBands = {0.55, 0.33, 0.12};
    switch (rng_.weighted(kBands)) {
      case 0:
        return static_cast<std::size_t>(rng_.log_between(200, 2'000));
      case 1:
        return static_cast<std::size_t>(rng_.log_between(2'000, 12'000));
      default:
        return static_cast<std::size_t>(rng_.log_between(12'000, 60'000));
    }
  }

  void write_tool_result(const ToolCall& call) {
    // Near the end of the file's budget results shrink, so that files land near their size.
    const std::uint64_t left = budget_ > file_.bytes() ? budget_ - file_.bytes() : 0;
    const std::size_t size =
        std::min<std::size_t>(tool_result_bytes(), std::max<std::uint64_t>(left, 200));
    const std::size_t body = size > 900 ? (size - 700) / 2 : 100;
    std::string& text = scratch_;
    text.clear();
    std::string& result = tool_use_result_;
    result.clear();
    const double outcome = rng_.unit();
    if (outcome < 0.01) {
      text =
          "\"The user doesn't want to proceed with this tool use. The tool use was rejected "
          "(eg. if it was a file edit, the new_string was NOT written to the file). STOP what "
          "you are doing and wait for the user to tell you how to proceed.\"";
      result = "\"User rejected tool use\"";
      begin_tool_result(call);
      line_ += text;
      finish_tool_result(call, true, result);
      return;
    }
    if (outcome < 0.04) {
      text = "\"Exit code 1\\n";
      run_.code->append(text, rng_, std::min<std::size_t>(body, 4'000));
      text += '"';
      result = "\"Error: Exit code 1\"";
      begin_tool_result(call);
      line_ += text;
      finish_tool_result(call, true, result);
      return;
    }
    build_tool_output(call, body);
    begin_tool_result(call);
    line_ += text;
    finish_tool_result(call, false, result);
  }

  // Fills scratch_ (the tool_result content, a JSON value) and tool_use_result_ (a JSON value).
  void build_tool_output(const ToolCall& call, std::size_t body) {
    std::string& text = scratch_;
    std::string& result = tool_use_result_;
    const TextCorpus& code = *run_.code;
    std::string content;
    switch (call.tool) {
      case Tool::kBash:
        code.append(content, rng_, body);
        text = "\"" + content + "\"";
        result = "{\"stdout\":\"" + content +
                 "\",\"stderr\":\"\",\"interrupted\":false,\"isImage\":false}";
        return;
      case Tool::kRead: {
        code.append(content, rng_, body);
        const std::int64_t lines = static_cast<std::int64_t>(body / 40) + 1;
        text = "\"" + content + "\"";
        result = "{\"type\":\"text\",\"file\":{\"filePath\":\"";
        append_escaped(result, call.file_path);
        result += "\",\"content\":\"" + content + "\",\"numLines\":";
        append_int(result, lines);
        result += ",\"startLine\":1,\"totalLines\":";
        append_int(result, lines + rng_.between(0, 300));
        result += "}}";
        return;
      }
      case Tool::kEdit: {
        code.append(content, rng_, body * 2);
        text = "\"The file ";
        append_escaped(text, call.file_path);
        text +=
            " has been updated. Here's the result of running `cat -n` on a snippet of the "
            "edited file:\\n";
        code.append(text, rng_, 300);
        text += '"';
        const std::int64_t start = rng_.between(1, 300);
        result = "{\"filePath\":\"";
        append_escaped(result, call.file_path);
        result += "\",\"oldString\":\"x\",\"newString\":\"y\",\"originalFile\":\"" + content +
                  "\",\"structuredPatch\":[{\"oldStart\":";
        append_int(result, start);
        result += ",\"oldLines\":3,\"newStart\":";
        append_int(result, start);
        result +=
            ",\"newLines\":4,\"lines\":[\"   return out;\",\"-  }\",\"+  }\\n\",\"+  "
            "// done\"]}],\"userModified\":false,\"replaceAll\":false}";
        return;
      }
      case Tool::kWrite:
        text = "\"File created successfully at: ";
        append_escaped(text, call.file_path);
        text += '"';
        result = "{\"type\":\"create\",\"filePath\":\"";
        append_escaped(result, call.file_path);
        result += "\",\"content\":\"";
        code.append(result, rng_, body);
        result += "\",\"structuredPatch\":[]}";
        return;
      case Tool::kGrep:
      case Tool::kGlob: {
        const std::size_t n = std::max<std::size_t>(1, body / 60);
        result = "{\"mode\":\"files_with_matches\",\"filenames\":[";
        text = "\"Found ";
        text += std::to_string(n);
        text += " files\\n";
        for (std::size_t i = 0; i < n; ++i) {
          std::string path = id_.cwd + "/src/" + std::string(pick(rng_, kFiles));
          path += fmt::format(".{}", i);
          if (i > 0) {
            result += ',';
          }
          result += '"';
          append_escaped(result, path);
          result += '"';
          append_escaped(text, path);
          text += "\\n";
        }
        text += '"';
        result += "],\"numFiles\":";
        append_int(result, static_cast<std::int64_t>(n));
        result += '}';
        return;
      }
      case Tool::kTodoWrite:
        text =
            "\"Todos have been modified successfully. Ensure that you continue to use the todo "
            "list to track your progress. Please proceed with the current tasks if "
            "applicable\"";
        result = "{\"oldTodos\":[],\"newTodos\":[]}";
        return;
      case Tool::kWebSearch:
      case Tool::kWebFetch:
      case Tool::kTask:
        run_.prose->append(content, rng_, body);
        text = "\"" + content + "\"";
        result = "{\"bytes\":";
        append_int(result, static_cast<std::int64_t>(body));
        result +=
            ",\"code\":200,\"codeText\":\"OK\",\"result\":\"" + content + "\",\"durationMs\":";
        append_int(result, rng_.between(300, 9'000));
        result += '}';
        return;
    }
  }

  void write_task_result(const ToolCall& call, const SubagentOutcome& outcome) {
    std::string& result = tool_use_result_;
    result = "{\"status\":\"completed\",\"prompt\":\"";
    result += call.task_prompt;
    result += "\",\"agentId\":\"";
    result += outcome.agent_id;
    result += "\",\"content\":[{\"type\":\"text\",\"text\":\"";
    result += outcome.final_text;
    result += "\"}],\"totalDurationMs\":";
    append_int(result, outcome.end_ms - clock_ms_ + rng_.between(1'000, 60'000));
    result += ",\"totalTokens\":";
    append_int(result, outcome.total_tokens);
    result += ",\"totalToolUseCount\":";
    append_int(result, outcome.tool_uses);
    if (id_.traits.task_usage) {
      // A usage object outside message.usage: it must not be counted.
      result += ",\"usage\":";
      append_usage(result, outcome.last_usage, outcome.last_usage.output);
    }
    result += '}';
    begin_tool_result(call);
    line_ += "[{\"type\":\"text\",\"text\":\"";
    line_ += outcome.final_text;
    line_ += "\"}]";
    finish_tool_result(call, false, result);
  }

  // --- other lines ---

  void write_file_history_snapshot() {
    const std::string message = uuid4(rng_);
    line_.clear();
    line_ += "{\"type\":\"file-history-snapshot\",\"messageId\":\"";
    line_ += message;
    line_ += "\",\"snapshot\":{\"messageId\":\"";
    line_ += message;
    line_ += "\",\"trackedFileBackups\":{";
    const std::int64_t n = rng_.chance(0.5) ? 0 : rng_.between(1, 4);
    for (std::int64_t i = 0; i < n; ++i) {
      if (i > 0) {
        line_ += ',';
      }
      line_ += '"';
      line_ += kFiles[static_cast<std::size_t>(i) * 3 % kFiles.size()];
      line_ += "\":{\"backupFileName\":\"";
      append_hex(line_, rng_, 16);
      line_ += "@v";
      const std::int64_t version = rng_.between(1, 9);
      append_int(line_, version);
      line_ += "\",\"version\":";
      append_int(line_, version);
      line_ += ",\"backupTime\":\"";
      append_iso_ms(line_, clock_ms_);
      line_ += "\"}";
    }
    line_ += "},\"timestamp\":\"";
    append_iso_ms(line_, clock_ms_);
    line_ += "\"},\"isSnapshotUpdate\":false}";
    file_.write(line_, LineKind::kOther);
  }

  void write_hook_progress(std::string_view event, std::string_view tool,
                           std::string_view tool_use) {
    advance(rng_.between(5, 200));
    const std::string uuid = uuid4(rng_);
    const std::string id = tool_use.empty() ? tool_use_id(rng_) : std::string(tool_use);
    line_.clear();
    append_envelope(line_, id_, parent_uuid_);
    line_ += ",\"type\":\"progress\",\"data\":{\"type\":\"hook_progress\",\"hookEvent\":\"";
    line_ += event;
    line_ += "\",\"hookName\":\"";
    line_ += event;
    if (!tool.empty()) {
      line_ += ':';
      line_ += tool;
    }
    line_ += "\",\"command\":\"";
    append_escaped(line_, pick(rng_, kHookCommands));
    line_ += "\"},\"parentToolUseID\":\"";
    line_ += id;
    line_ += "\",\"toolUseID\":\"";
    line_ += id;
    line_ += '"';
    append_uuid_timestamp(line_, uuid, clock_ms_);
    line_ += '}';
    file_.write(line_, LineKind::kOther);
  }

  void write_turn_duration() {
    advance(rng_.between(5, 50));
    const std::string uuid = uuid4(rng_);
    line_.clear();
    append_envelope(line_, id_, parent_uuid_);
    line_ += ",\"type\":\"system\",\"subtype\":\"turn_duration\",\"durationMs\":";
    append_int(line_, rng_.log_between(2'000, 900'000));
    line_ += ",\"isMeta\":false";
    append_uuid_timestamp(line_, uuid, clock_ms_);
    line_ += '}';
    file_.write(line_, LineKind::kOther);
    parent_uuid_ = uuid;
  }

  void write_compaction() {
    advance(rng_.between(20'000, 90'000));
    const std::string boundary = uuid4(rng_);
    line_.clear();
    line_ += "{\"parentUuid\":null,\"logicalParentUuid\":\"";
    line_ += parent_uuid_;
    line_ += '"';
    std::string envelope;
    append_envelope(envelope, id_, "");
    line_ += envelope.substr(std::string_view("{\"parentUuid\":null").size());
    line_ +=
        ",\"type\":\"system\",\"subtype\":\"compact_boundary\",\"content\":\"Conversation "
        "compacted\",\"isMeta\":false";
    append_uuid_timestamp(line_, boundary, clock_ms_);
    line_ += ",\"level\":\"info\",\"compactMetadata\":{\"trigger\":\"auto\",\"preTokens\":";
    append_int(line_, context_ + pending_);
    line_ += "}}";
    file_.write(line_, LineKind::kOther);

    const std::string summary = uuid4(rng_);
    advance(rng_.between(5, 50));
    line_.clear();
    append_envelope(line_, id_, boundary);
    line_ +=
        ",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"This session is being "
        "continued from a previous conversation that ran out of context. The conversation "
        "is summarized below:\\n";
    run_.prose->append(line_, rng_, static_cast<std::size_t>(rng_.between(1'000, 6'000)));
    line_ += "\"},\"isVisibleInTranscriptOnly\":true,\"isCompactSummary\":true";
    append_uuid_timestamp(line_, summary, clock_ms_);
    line_ += '}';
    file_.write(line_, LineKind::kOther);
    parent_uuid_ = summary;

    context_ = system_prefix_ + rng_.between(2'000, 9'000);
    pending_ = static_cast<std::int64_t>(line_.size() / 4);
    cache_miss_next_ = true;
    new_compact_threshold();
  }

  // A locally generated usage-limit error: model "<synthetic>", zero usage, no requestId.
  void write_synthetic_limit() {
    advance(rng_.between(300, 3'000));
    const std::int64_t reset_s = (floor_div(clock_ms_, 3'600'000) + rng_.between(1, 5)) * 3'600;
    const std::string uuid = uuid4(rng_);
    line_.clear();
    append_envelope(line_, id_, parent_uuid_);
    line_ += ",\"type\":\"assistant\"";
    append_uuid_timestamp(line_, uuid, clock_ms_);
    line_ += ",\"message\":{\"id\":\"";
    line_ += uuid4(rng_);
    line_ +=
        "\",\"model\":\"<synthetic>\",\"role\":\"assistant\",\"stop_reason\":\"stop_sequence\","
        "\"stop_sequence\":\"\",\"type\":\"message\",\"usage\":{\"input_tokens\":0,"
        "\"output_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
        "\"server_tool_use\":{\"web_search_requests\":0},\"service_tier\":null},\"content\":"
        "[{\"type\":\"text\",\"text\":\"Claude AI usage limit reached|";
    append_int(line_, reset_s);
    line_ += "\"}]},\"isApiErrorMessage\":true}";
    file_.write(line_, LineKind::kSynthetic);
    parent_uuid_ = uuid;
    // The user waits for the reset.
    advance(std::max<std::int64_t>(60'000, reset_s * 1000 - clock_ms_));
    cache_miss_next_ = true;
  }

  RunContext& run_;
  TranscriptFile& file_;
  Identity id_;
  Knobs knobs_;
  Rng rng_;
  std::int64_t clock_ms_;
  std::string parent_uuid_;

  // The conversation's prompt cache, in tokens.
  std::int64_t system_prefix_ = 0;  // cached across sessions (system prompt and tools)
  std::int64_t context_ = 0;        // cached prefix of this conversation
  std::int64_t pending_ = 0;        // tokens added since the last request
  std::int64_t compact_threshold_ = 0;
  bool cache_miss_next_ = true;
  bool fast_ = false;

  std::uint64_t budget_ = 0;
  std::vector<std::uint64_t> subagent_budgets_;
  std::size_t next_subagent_ = 0;
  SpawnSubagent spawn_;
  ProgressTarget* progress_ = nullptr;  // set on subagents; owned by the spawner

  Usage last_usage_;
  std::int64_t total_tokens_ = 0;
  int tool_uses_ = 0;

  std::vector<std::string> blocks_;
  std::string line_;
  std::string progress_line_;
  std::string scratch_;
  std::string tool_use_result_;
};

// ---------------------------------------------------------------------------------------------
// Text the corpora are cut from: code, tool output and prose with the characters that make JSON
// escaping interesting (quotes, backslashes, tabs, control characters, non-ASCII, emoji).

constexpr std::array<std::string_view, 24> kCodeFragments = {
    R"FRAG(#include <string>
#include <vector>

// Splits "a,b,\"c,d\"" into fields, honouring quotes.
std::vector<std::string> split_csv(std::string_view line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') { quoted = !quoted; continue; }
    if (c == ',' && !quoted) { out.push_back(field); field.clear(); continue; }
    field += c;
  }
  out.push_back(field);
  printf("%zu fields\n", out.size());
  return out;
})FRAG",
    R"FRAG(import re
from pathlib import Path

DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")

def parse_line(line: str) -> dict | None:
    """Parse one log line like '2026-03-02T03:03:51Z level=info msg="started"'."""
    m = DATE_RE.match(line)
    if not m:
        return None
    fields = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    return {"ts": m.group(0), **fields}

for p in Path("logs").glob("*.log"):
    print(f"{p.name}\t{sum(1 for _ in p.open())} lines"))FRAG",
    R"FRAG(export async function fetchUser(id: string): Promise<User> {
  const res = await fetch(`${API_BASE}/users/${encodeURIComponent(id)}`, {
    headers: { "Authorization": `Bearer ${token}`, "Content-Type": "application/json" },
  });
  if (!res.ok) {
    throw new Error(`GET /users/${id} failed: ${res.status} ${res.statusText}`);
  }
  return (await res.json()) as User;
})FRAG",
    R"FRAG(impl<'a> Parser<'a> {
    pub fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'\\') => Err(ParseError::UnexpectedEscape { at: self.pos }),
            Some(c) if c.is_ascii_digit() => self.number(),
            Some(c) => Err(ParseError::Unexpected(c as char, self.pos)),
            None => Ok(Token::Eof),
        }
    }
})FRAG",
    "func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {\n"
    "\ts.mu.RLock()\n\tdefer s.mu.RUnlock()\n\tv, ok := s.items[key]\n\tif !ok {\n"
    "\t\treturn nil, fmt.Errorf(\"store: key %q not found\", key)\n\t}\n\treturn v, nil\n}",
    "total 184\n"
    "drwxr-xr-x  12 alice alice  4096 Mar  2 03:03 .\n"
    "drwxr-xr-x   5 alice alice  4096 Feb 27 18:22 ..\n"
    "-rw-r--r--   1 alice alice   612 Mar  1 22:38 .gitignore\n"
    "-rw-r--r--   1 alice alice  2418 Mar  2 01:15 package.json\n"
    "drwxr-xr-x   4 alice alice  4096 Mar  2 03:01 src\n"
    "-rw-r--r--   1 alice alice 88311 Mar  2 02:59 yarn.lock",
    R"FRAG(a1b2c3d fix: handle "quoted" header values
9f8e7d6 feat(parser): accept CRLF line endings
5d4c3b2 chore: bump deps
0a9b8c7 Merge pull request #412 from alice/streaming)FRAG",
    "\x1b[32m \xe2\x9c\x93\x1b[0m src/parser.test.ts (24 tests) 38ms\n"
    "\x1b[31m \xe2\x9c\x97\x1b[0m src/server.test.ts > GET /health returns 200\n"
    "   AssertionError: expected 500 to be 200 // Object.is equality\n\n"
    " Test Files  1 failed | 11 passed (12)\n      Tests  1 failed | 187 passed (188)\r\n"
    "   Duration  2.41s",
    R"FRAG(____________________________ test_parse_header ____________________________

    def test_parse_header():
>       assert parse_header(b"Content-Type: text/plain\r\n") == ("content-type", "text/plain")
E       AssertionError: assert ('content-type', 'text/plain\r') == ('content-type', 'text/plain')
E         At index 1 diff: 'text/plain\r' != 'text/plain'

tests/test_http.py:42: AssertionError
FAILED tests/test_http.py::test_parse_header - AssertionError)FRAG",
    R"FRAG({
  "name": "api-chat",
  "version": "1.4.2",
  "scripts": {
    "build": "tsc -p tsconfig.json",
    "test": "vitest run",
    "lint": "eslint \"src/**/*.{ts,tsx}\""
  },
  "dependencies": { "express": "^4.19.2", "zod": "^3.23.8" },
  "usage": {"input_tokens": 12, "id": null}
})FRAG",
    R"FRAG(Error: ENOENT: no such file or directory, open 'C:\Users\alice\AppData\Local\Temp\build-4f2a\out.log'
    at Object.openSync (node:fs:596:3)
    at C:\Users\alice\work\api-chat\node_modules\vite\dist\node\chunks\dep-C6uTJdX2.js:1234:17)FRAG",
    "CXXFLAGS ?= -O2 -Wall -Wextra -std=c++20\n\nbuild/%.o: src/%.cpp\n"
    "\t@mkdir -p $(dir $@)\n\t$(CXX) $(CXXFLAGS) -c $< -o $@\n\n"
    "test: build/app\n\t./build/app --self-test && echo \"ok\"",
    R"FRAG(error[E0502]: cannot borrow `self.items` as mutable because it is also borrowed as immutable
  --> src/lib/parser.rs:88:9
   │
85 │         let first = self.items.first();
   │                     ---------- immutable borrow occurs here
88 │         self.items.push(token);
   │         ^^^^^^^^^^^^^^^^^^^^^^ mutable borrow occurs here)FRAG",
    R"FRAG(CREATE TABLE IF NOT EXISTS requests (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  request_id TEXT,
  ts_ms INTEGER NOT NULL,
  UNIQUE (message_id, request_id)
);
SELECT date(ts_ms / 1000, 'unixepoch') AS day, SUM(output_tokens) FROM requests GROUP BY day;)FRAG",
    R"FRAG(name: CI
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm test -- --reporter=dot
      - run: echo "::notice title=Coverage::$(cat coverage/summary.txt)")FRAG",
    R"FRAG(src/server.ts:42:  const url = `http://${host}:${port}/health`;
src/server.ts:87:  // TODO: handle "Connection: close" properly
src/lib/log.ts:12:export const log = (msg: string) => console.log(`[${new Date().toISOString()}] ${msg}`);)FRAG",
    R"FRAG(diff --git a/src/parser.ts b/src/parser.ts
@@ -10,7 +10,9 @@ export function parseHeader(line: string) {
-  const [k, v] = line.split(":");
+  const i = line.indexOf(":");
+  if (i < 0) throw new Error(`bad header: "${line}"`);
+  const k = line.slice(0, i), v = line.slice(i + 1).trim();
   return [k.toLowerCase(), v];)FRAG",
    R"FRAG(FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
CMD ["node", "dist/server.js", "--port", "8080"])FRAG",
    R"FRAG(const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const path = require("path").join(__dirname, "..", "fixtures", "data.json");
console.log(JSON.stringify({ ok: EMAIL.test(input), path, "model": "claude-opus-4-6" }, null, 2));)FRAG",
    "Exception in thread \"main\" java.lang.NullPointerException: Cannot invoke "
    "\"String.length()\" because \"name\" is null\n"
    "\tat com.acme.billing.Invoice.render(Invoice.java:57)\n"
    "\tat com.acme.billing.Main.main(Main.java:14)",
    R"FRAG(date,project,input_tokens,output_tokens,cost_usd
2026-03-01,api-chat,12045,88231,3.41
2026-03-02,"web demo, v2",9012,45110,1.87)FRAG",
    R"FRAG(✔ Compiled successfully in 1.2s — 0 warnings
ℹ Serving at http://localhost:5173/ (press h + enter to show help)
⚠ Große Datei: src/assets/Übersicht.png (2.4 MB) → consider compressing
日本語のテストデータ: こんにちは世界 🚀)FRAG",
    R"FRAG(export function Button({ label, onClick }: Props) {
  return (
    <button className="btn btn-primary" aria-label={label} onClick={() => onClick?.()}>
      {label} &rarr;
    </button>
  );
})FRAG",
    R"FRAG(#!/usr/bin/env bash
set -euo pipefail
for f in "$@"; do
  if [[ "$f" == *.jsonl ]]; then
    printf '%s\t%d\n' "$f" "$(wc -l < "$f")"
  fi
done)FRAG",
};

constexpr std::array<std::string_view, 16> kProseFragments = {
    "I'll start by reading the failing test to understand what it expects, then look at the "
    "parser.",
    R"FRAG(The issue is in `parse_header()`: it assumes every line ends with `\r\n`, but the fixture uses bare `\n`. I'll normalize line endings before splitting and add a regression test for both cases.)FRAG",
    "Looking at the stack trace, the `TypeError: Cannot read properties of undefined (reading "
    "'map')` comes from `renderList` when `items` is still loading. The fix is to default it to "
    "an empty array.",
    R"FRAG(All 188 tests pass now ✓. Summary of changes:

- **src/parser.ts** — split on the first `:` only, so values like `http://x` survive
- **tests/parser.test.ts** — added cases for CRLF and empty values
- Bumped `zod` to 3.23.8 (no API changes))FRAG",
    R"FRAG(Hmm, wait — the retry loop never resets `attempt` after a success, so after three transient failures every later request gives up immediately. That matches the "works for a while, then fails forever" report. Let me verify by reading the backoff code.)FRAG",
    "Résumé: the naïve approach was O(n²) because each insert scanned the whole list; with a hash "
    "map keyed by (message.id, requestId) it's O(n). Memory stays ~40 MB for 1 GiB of input.",
    R"FRAG(| Command | Before | After |
|---|---|---|
| `daily` | 1.93 s | 0.21 s |
| `session` | 1.97 s | 0.24 s |)FRAG",
    "Can you look at why the dashboard shows $0.00 for Opus today? The numbers in `ccusage` look "
    "right but ours don't.",
    R"FRAG(Let me check the config first: `"strict": true` in tsconfig.json means the implicit `any` in `handler.ts` is an error, not a warning.)FRAG",
    "I found 3 call sites of `parse_header`: `src/http/client.ts:41`, `src/http/server.ts:88` and "
    "`tests/http.test.ts:12`. Only the server one passes untrusted input.",
    "ユーザー設定ファイルを読み込んでから、キャッシュを再構築します。Then I'll rebuild the cache.",
    "The migration is done. One thing to double-check before merging: the `down` migration drops "
    "the `idx_requests_day` index, which the weekly report relies on; re-running `up` restores "
    "it.",
    "please add a --json flag to the export command and make sure it prints valid JSON even when "
    "there is no data (empty array, not null)",
    R"FRAG(Good catch. I've reverted that change; the original behaviour (C:\Users\... paths kept verbatim) was intentional because Windows users rely on it.)FRAG",
    R"FRAG(Thinking about edge cases: an empty file, a file whose last line has no newline, a BOM at the start, and a line that is valid JSON but has "usage": null. Each should be skipped without aborting the scan.)FRAG",
    "🚀 Deployed to staging. Smoke tests: 12/12 passed.\tLatency p50 41 ms → 38 ms, p99 220 ms → "
    "190 ms.",
};

// ---------------------------------------------------------------------------------------------
// The plan: projects, sessions, sizes and start times.

struct ProjectPlan {
  std::string cwd;
  std::string dir;  // encoded
  double weight = 1;
};

struct SessionPlan {
  std::uint32_t id = 0;  // creation order; seeds the session's stream
  std::uint32_t project = 0;
  std::int64_t start_ms = 0;
  double time_scale = 1;
  std::int64_t hard_end_ms = 0;
  bool resume = false;
  double weight = 0;
  std::vector<double> subagent_weights;
  std::uint64_t budget = 0;
  std::vector<std::uint64_t> subagent_budgets;
};

struct Plan {
  std::vector<ProjectPlan> projects;
  std::vector<SessionPlan> sessions;  // by start time
};

enum Purpose : std::uint64_t {
  kPlanStream = 1,
  kCorpusStream = 2,
  kSessionStream = 3,
  kSubagentStream = 4,
  kAppendStream = 5,
};

// Milliseconds of conversation per byte of transcript, on average (measured on generated data);
// used only to fit long sessions inside the requested span.
constexpr double kMsPerByte = 12.0;

std::vector<ProjectPlan> plan_projects(Rng& rng, std::size_t count) {
  std::vector<ProjectPlan> projects;
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < count; ++i) {
    std::string cwd;
    if (i < kProjectNames.size()) {
      cwd = fmt::format("{}/{}", pick(rng, kParentDirs), kProjectNames[i]);
    } else {
      cwd = fmt::format("{}/{}-{}", pick(rng, kParentDirs), kProjectNames[i % kProjectNames.size()],
                        i / kProjectNames.size());
    }
    if (i % 23 == 7) {
      cwd = fmt::format("/tmp/scratch-{}", i);
    }
    std::string dir = encode_project_dir(cwd);
    while (std::find(seen.begin(), seen.end(), dir) != seen.end()) {
      cwd += "-2";
      dir = encode_project_dir(cwd);
    }
    seen.push_back(dir);
    ProjectPlan p;
    p.cwd = std::move(cwd);
    p.dir = std::move(dir);
    // Zipf-like: a few projects get most sessions.
    p.weight = 1.0 / det_exp(0.9 * det_log(static_cast<double>(i) + 1));
    projects.push_back(std::move(p));
  }
  // Shuffle weights so that the busiest project is not always the first name.
  for (std::size_t i = projects.size(); i > 1; --i) {
    std::swap(projects[i - 1].weight, projects[rng.index(i)].weight);
  }
  return projects;
}

std::int64_t pick_start_ms(Rng& rng, std::int64_t first_day, int days) {
  static constexpr std::array<double, 24> kHourWeights = {0.3, 0.2, 0.1, 0.05, 0.05, 0.1, 0.3, 0.8,
                                                          1.5, 2.5, 3.0, 3.0,  2.2,  2.6, 3.0, 3.0,
                                                          2.8, 2.3, 1.6, 1.3,  1.4,  1.3, 0.9, 0.5};
  std::int64_t day = first_day;
  for (int attempt = 0; attempt < 8; ++attempt) {
    day = first_day + rng.between(0, days - 1);
    const std::int64_t weekday = (day + 4) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
    if ((weekday != 0 && weekday != 6) || rng.chance(0.4)) {
      break;
    }
  }
  const auto hour = static_cast<std::int64_t>(rng.weighted(kHourWeights));
  return day * kMsPerDay + hour * 3'600'000 + rng.between(0, 3'599'999);
}

Result<std::int64_t> resolve_end_day(const std::string& end_date) {
  if (end_date.empty()) {
    const auto now = std::chrono::system_clock::now();
    return static_cast<std::int64_t>(
        std::chrono::floor<std::chrono::days>(now).time_since_epoch().count());
  }
  Result<DateKey> key = parse_date_arg(end_date);
  if (!key) {
    return tl::unexpected(key.error());
  }
  const std::chrono::sys_days day{ymd_of(*key)};
  return static_cast<std::int64_t>(day.time_since_epoch().count());
}

Result<Plan> make_plan(const GeneratorOptions& options) {
  if (options.target_bytes < 64 * 1024) {
    return fail(Errc::kInvalidInput, "target size must be at least 64 KiB");
  }
  if (options.days < 1 || options.days > 3'650) {
    return fail(Errc::kInvalidInput, "days must be between 1 and 3650");
  }
  Result<std::int64_t> end_day = resolve_end_day(options.end_date);
  if (!end_day) {
    return tl::unexpected(end_day.error());
  }
  Rng rng = Rng::stream(options.seed, kPlanStream);
  const auto target = static_cast<double>(options.target_bytes);

  // Real file sizes, shrunk for small targets so that a test tree still has dozens of files of
  // at least ~40 KB.
  const double min_files = std::clamp(target / 40'000.0, 3.0, 48.0);
  constexpr double kSubagentShare = 0.5;  // a subagent file is drawn at half a session's size
  const double mean = file_size_mean();
  const double scale = std::min(1.0, target / (min_files * mean));
  const double bytes_per_session = scale * mean * (1 + 0.3 * 2 * kSubagentShare);
  const auto sessions = static_cast<std::size_t>(std::max(2.0, target / bytes_per_session + 0.5));
  const auto projects = static_cast<std::size_t>(
      std::clamp(50 * std::sqrt(target / static_cast<double>(200ull << 20)) + 0.5, 2.0,
                 std::min(400.0, static_cast<double>(sessions))));

  Plan plan;
  plan.projects = plan_projects(rng, projects);
  std::vector<double> project_weights;
  for (const ProjectPlan& p : plan.projects) {
    project_weights.push_back(p.weight);
  }

  const std::int64_t first_day = *end_day - options.days + 1;
  double total_weight = 0;
  for (std::size_t i = 0; i < sessions; ++i) {
    SessionPlan s;
    s.id = static_cast<std::uint32_t>(i);
    s.project = static_cast<std::uint32_t>(rng.weighted(project_weights));
    s.start_ms = pick_start_ms(rng, first_day, options.days);
    s.resume = rng.chance(0.08);
    s.weight = scale * file_size_quantile(rng.unit());
    total_weight += s.weight;
    if (rng.chance(0.3)) {
      const std::int64_t n = rng.between(1, 3);
      for (std::int64_t k = 0; k < n; ++k) {
        s.subagent_weights.push_back(kSubagentShare * scale * file_size_quantile(rng.unit()));
        total_weight += s.subagent_weights.back();
      }
    }
    plan.sessions.push_back(std::move(s));
  }

  // No single file above 8% of the tree (the largest real one is 7% of its history).
  const double cap = 0.08 * total_weight;
  total_weight = 0;
  for (SessionPlan& s : plan.sessions) {
    s.weight = std::min(s.weight, cap);
    total_weight += s.weight;
    for (double& w : s.subagent_weights) {
      w = std::min(w, cap);
      total_weight += w;
    }
  }

  const std::int64_t range_begin = first_day * kMsPerDay;
  const std::int64_t range_end = (*end_day + 1) * kMsPerDay;
  for (SessionPlan& s : plan.sessions) {
    s.budget = static_cast<std::uint64_t>(s.weight / total_weight * target);
    std::uint64_t all = s.budget;
    for (double w : s.subagent_weights) {
      s.subagent_budgets.push_back(static_cast<std::uint64_t>(w / total_weight * target));
      all += s.subagent_budgets.back();
    }
    // Fit the session inside the span: start earlier, and compress its clock if needed. The
    // estimate is doubled: large sessions run past it, and a session that reaches hard_end_ms
    // writes the rest of its lines a millisecond apart (2,000 requests in one minute at 1 GiB).
    const auto duration =
        static_cast<std::int64_t>(static_cast<double>(all) * kMsPerByte * 2.0);
    const std::int64_t margin = 2 * 3'600'000;
    if (s.start_ms + duration > range_end - margin) {
      s.start_ms = std::max(range_begin, range_end - margin - duration);
    }
    s.hard_end_ms = range_end - 3'600'000;
    const std::int64_t room = range_end - margin - s.start_ms;
    if (duration > room) {
      s.time_scale = std::max(0.001, static_cast<double>(room) / static_cast<double>(duration));
    }
  }
  std::stable_sort(
      plan.sessions.begin(), plan.sessions.end(),
      [](const SessionPlan& a, const SessionPlan& b) { return a.start_ms < b.start_ms; });
  return plan;
}

// ---------------------------------------------------------------------------------------------
// The whole tree.

Knobs session_knobs(Rng& rng, bool compatible, bool subagent, std::string_view main_model) {
  Knobs k;
  if (subagent && rng.chance(0.2)) {
    k.model = main_model;
  } else {
    k.model = kModels[rng.weighted(subagent ? kSubagentModelWeights : kMainModelWeights)];
  }
  static constexpr std::array<double, 3> kTiers = {0.2, 0.7, 0.1};
  k.tier = static_cast<CacheTier>(rng.weighted(kTiers));
  const bool one_million = k.model != "claude-haiku-4-5-20251001";
  k.long_context = !compatible && !subagent && one_million && rng.chance(0.06);
  return k;
}

class Generator {
 public:
  Generator(const GeneratorOptions& options, Plan plan)
      : options_(options), plan_(std::move(plan)) {
    Rng corpus_rng = Rng::stream(options.seed, kCorpusStream);
    prose_ = std::make_unique<TextCorpus>(kProseFragments, corpus_rng, 256 << 10);
    code_ = std::make_unique<TextCorpus>(kCodeFragments, corpus_rng, 768 << 10);
    run_.compatible = options.ccusage_compatible;
    run_.prose = prose_.get();
    run_.code = code_.get();
    last_session_.resize(plan_.projects.size());
    project_dir_ready_.resize(plan_.projects.size(), false);
  }

  Result<TrueTotals> run() {
    const fs::path projects = fs::path(options_.out_dir) / "projects";
    std::error_code ec;
    if (fs::exists(projects, ec) && !fs::is_empty(projects, ec)) {
      return fail(Errc::kInvalidInput,
                  fmt::format("{} is not empty; the generator writes only into an empty tree",
                              projects.string()));
    }
    fs::create_directories(projects, ec);
    if (ec) {
      return fail(Errc::kIo, fmt::format("cannot create {}: {}", projects.string(), ec.message()));
    }
    projects_dir_ = projects.string();
    for (const SessionPlan& session : plan_.sessions) {
      if (Status s = write_session(session); !s) {
        return tl::unexpected(s.error());
      }
    }
    GeneratorStats stats = run_.stats;
    stats.projects = 0;
    for (bool used : project_dir_ready_) {
      stats.projects += used ? 1 : 0;
    }
    return run_.totals.finish(stats);
  }

 private:
  Status ensure_project_dir(std::uint32_t project) {
    if (project_dir_ready_[project]) {
      return {};
    }
    std::error_code ec;
    fs::create_directories(project_path(project), ec);
    if (ec) {
      return fail(Errc::kIo,
                  fmt::format("cannot create {}: {}", project_path(project), ec.message()));
    }
    project_dir_ready_[project] = true;
    return {};
  }

  std::string project_path(std::uint32_t project) const {
    return projects_dir_ + "/" + plan_.projects[project].dir;
  }

  // Planned bytes corrected by what earlier files over- or undershot, so that the tree lands on
  // the target.
  std::uint64_t effective_budget(std::uint64_t planned) const {
    const std::int64_t want = static_cast<std::int64_t>(planned) - carry_;
    return static_cast<std::uint64_t>(std::max<std::int64_t>(want, 1'500));
  }
  void settle(std::uint64_t planned, std::uint64_t actual) {
    carry_ += static_cast<std::int64_t>(actual) - static_cast<std::int64_t>(planned);
  }

  Identity session_identity(Rng& rng, const SessionPlan& plan) const {
    Identity id;
    id.session_id = uuid4(rng);
    id.cwd = plan_.projects[plan.project].cwd;
    const std::int64_t span_ms = static_cast<std::int64_t>(options_.days) * kMsPerDay;
    const std::int64_t first_ms = plan_.sessions.front().start_ms;
    const double f = static_cast<double>(plan.start_ms - first_ms) / static_cast<double>(span_ms);
    const auto base = static_cast<std::int64_t>(f * static_cast<double>(kVersions.size()));
    const std::int64_t jitter = rng.between(-1, 0);
    const auto v = static_cast<std::size_t>(std::clamp<std::int64_t>(
        base + jitter, 0, static_cast<std::int64_t>(kVersions.size()) - 1));
    id.version = rng.chance(0.04) ? kOldVersion : kVersions[v];
    id.git_branch = pick(rng, kBranches);
    id.slug = fmt::format("{}-{}-{}", pick(rng, kSlugWords), pick(rng, kSlugWords),
                          pick(rng, kSlugWords));
    id.traits = traits_of(id.version);
    return id;
  }

  Status write_session(const SessionPlan& plan) {
    if (Status s = ensure_project_dir(plan.project); !s) {
      return s;
    }
    Rng rng = Rng::stream(options_.seed, kSessionStream, plan.id);
    Identity id = session_identity(rng, plan);
    Knobs knobs = session_knobs(rng, options_.ccusage_compatible, false, "");
    knobs.time_scale = plan.time_scale;
    knobs.hard_end_ms = plan.hard_end_ms;
    const std::string main_model = knobs.model;
    const std::string dir = project_path(plan.project);

    auto record = std::make_unique<SessionRecord>();
    record->path = dir + "/" + id.session_id + ".jsonl";
    record->session_id = id.session_id;
    TranscriptFile file(run_, record.get());
    if (Status s = file.open(record->path, FileSink::Mode::kCreateNew); !s) {
      return s;
    }
    const std::uint64_t budget = effective_budget(plan.budget);
    TranscriptWriter writer(run_, file, id, knobs, Rng(rng.next()), plan.start_ms);

    const SessionRecord* source = last_session_[plan.project].get();
    if (plan.resume && source != nullptr) {
      ++run_.stats.resumed_sessions;
      writer.write_summaries(static_cast<int>(rng.between(1, 3)));
      Result<std::string> leaf = replay(*source, file, id.session_id, rng);
      if (!leaf) {
        return tl::unexpected(leaf.error());
      }
      writer.set_parent_uuid(*leaf);
      writer.expect_cache_miss();
    } else if (rng.chance(0.05)) {
      writer.write_summaries(1);
    }

    Status sub_status;
    std::uint32_t sub_index = 0;
    writer.set_subagents(plan.subagent_budgets, [&](const ToolCall& call, std::int64_t start_ms) {
      const std::uint64_t sub_budget = plan.subagent_budgets[sub_index];
      SubagentOutcome outcome;
      Status s = write_subagent(plan, writer, call, start_ms, sub_budget, sub_index++, main_model,
                                &outcome);
      if (!s && sub_status) {
        sub_status = s;
      }
      return outcome;
    });
    if (rng.chance(0.1)) {
      // The user cd'd into a subdirectory; the file stays where the session started.
      writer.write_main_conversation(budget, budget / 2);
      writer.identity().cwd += "/" + std::string(pick(rng, kSubdirs));
    }
    writer.write_main_conversation(budget);
    if (Status s = file.close(); !s) {
      return s;
    }
    if (!sub_status) {
      return sub_status;
    }
    settle(plan.budget, file.bytes());
    ++run_.stats.files;
    ++run_.stats.session_files;
    run_.stats.bytes += file.bytes();
    last_session_[plan.project] = std::move(record);
    return {};
  }

  Status write_subagent(const SessionPlan& plan, TranscriptWriter& parent, const ToolCall& call,
                        std::int64_t start_ms, std::uint64_t planned, std::uint32_t index,
                        const std::string& main_model, SubagentOutcome* outcome) {
    Rng rng = Rng::stream(options_.seed, kSubagentStream, (std::uint64_t{plan.id} << 8) | index);
    Identity id = parent.identity();
    id.sidechain = true;
    id.agent_id.clear();
    if (id.traits.long_agent_id) {
      id.agent_id = "a";
      append_hex(id.agent_id, rng, 16);
    } else {
      append_hex(id.agent_id, rng, 8);
    }
    Knobs knobs = session_knobs(rng, options_.ccusage_compatible, true, main_model);
    knobs.time_scale = plan.time_scale;
    knobs.hard_end_ms = plan.hard_end_ms;

    const std::string dir = project_path(plan.project) + "/" + id.session_id + "/subagents";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return fail(Errc::kIo, fmt::format("cannot create {}: {}", dir, ec.message()));
    }
    const std::string base = dir + "/agent-" + id.agent_id;
    if (id.traits.sidecar) {
      if (Status s = write_sidecar(base + ".meta.json", knobs.model); !s) {
        return s;
      }
    }
    TranscriptFile file(run_, nullptr);
    if (Status s = file.open(base + ".jsonl", FileSink::Mode::kCreateNew); !s) {
      return s;
    }
    ProgressTarget progress;
    progress.file = &parent.file();
    progress.parent = &parent.identity();
    progress.parent_uuid = call.assistant_uuid;
    progress.tool_use_id = call.id;
    const std::uint64_t budget = effective_budget(planned);
    TranscriptWriter writer(run_, file, id, knobs, Rng(rng.next()), start_ms);
    writer.set_progress_target(&progress);
    *outcome = writer.write_subagent_conversation(call.task_prompt, budget);
    if (Status s = file.close(); !s) {
      return s;
    }
    settle(planned, file.bytes());
    ++run_.stats.files;
    ++run_.stats.subagent_files;
    run_.stats.bytes += file.bytes();
    return {};
  }

  Status write_sidecar(const std::string& path, std::string_view model) {
    FileSink sink;
    if (Status s = sink.open(path, FileSink::Mode::kCreateNew); !s) {
      return s;
    }
    sink.write_line(fmt::format(
        "{{\"agentType\":\"general-purpose\",\"spawnDepth\":1,\"model\":\"{}\"}}", model));
    ++run_.stats.sidecar_files;
    return sink.close();
  }

  // Copies the first lines of an earlier session into a resumed one, under the new sessionId.
  // Returns the uuid of the last copied line (the new lines continue from it).
  Result<std::string> replay(const SessionRecord& source, TranscriptFile& file,
                             const std::string& session_id, Rng& rng) {
    std::ifstream in(source.path, std::ios::binary);
    if (!in) {
      return fail(Errc::kIo, fmt::format("cannot read {}", source.path));
    }
    const std::size_t count = std::min<std::size_t>(
        source.kinds.size(), static_cast<std::size_t>(rng.between(20, kReplayWindow)));
    const std::uint32_t offset = static_cast<std::uint32_t>(file.lines());
    std::string line;
    std::string leaf;
    for (std::size_t i = 0; i < count && std::getline(in, line); ++i) {
      for (std::size_t at = line.find(source.session_id); at != std::string::npos;
           at = line.find(source.session_id, at + session_id.size())) {
        line.replace(at, source.session_id.size(), session_id);
      }
      file.write(line, source.kinds[i]);
      ++run_.stats.replayed_lines;
      const std::size_t uuid_at = line.rfind("\"uuid\":\"");
      if (uuid_at != std::string::npos && source.kinds[i] != LineKind::kMalformed) {
        leaf = line.substr(uuid_at + 8, 36);
      }
    }
    // A copied requestless response is a new key in this session: it counts again, with the
    // largest output among the copied lines.
    std::map<std::string, const RequestlessNote*> best;
    for (const RequestlessNote& note : source.requestless) {
      if (note.line >= count) {
        continue;
      }
      const RequestlessNote*& slot = best[note.message_id];
      if (slot == nullptr || note.tokens.output > slot->tokens.output) {
        slot = &note;
      }
      if (SessionRecord* record = file.record();
          record != nullptr && offset + note.line < kReplayWindow) {
        RequestlessNote copy = note;
        copy.line = offset + note.line;
        record->requestless.push_back(std::move(copy));
      }
    }
    for (const auto& [id, note] : best) {
      run_.record_request(note->epoch_ms, note->model, note->speed, note->tokens);
    }
    return leaf;
  }

  const GeneratorOptions& options_;
  Plan plan_;
  std::unique_ptr<TextCorpus> prose_;
  std::unique_ptr<TextCorpus> code_;
  RunContext run_;
  std::string projects_dir_;
  std::vector<bool> project_dir_ready_;
  std::vector<std::unique_ptr<SessionRecord>> last_session_;  // per project
  std::int64_t carry_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Appending to an existing tree.

struct Candidate {
  std::string path;
  fs::file_time_type mtime;
  std::uint64_t size = 0;
};

// Main session files (projects/<dir>/<name>.jsonl), newest first.
Result<std::vector<Candidate>> list_session_files(const fs::path& projects) {
  std::error_code ec;
  std::vector<Candidate> files;
  fs::directory_iterator dirs(projects, ec);
  if (ec) {
    return fail(Errc::kNotFound,
                fmt::format("cannot list {}: {}", projects.string(), ec.message()));
  }
  for (const fs::directory_entry& dir : dirs) {
    if (!dir.is_directory(ec)) {
      continue;
    }
    for (const fs::directory_entry& entry : fs::directory_iterator(dir.path(), ec)) {
      if (entry.is_regular_file(ec) && entry.path().extension() == ".jsonl") {
        files.push_back({entry.path().string(), entry.last_write_time(ec), entry.file_size(ec)});
      }
    }
  }
  std::sort(files.begin(), files.end(), [](const Candidate& a, const Candidate& b) {
    return a.mtime != b.mtime ? a.mtime > b.mtime : a.path < b.path;
  });
  return files;
}

// The JSON string body that starts at text[start], with simple escapes undone.
std::string string_value_at(std::string_view text, std::size_t start) {
  std::string value;
  for (std::size_t i = start; i < text.size() && text[i] != '"'; ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      ++i;
    }
    value += text[i];
  }
  return value;
}

// The value of the last `"key":"value"` in text, or empty.
std::string last_string_field(std::string_view text, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":\"";
  const std::size_t at = text.rfind(needle);
  return at == std::string_view::npos ? std::string() : string_value_at(text, at + needle.size());
}

struct TailInfo {
  std::string cwd;
  std::string version;
  std::string git_branch;
  std::string model;
  std::string last_uuid;
  std::int64_t last_ms = 0;
};

Result<TailInfo> read_tail(const Candidate& file) {
  constexpr std::uint64_t kTailBytes = 256 << 10;
  std::ifstream in(file.path, std::ios::binary);
  const std::uint64_t offset = file.size > kTailBytes ? file.size - kTailBytes : 0;
  std::string tail(file.size - offset, '\0');
  if (!in || !in.seekg(static_cast<std::streamoff>(offset)) ||
      !in.read(tail.data(), static_cast<std::streamsize>(tail.size()))) {
    return fail(Errc::kIo, fmt::format("cannot read {}", file.path));
  }
  if (tail.empty() || tail.back() != '\n') {
    return fail(Errc::kInvalidInput,
                fmt::format("{} does not end with a complete line", file.path));
  }
  TailInfo info;
  info.cwd = last_string_field(tail, "cwd");
  info.version = last_string_field(tail, "version");
  info.git_branch = last_string_field(tail, "gitBranch");
  info.last_uuid = last_string_field(tail, "uuid");
  const std::size_t model_at = tail.rfind("\"model\":\"claude-");
  if (model_at != std::string::npos) {
    info.model = string_value_at(tail, model_at + std::string_view("\"model\":\"").size());
  }
  const std::optional<Instant> ts = parse_timestamp(last_string_field(tail, "timestamp"));
  if (info.cwd.empty() || !ts) {
    return fail(Errc::kInvalidInput,
                fmt::format("{} has no cwd or timestamp in its last lines", file.path));
  }
  info.last_ms = to_epoch_ms(*ts);
  return info;
}

void write_tokens_json(JsonWriter& w, const TokenCounts& t) {
  w.key("inputTokens").value(t.input);
  w.key("outputTokens").value(t.output);
  w.key("cacheCreationTokens").value(t.cache_creation());
  w.key("cacheCreation5mTokens").value(t.cache_write_5m);
  w.key("cacheCreation1hTokens").value(t.cache_write_1h);
  w.key("cacheReadTokens").value(t.cache_read);
  w.key("totalTokens").value(t.total());
  w.key("webSearchRequests").value(t.web_search_requests);
  w.key("webFetchRequests").value(t.web_fetch_requests);
}

void write_stats_json(JsonWriter& w, const GeneratorStats& s) {
  auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  w.key("stats").begin_object();
  w.key("bytes").value(n(s.bytes));
  w.key("files").value(n(s.files));
  w.key("sessionFiles").value(n(s.session_files));
  w.key("subagentFiles").value(n(s.subagent_files));
  w.key("sidecarFiles").value(n(s.sidecar_files));
  w.key("projects").value(n(s.projects));
  w.key("resumedSessions").value(n(s.resumed_sessions));
  w.key("lines").value(n(s.lines));
  w.key("usageLines").value(n(s.usage_lines));
  w.key("progressUsageLines").value(n(s.progress_usage_lines));
  w.key("requestlessLines").value(n(s.requestless_lines));
  w.key("syntheticLines").value(n(s.synthetic_lines));
  w.key("replayedLines").value(n(s.replayed_lines));
  w.key("malformedLines").value(n(s.malformed_lines));
  w.key("longContextRequests").value(n(s.long_context_requests));
  w.key("fastRequests").value(n(s.fast_requests));
  w.key("webSearchRequests").value(n(s.web_search_requests));
  w.end_object();
}

}  // namespace

Result<TrueTotals> generate(const GeneratorOptions& options) {
  if (options.out_dir.empty()) {
    return fail(Errc::kInvalidInput, "no output directory");
  }
  Result<Plan> plan = make_plan(options);
  if (!plan) {
    return tl::unexpected(plan.error());
  }
  Generator generator(options, std::move(*plan));
  return generator.run();
}

Result<AppendResult> append(const AppendOptions& options) {
  if (options.bytes == 0) {
    return fail(Errc::kInvalidInput, "nothing to append");
  }
  Result<std::vector<Candidate>> listed =
      list_session_files(fs::path(options.tree_dir) / "projects");
  if (!listed) {
    return tl::unexpected(listed.error());
  }
  std::vector<Candidate> candidates = std::move(*listed);
  if (candidates.empty()) {
    return fail(Errc::kNotFound, "no session files to append to in " + options.tree_dir);
  }
  candidates.resize(std::min<std::size_t>(candidates.size(), 8));
  Rng rng = Rng::stream(options.seed, kAppendStream);
  const std::size_t count =
      std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(rng.between(1, 3)));
  for (std::size_t i = 0; i < count; ++i) {
    std::swap(candidates[i], candidates[i + rng.index(candidates.size() - i)]);
  }
  candidates.resize(count);
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.path < b.path; });

  Rng corpus_rng = Rng::stream(options.seed, kCorpusStream);
  const TextCorpus prose(kProseFragments, corpus_rng, 64 << 10);
  const TextCorpus code(kCodeFragments, corpus_rng, 256 << 10);
  RunContext run;
  run.compatible = true;
  run.prose = &prose;
  run.code = &code;
  AppendResult result;
  for (std::size_t i = 0; i < count; ++i) {
    const Candidate& target = candidates[i];
    Result<TailInfo> tail = read_tail(target);
    if (!tail) {
      return tl::unexpected(tail.error());
    }
    Identity id;
    id.session_id = fs::path(target.path).stem().string();
    id.cwd = tail->cwd;
    id.version = tail->version.empty() ? std::string(kVersions.back()) : tail->version;
    id.git_branch = tail->git_branch;
    id.traits = traits_of(id.version);
    Knobs knobs;
    knobs.model = tail->model.empty() ? std::string("claude-sonnet-4-6") : tail->model;
    const std::uint64_t budget =
        options.bytes / count + (i + 1 == count ? options.bytes % count : 0);

    TranscriptFile file(run, nullptr);
    if (Status s = file.open(target.path, FileSink::Mode::kAppend); !s) {
      return tl::unexpected(s.error());
    }
    TranscriptWriter writer(run, file, std::move(id), std::move(knobs), Rng(rng.next()),
                            tail->last_ms + rng.between(20'000, 300'000));
    writer.set_parent_uuid(tail->last_uuid);
    writer.write_main_conversation(budget);
    if (Status s = file.close(); !s) {
      return tl::unexpected(s.error());
    }
    ++run.stats.files;
    run.stats.bytes += file.bytes();
    result.files.push_back({target.path, target.size});
  }
  result.totals = run.totals.finish(run.stats);
  return result;
}

std::string totals_to_json(const TrueTotals& totals, const GeneratorOptions* options) {
  JsonWriter w;
  w.begin_object();
  if (options != nullptr) {
    w.key("generator").begin_object();
    w.key("seed").value(static_cast<std::int64_t>(options->seed));
    w.key("targetBytes").value(static_cast<std::int64_t>(options->target_bytes));
    w.key("days").value(options->days);
    w.key("endDate").value(options->end_date);
    w.key("ccusageCompatible").value(options->ccusage_compatible);
    w.end_object();
  }
  write_stats_json(w, totals.stats);
  w.key("daily").begin_array();
  for (const DayTotals& day : totals.days) {
    w.begin_object();
    w.key("date").value(format_date(day.date));
    write_tokens_json(w, day.tokens);
    w.key("requests").value(day.requests);
    w.key("models").begin_array();
    for (const ModelTotals& m : day.models) {
      w.begin_object();
      w.key("model").value(m.model);
      w.key("speed").value(m.speed == Speed::kFast ? "fast" : "standard");
      write_tokens_json(w, m.tokens);
      w.key("requests").value(m.requests);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("totals").begin_object();
  write_tokens_json(w, totals.overall);
  w.key("requests").value(totals.requests);
  w.key("malformedLines").value(totals.malformed_lines);
  w.end_object();
  w.end_object();
  std::string out = w.take();
  out += '\n';
  return out;
}

Status write_totals_json(const TrueTotals& totals, const GeneratorOptions* options,
                         const std::string& path) {
  FileSink sink;
  if (Status s = sink.open(path, FileSink::Mode::kTruncate); !s) {
    return s;
  }
  std::string json = totals_to_json(totals, options);
  json.pop_back();  // write_line adds the newline
  sink.write_line(json);
  return sink.close();
}

std::string encode_project_dir(std::string_view cwd) {
  // Walk UTF-8 code points; a code point outside the BMP is two UTF-16 code units.
  std::string out;
  std::int32_t hash = 0;
  auto add_unit = [&](std::uint32_t unit, bool alnum) {
    out += alnum ? static_cast<char>(unit) : '-';
    hash = static_cast<std::int32_t>(static_cast<std::uint32_t>(hash) * 31u + unit);
  };
  for (std::size_t i = 0; i < cwd.size();) {
    const auto lead = static_cast<unsigned char>(cwd[i]);
    const int length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    std::uint32_t cp = length == 1 ? lead : lead & (0x3Fu >> (length - 1));
    for (int k = 1; k < length && i + static_cast<std::size_t>(k) < cwd.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(cwd[i + static_cast<std::size_t>(k)]) & 0x3Fu);
    }
    i += static_cast<std::size_t>(length);
    if (cp >= 0x10000) {
      const std::uint32_t v = cp - 0x10000;
      add_unit(0xD800 + (v >> 10), false);
      add_unit(0xDC00 + (v & 0x3FF), false);
      continue;
    }
    const bool alnum =
        (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    add_unit(cp, alnum);
  }
  if (out.size() <= 200) {
    return out;
  }
  out.resize(200);
  std::uint64_t magnitude = hash < 0 ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(hash))
                                     : static_cast<std::uint64_t>(hash);
  std::string base36;
  do {
    base36.insert(base36.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[magnitude % 36]);
    magnitude /= 36;
  } while (magnitude > 0);
  return out + "-" + base36;
}

Result<std::uint64_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  double value = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + digits, value);
  if (digits == 0 || parsed.ec != std::errc() || parsed.ptr != text.data() + digits) {
    return fail(Errc::kInvalidInput, fmt::format("not a size: '{}'", text));
  }
  std::string unit;
  for (char c : text.substr(digits)) {
    if (c != ' ') {
      unit += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  static const std::array<std::pair<std::string_view, double>, 14> kUnits = {{
      {"", 1},
      {"b", 1},
      {"k", 1024.0},
      {"kib", 1024.0},
      {"kb", 1e3},
      {"m", 1048576.0},
      {"mib", 1048576.0},
      {"mb", 1e6},
      {"g", 1073741824.0},
      {"gib", 1073741824.0},
      {"gb", 1e9},
      {"t", 1099511627776.0},
      {"tib", 1099511627776.0},
      {"tb", 1e12},
  }};
  for (const auto& [name, multiplier] : kUnits) {
    if (unit == name) {
      const double bytes = value * multiplier;
      if (bytes < 1 || bytes > 1e15) {
        break;
      }
      return static_cast<std::uint64_t>(bytes + 0.5);
    }
  }
  return fail(Errc::kInvalidInput, fmt::format("not a size: '{}'", text));
}

}  // namespace ccgauge::gen

#include "ingest/oauth/usage_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <simdjson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>

#include "ingest/json_dom.h"
#include "core/json_writer.h"
#include "core/time.h"

namespace ccgauge::ingest::oauth {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace dom = simdjson::dom;
namespace fs = std::filesystem;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxCredentialsBytes = 1 << 20;
constexpr std::size_t kMaxCacheBytes = 1 << 20;
constexpr std::size_t kMaxServerMessageChars = 200;
constexpr int kCacheVersion = 1;

// Back-off after a failed request: first delay, doubled per consecutive failure of the same
// kind up to the cap. A Retry-After header replaces the 429 delay and lengthens the others.
constexpr seconds kRateLimitFirstDelay{120};
constexpr seconds kRateLimitMaxDelay{3600};
constexpr seconds kAuthFirstDelay{300};
constexpr seconds kAuthMaxDelay{3600};
constexpr seconds kTransientFirstDelay{30};
constexpr seconds kTransientMaxDelay{600};
constexpr seconds kMaxRetryAfter{24 * 3600};
// A last attempt further in the future than this means the clock was set back; the stored
// timing is then ignored rather than blocking polls for that long.
constexpr seconds kClockSkewTolerance{3600};
// How long a poll waits for another process's poll beyond its own timeout.
constexpr milliseconds kLockSlack{2000};

// ---------------------------------------------------------------------------------------------
// JSON values read defensively.

using json::string_at;

std::optional<dom::element> object_at(dom::element parent, std::string_view key) {
  dom::element e;
  if (parent[key].get(e) != simdjson::SUCCESS || !e.is_object()) {
    return std::nullopt;
  }
  return e;
}

// A percentage clamped to 0..100.
std::optional<double> percent_at(dom::element parent, std::string_view key) {
  std::optional<double> p = json::number_at(parent, key);
  return p ? std::optional<double>(std::clamp(*p, 0.0, 100.0)) : std::nullopt;
}

// Epoch seconds from ISO 8601 text, or from a number / numeric text in seconds (milliseconds
// are recognised by size).
std::optional<std::int64_t> epoch_s_at(dom::element parent, std::string_view key) {
  dom::element e;
  if (parent[key].get(e) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    if (std::optional<Instant> t = parse_timestamp(s)) {
      return std::chrono::floor<seconds>(*t).time_since_epoch().count();
    }
  }
  std::optional<double> n = json::number_of(e);
  if (!n || *n <= 0 || *n > 1e15) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(std::llround(*n > 1e10 ? *n / 1000 : *n));
}

// Printable ASCII only, at most kMaxServerMessageChars: server text goes into our messages.
std::string sanitized(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxServerMessageChars)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The usage body.

constexpr std::array<std::string_view, 5> kWindowKeys = {
    "five_hour", "seven_day", "seven_day_oauth_apps", "seven_day_opus", "seven_day_sonnet"};

bool is_window_key(std::string_view key) {
  return std::find(kWindowKeys.begin(), kWindowKeys.end(), key) != kWindowKeys.end();
}

// "Sonnet 4.5" -> "sonnet_4_5".
std::string window_name_part(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') {
    out.pop_back();
  }
  return out;
}

LimitSample make_sample(std::string window, Instant fetched_at) {
  LimitSample sample;
  sample.instant = fetched_at;
  sample.source = "oauth";
  sample.window = std::move(window);
  return sample;
}

std::optional<LimitSample> window_sample(std::string_view name, dom::element w,
                                         std::string_view percent_key, Instant fetched_at) {
  LimitSample sample = make_sample(std::string(name), fetched_at);
  sample.used_percent = percent_at(w, percent_key);
  sample.resets_at_epoch_s = epoch_s_at(w, "resets_at");
  if (!sample.used_percent && !sample.resets_at_epoch_s) {
    return std::nullopt;
  }
  return sample;
}

// The window name of a `limits[]` row; empty when the row names none.
std::string limit_row_window(dom::element row) {
  std::string kind = string_at(row, "kind");
  if (kind == "session") {
    return "five_hour";
  }
  if (kind == "weekly_all") {
    return "seven_day";
  }
  if (kind != "weekly_scoped") {
    return window_name_part(kind);
  }
  std::string part;
  if (std::optional<dom::element> scope = object_at(row, "scope")) {
    if (std::optional<dom::element> model = object_at(*scope, "model")) {
      part = window_name_part(string_at(*model, "display_name"));
    }
    if (part.empty()) {
      part = window_name_part(string_at(*scope, "surface"));
    }
  }
  if (part.empty()) {
    part = window_name_part(string_at(row, "group"));
  }
  return part.empty() ? "seven_day_scoped" : "seven_day_" + part;
}

bool has_window(const std::vector<LimitSample>& samples, std::string_view window) {
  return std::any_of(samples.begin(), samples.end(),
                     [&](const LimitSample& s) { return s.window == window; });
}

void append_limit_rows(dom::array rows, Instant fetched_at, std::vector<LimitSample>& samples) {
  for (dom::element row : rows) {
    if (!row.is_object()) {
      continue;
    }
    std::string window = limit_row_window(row);
    if (window.empty() || has_window(samples, window)) {
      continue;
    }
    std::string_view percent_key =
        row["percent"].error() == simdjson::SUCCESS ? "percent" : "utilization";
    if (std::optional<LimitSample> s = window_sample(window, row, percent_key, fetched_at)) {
      samples.push_back(std::move(*s));
    }
  }
}

// An Anthropic API error object ({"type":"error","error":{"type","message"}}) as text.
std::optional<std::string> api_error_text(dom::element root) {
  std::optional<dom::element> error = object_at(root, "error");
  if (!error) {
    return std::nullopt;
  }
  std::string type = sanitized(string_at(*error, "type"));
  std::string message = sanitized(string_at(*error, "message"));
  if (type.empty()) {
    return message;
  }
  return message.empty() ? type : type + ": " + message;
}

// ---------------------------------------------------------------------------------------------
// The URL.

struct Url {
  bool tls = true;
  std::string host;  // lowercased; an IPv6 literal without brackets
  std::uint16_t port = 443;
  std::string path = "/";  // path and query, the request target
  bool host_is_ip = false;

  std::string bracketed_host() const {
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
  }
  std::string host_header() const {
    const std::uint16_t default_port = tls ? 443 : 80;
    return port == default_port ? bracketed_host() : fmt::format("{}:{}", bracketed_host(), port);
  }
  // For messages: without the query.
  std::string display() const {
    return fmt::format("{}://{}{}", tls ? "https" : "http", host_header(),
                       path.substr(0, path.find('?')));
  }
};

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) {
      return false;
    }
  }
  return true;
}

Result<std::uint16_t> parse_port(std::string_view text, std::string_view url) {
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || port > 65535) {
      return fail(Errc::kInvalidInput, fmt::format("bad port in URL {}", url));
    }
    port = port * 10 + (c - '0');
  }
  if (text.empty() || port == 0 || port > 65535) {
    return fail(Errc::kInvalidInput, fmt::format("bad port in URL {}", url));
  }
  return static_cast<std::uint16_t>(port);
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  std::string_view rest;
  if (starts_with_nocase(text, "https://")) {
    rest = text.substr(8);
  } else if (starts_with_nocase(text, "http://")) {
    url.tls = false;
    url.port = 80;
    rest = text.substr(7);
  } else {
    return fail(Errc::kInvalidInput,
                fmt::format("the OAuth usage URL must start with https:// (got '{}')", text));
  }
  std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  path = path.substr(0, path.find('#'));
  url.path = path.empty() || path.front() != '/' ? "/" + std::string(path) : std::string(path);
  if (authority.find('@') != std::string_view::npos) {
    return fail(Errc::kInvalidInput, "the OAuth usage URL must not carry user information");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return fail(Errc::kInvalidInput, fmt::format("bad IPv6 host in URL {}", text));
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return fail(Errc::kInvalidInput, fmt::format("bad host in URL {}", text));
      }
      port = after.substr(1);
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    return fail(Errc::kInvalidInput, fmt::format("no host in URL {}", text));
  }
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != ':' &&
        c != '_') {
      return fail(Errc::kInvalidInput, fmt::format("bad host in URL {}", text));
    }
    url.host += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!port.empty() || (!authority.empty() && authority.back() == ':')) {
    Result<std::uint16_t> p = parse_port(port, text);
    if (!p) {
      return tl::unexpected(p.error());
    }
    url.port = *p;
  }
  boost::system::error_code ec;
  asio::ip::make_address(url.host, ec);
  url.host_is_ip = !ec;
  return url;
}

bool is_loopback_address(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

bool is_loopback_host(const Url& url) {
  if (url.host == "localhost") {
    return true;
  }
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(url.host, ec);
  return !ec && is_loopback_address(address);
}

// ---------------------------------------------------------------------------------------------
// Credentials. The token is only ever copied into the request's Authorization header.

struct Credentials {
  std::string access_token;
  std::optional<std::int64_t> expires_at_ms;
  std::optional<bool> has_profile_scope;  // empty when the file lists no scopes
};

Result<std::string> read_small_file(const fs::path& path, std::size_t max_bytes,
                                    std::string_view what) {
  std::error_code ec;
  std::uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    Errc code = ec == std::errc::no_such_file_or_directory ? Errc::kNotFound : Errc::kIo;
    return fail(code, fmt::format("cannot read {} {}: {}", what, path.string(), ec.message()));
  }
  if (size > max_bytes) {
    return fail(Errc::kInvalidInput,
                fmt::format("{} {} is larger than {} bytes", what, path.string(), max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) {
    return fail(Errc::kIo, fmt::format("cannot read {} {}", what, path.string()));
  }
  return std::move(text).str();
}

bool is_token_text(std::string_view token) {
  return !token.empty() &&
         std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::optional<bool> has_scope(dom::element oauth, std::string_view wanted) {
  dom::array scopes;
  if (oauth["scopes"].get_array().get(scopes) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  for (dom::element scope : scopes) {
    std::string_view s;
    if (scope.get_string().get(s) == simdjson::SUCCESS && s == wanted) {
      return true;
    }
  }
  return false;
}

Result<Credentials> read_credentials(const fs::path& path) {
  if (path.empty()) {
    return fail(Errc::kNotFound, "no Claude Code credentials file given");
  }
  Result<std::string> text = read_small_file(path, kMaxCredentialsBytes, "Claude Code credentials");
  if (!text) {
    return tl::unexpected(text.error());
  }
  dom::parser parser;
  dom::element root;
  // Parse errors name the position only, never the content, so no token leaks into them.
  if (auto error = parser.parse(*text).get(root); error || !root.is_object()) {
    return fail(Errc::kInvalidInput,
                fmt::format("Claude Code credentials {} are not a JSON object", path.string()));
  }
  std::optional<dom::element> oauth = object_at(root, "claudeAiOauth");
  if (!oauth) {
    return fail(
        Errc::kNotFound,
        fmt::format("no claudeAiOauth entry in {}; ccgauge reads the token Claude Code keeps "
                    "after a Claude.ai login (`claude`, then /login)",
                    path.string()));
  }
  Credentials credentials;
  credentials.access_token = string_at(*oauth, "accessToken");
  if (credentials.access_token.empty()) {
    return fail(Errc::kNotFound, fmt::format("no claudeAiOauth.accessToken in {}", path.string()));
  }
  if (!is_token_text(credentials.access_token)) {
    return fail(Errc::kInvalidInput,
                fmt::format("the claudeAiOauth.accessToken in {} is malformed", path.string()));
  }
  credentials.expires_at_ms = json::integer_at(*oauth, "expiresAt");
  if (credentials.expires_at_ms && *credentials.expires_at_ms < 100'000'000'000) {
    *credentials.expires_at_ms *= 1000;  // seconds, not the usual milliseconds
  }
  credentials.has_profile_scope = has_scope(*oauth, "user:profile");
  return credentials;
}

Status check_token(const Credentials& credentials, Instant now) {
  if (credentials.expires_at_ms && *credentials.expires_at_ms <= to_epoch_ms(now)) {
    return fail(Errc::kUnavailable,
                fmt::format("the Claude Code OAuth token expired at {}; run claude to refresh it "
                            "(ccgauge never refreshes tokens itself)",
                            format_iso_ms(from_epoch_ms(*credentials.expires_at_ms))));
  }
  if (credentials.has_profile_scope == false) {
    return fail(
        Errc::kUnavailable,
        "the Claude Code OAuth token lacks the user:profile scope the usage endpoint needs "
        "(a token from `claude setup-token` cannot read usage); log in with claude instead");
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The cache file: the last good readings and the back-off state, shared by every process.

enum class Failure { kNone, kRateLimited, kAuth, kTransient };

constexpr std::array<std::string_view, 4> kFailureNames = {"none", "rate_limited", "auth",
                                                           "transient"};

struct CacheState {
  std::optional<Instant> fetched_at;  // of the last good readings
  std::vector<LimitSample> samples;
  std::optional<Instant> last_attempt;  // of the last request, whatever came of it
  Failure failure = Failure::kNone;     // of the last request
  int consecutive_failures = 0;         // of that kind
  std::optional<Instant> backoff_until;
  Error last_error;  // replayed during a kAuth or kTransient back-off
  // The credentials' expiresAt when the endpoint refused the token: a different one later means
  // the token was refreshed, which ends the back-off.
  std::optional<std::int64_t> auth_failed_expiry_ms;
};

std::optional<Instant> instant_at(dom::element parent, std::string_view key) {
  std::optional<std::int64_t> ms = json::integer_at(parent, key);
  return ms ? std::optional<Instant>(from_epoch_ms(*ms)) : std::nullopt;
}

Result<CacheState> load_cache(const fs::path& path) {
  Result<std::string> text = read_small_file(path, kMaxCacheBytes, "OAuth usage cache");
  if (!text) {
    if (text.error().code == Errc::kNotFound) {
      return CacheState{};
    }
    return tl::unexpected(text.error());
  }
  dom::parser parser;
  dom::element root;
  if (parser.parse(*text).get(root) != simdjson::SUCCESS || !root.is_object() ||
      json::integer_at(root, "version") != kCacheVersion) {
    return fail(
        Errc::kInvalidInput,
        fmt::format("OAuth usage cache {} is not in a format this ccgauge reads", path.string()));
  }
  CacheState state;
  state.fetched_at = instant_at(root, "fetched_at_ms");
  dom::array samples;
  if (state.fetched_at && root["samples"].get_array().get(samples) == simdjson::SUCCESS) {
    for (dom::element s : samples) {
      std::string window = s.is_object() ? string_at(s, "window") : std::string();
      if (window.empty()) {
        continue;
      }
      LimitSample sample = make_sample(std::move(window), *state.fetched_at);
      sample.used_percent = json::number_at(s, "used_percent");
      sample.resets_at_epoch_s = json::integer_at(s, "resets_at_epoch_s");
      state.samples.push_back(std::move(sample));
    }
  }
  state.last_attempt = instant_at(root, "last_attempt_ms");
  std::string failure = string_at(root, "failure");
  for (std::size_t i = 0; i < kFailureNames.size(); ++i) {
    if (failure == kFailureNames[i]) {
      state.failure = static_cast<Failure>(i);
    }
  }
  state.consecutive_failures = static_cast<int>(
      std::clamp<std::int64_t>(json::integer_at(root, "consecutive_failures").value_or(0), 0, 64));
  state.backoff_until = instant_at(root, "backoff_until_ms");
  std::int64_t code = json::integer_at(root, "last_error_code").value_or(0);
  state.last_error.code = code >= 0 && code <= static_cast<std::int64_t>(Errc::kInternal)
                              ? static_cast<Errc>(code)
                              : Errc::kUnavailable;
  state.last_error.message = string_at(root, "last_error");
  state.auth_failed_expiry_ms = json::integer_at(root, "auth_failed_expiry_ms");
  return state;
}

void write_optional_ms(JsonWriter& out, std::string_view key, std::optional<Instant> t) {
  out.key(key);
  t ? out.value(to_epoch_ms(*t)) : out.null();
}

std::string serialize_cache(const CacheState& state) {
  JsonWriter out(JsonWriter::Style::kCompact);
  out.begin_object().key("version").value(kCacheVersion);
  write_optional_ms(out, "fetched_at_ms", state.fetched_at);
  out.key("samples").begin_array();
  for (const LimitSample& s : state.samples) {
    out.begin_object().key("window").value(s.window).key("used_percent");
    s.used_percent ? out.value(*s.used_percent) : out.null();
    out.key("resets_at_epoch_s");
    s.resets_at_epoch_s ? out.value(*s.resets_at_epoch_s) : out.null();
    out.end_object();
  }
  out.end_array();
  write_optional_ms(out, "last_attempt_ms", state.last_attempt);
  out.key("failure").value(kFailureNames[static_cast<std::size_t>(state.failure)]);
  out.key("consecutive_failures").value(state.consecutive_failures);
  write_optional_ms(out, "backoff_until_ms", state.backoff_until);
  out.key("last_error_code").value(static_cast<int>(state.last_error.code));
  out.key("last_error").value(state.last_error.message);
  out.key("auth_failed_expiry_ms");
  state.auth_failed_expiry_ms ? out.value(*state.auth_failed_expiry_ms) : out.null();
  out.end_object();
  return out.take();
}

// Writes to a temporary file in the same directory, then renames it over `path`: readers see
// the old file or the new one, never a torn one. Mode 0600.
Status write_file_atomically(const fs::path& path, std::string_view text) {
  fs::path temp = path;
  temp += fmt::format(".tmp.{}", ::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::kIo, fmt::format("cannot write {}: {}", temp.string(), std::strerror(errno)));
  }
  int error = ::fchmod(fd, 0600) == 0 ? 0 : errno;
  for (std::size_t done = 0; error == 0 && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      error = n == 0 ? EIO : errno;
    }
  }
  if (error == 0 && ::fsync(fd) != 0) {
    error = errno;
  }
  if (::close(fd) != 0 && error == 0) {
    error = errno;
  }
  if (error == 0 && ::rename(temp.c_str(), path.c_str()) != 0) {
    error = errno;
  }
  if (error == 0) {
    return {};
  }
  ::unlink(temp.c_str());
  return fail(Errc::kIo, fmt::format("cannot write {}: {}", path.string(), std::strerror(error)));
}

// An advisory lock on `<cache>.lock` held for the whole poll, so processes (and threads, each
// opening its own descriptor) poll one at a time and each sees the cache its predecessor wrote.
class PollLock {
 public:
  enum class State { kHeld, kBusy, kUnavailable };

  PollLock(const fs::path& path, SteadyTime give_up_at) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      state_ = State::kUnavailable;
      return;
    }
    for (;;) {
      if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
        state_ = State::kHeld;
        return;
      }
      if (errno != EWOULDBLOCK && errno != EINTR) {
        state_ = State::kUnavailable;
        return;
      }
      if (std::chrono::steady_clock::now() >= give_up_at) {
        state_ = State::kBusy;
        return;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  ~PollLock() {
    if (fd_ >= 0) {
      ::close(fd_);  // Releases the lock.
    }
  }
  PollLock(const PollLock&) = delete;
  PollLock& operator=(const PollLock&) = delete;

  State state() const { return state_; }

 private:
  int fd_ = -1;
  State state_ = State::kUnavailable;
};

// ---------------------------------------------------------------------------------------------
// Back-off.

seconds doubled(seconds first, seconds cap, int failures) {
  seconds delay = first;
  for (int i = 1; i < failures && delay < cap; ++i) {
    delay *= 2;
  }
  return std::min(delay, cap);
}

void record_failure(CacheState& state, Failure kind, Error error, Instant now,
                    std::optional<seconds> retry_after) {
  state.consecutive_failures = state.failure == kind ? state.consecutive_failures + 1 : 1;
  state.failure = kind;
  state.last_error = std::move(error);
  seconds delay{0};
  switch (kind) {
    case Failure::kRateLimited:
      delay = doubled(kRateLimitFirstDelay, kRateLimitMaxDelay, state.consecutive_failures);
      break;
    case Failure::kAuth:
      delay = doubled(kAuthFirstDelay, kAuthMaxDelay, state.consecutive_failures);
      break;
    case Failure::kTransient:
    case Failure::kNone:
      delay = doubled(kTransientFirstDelay, kTransientMaxDelay, state.consecutive_failures);
      break;
  }
  if (retry_after) {
    delay = kind == Failure::kRateLimited ? *retry_after : std::max(delay, *retry_after);
  }
  state.backoff_until = now + std::clamp(delay, seconds(0), kMaxRetryAfter);
}

void record_success(CacheState& state, std::vector<LimitSample> samples, Instant now) {
  state.fetched_at = now;
  state.samples = std::move(samples);
  state.failure = Failure::kNone;
  state.consecutive_failures = 0;
  state.backoff_until.reset();
  state.last_error = Error{};
  state.auth_failed_expiry_ms.reset();
}

// The earliest instant a request may be sent, judging by the state alone.
Instant next_poll_after(const CacheState& state, seconds min_interval, Instant now) {
  Instant next = state.last_attempt ? *state.last_attempt + min_interval : now;
  if (state.failure != Failure::kNone && state.backoff_until) {
    next = std::max(next, *state.backoff_until);
  }
  return next;
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate), as an instant.
std::optional<Instant> parse_http_date(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::size_t comma = text.find(", ");
  if (comma == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view s = text.substr(comma + 2);  // "06 Nov 1994 08:49:37 GMT"
  if (s.size() != 24 || s[2] != ' ' || s[6] != ' ' || s[11] != ' ' || s[14] != ':' ||
      s[17] != ':' || s.substr(20) != " GMT") {
    return std::nullopt;
  }
  auto digits = [&](std::size_t at, std::size_t count) -> int {
    int v = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (s[i] < '0' || s[i] > '9') {
        return -1;
      }
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto month = std::find(kMonths.begin(), kMonths.end(), s.substr(3, 3));
  int day = digits(0, 2);
  int year = digits(7, 4);
  int hour = digits(12, 2);
  int minute = digits(15, 2);
  int second = digits(18, 2);
  if (month == kMonths.end() || day < 0 || year < 0 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{
      std::chrono::year(year),
      std::chrono::month(static_cast<unsigned>(month - kMonths.begin() + 1)),
      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         seconds(second);
}

// Retry-After as delay-seconds or an HTTP date; empty when absent or unreadable.
std::optional<seconds> parse_retry_after(std::string_view text, Instant now) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (text.size() > 9) {
      return kMaxRetryAfter;
    }
    return std::min(seconds(std::stoll(std::string(text))), kMaxRetryAfter);
  }
  std::optional<Instant> at = parse_http_date(text);
  if (!at) {
    return std::nullopt;
  }
  return std::clamp(std::chrono::ceil<seconds>(*at - now), seconds(0), kMaxRetryAfter);
}

// ---------------------------------------------------------------------------------------------
// One HTTP(S) GET with an overall deadline.

struct HttpReply {
  unsigned status = 0;
  std::string reason;
  std::string retry_after;
  std::string body;
};

struct Exchange {
  Url url;
  http::request<http::empty_body> request;
  std::vector<tcp::endpoint> endpoints;
  SteadyTime deadline;
  milliseconds timeout{0};
  ssl::context* tls = nullptr;  // owned by fetch(); null for plain http
};

Error transport_error(const boost::system::error_code& ec, std::string_view step,
                      const Exchange& x) {
  if (ec == beast::error::timeout) {
    return Error{Errc::kUnavailable, fmt::format("{} did not answer within {} ms ({})",
                                                 x.url.display(), x.timeout.count(), step)};
  }
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
    return Error{Errc::kInvalidInput, fmt::format("the answer from {} is larger than {} bytes",
                                                  x.url.display(), kMaxResponseBytes)};
  }
  if (ec == http::error::header_limit) {
    return Error{Errc::kInvalidInput, fmt::format("the answer headers from {} are larger than {} "
                                                  "bytes",
                                                  x.url.display(), kMaxHeaderBytes)};
  }
  return Error{Errc::kIo,
               fmt::format("{} failed while {}: {}", x.url.display(), step, ec.message())};
}

template <class Stream>
asio::awaitable<Result<HttpReply>> send_and_receive(Stream& stream, const Exchange& x) {
  auto [write_error, written] =
      co_await http::async_write(stream, x.request, asio::as_tuple(asio::use_awaitable));
  if (write_error) {
    co_return tl::unexpected(transport_error(write_error, "sending the request", x));
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(kMaxResponseBytes);
  auto [read_error, read] =
      co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (read_error) {
    co_return tl::unexpected(transport_error(read_error, "reading the answer", x));
  }
  http::response<http::string_body>& response = parser.get();
  HttpReply reply;
  reply.status = response.result_int();
  reply.reason = sanitized(response.reason());
  reply.retry_after = std::string(response[http::field::retry_after]);
  reply.body = std::move(response.body());
  co_return reply;
}

asio::awaitable<Result<HttpReply>> get_plain(const Exchange* x) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_at(x->deadline);
  auto [error, endpoint] =
      co_await stream.async_connect(x->endpoints, asio::as_tuple(asio::use_awaitable));
  if (error) {
    co_return tl::unexpected(transport_error(error, "connecting", *x));
  }
  co_return co_await send_and_receive(stream, *x);
}

// Asks OpenSSL to check the certificate against the host name (or IP address) during the
// handshake, and sends SNI for names.
void require_host_identity(SSL* ssl, const Url& url) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (url.host_is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    return;
  }
  SSL_set_tlsext_host_name(ssl, url.host.c_str());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size());
}

asio::awaitable<Result<HttpReply>> get_tls(const Exchange* x) {
  beast::ssl_stream<beast::tcp_stream> stream(co_await asio::this_coro::executor, *x->tls);
  beast::get_lowest_layer(stream).expires_at(x->deadline);
  auto [error, endpoint] = co_await beast::get_lowest_layer(stream).async_connect(
      x->endpoints, asio::as_tuple(asio::use_awaitable));
  if (error) {
    co_return tl::unexpected(transport_error(error, "connecting", *x));
  }
  require_host_identity(stream.native_handle(), x->url);
  auto [handshake_error] = co_await stream.async_handshake(ssl::stream_base::client,
                                                           asio::as_tuple(asio::use_awaitable));
  if (handshake_error) {
    long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK) {
      co_return fail(Errc::kUnavailable,
                     fmt::format("the TLS certificate of {} failed verification: {}", x->url.host,
                                 X509_verify_cert_error_string(verify)));
    }
    co_return tl::unexpected(transport_error(handshake_error, "the TLS handshake", *x));
  }
  co_return co_await send_and_receive(stream, *x);
}

Result<std::unique_ptr<ssl::context>> make_tls_context(const UsageOptions& options) {
  auto tls = std::make_unique<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  tls->set_default_verify_paths(ec);
  if (ec) {
    return fail(Errc::kUnavailable,
                fmt::format("cannot load the system CA store: {}", ec.message()));
  }
  if (!options.ca_file.empty()) {
    tls->load_verify_file(options.ca_file.string(), ec);
    if (ec) {
      return fail(Errc::kInvalidInput, fmt::format("cannot load CA file {}: {}",
                                                   options.ca_file.string(), ec.message()));
    }
  }
  tls->set_verify_mode(ssl::verify_peer, ec);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  return tls;
}

// getaddrinfo cannot be cancelled, so it runs on a detached thread that the caller stops
// waiting for at the deadline; a late answer is dropped with the shared state.
struct Lookup {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;  // Guarded by mutex.
  int status = 0;
  std::vector<tcp::endpoint> endpoints;
};

std::vector<tcp::endpoint> endpoints_of(const addrinfo* list) {
  std::vector<tcp::endpoint> endpoints;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        ai->ai_addrlen > sizeof(sockaddr_in6)) {
      continue;
    }
    tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), ai->ai_addr, ai->ai_addrlen);
    endpoint.resize(ai->ai_addrlen);
    endpoints.push_back(endpoint);
  }
  return endpoints;
}

Result<std::vector<tcp::endpoint>> resolve(const Url& url, SteadyTime deadline,
                                           milliseconds timeout) {
  if (url.host_is_ip) {
    return std::vector<tcp::endpoint>{tcp::endpoint(asio::ip::make_address(url.host), url.port)};
  }
  auto lookup = std::make_shared<Lookup>();
  std::thread([lookup, host = url.host, port = std::to_string(url.port)] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    int status = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
    std::vector<tcp::endpoint> endpoints =
        status == 0 ? endpoints_of(list) : std::vector<tcp::endpoint>{};
    if (list != nullptr) {
      ::freeaddrinfo(list);
    }
    std::lock_guard<std::mutex> lock(lookup->mutex);
    lookup->status = status;
    lookup->endpoints = std::move(endpoints);
    lookup->done = true;
    lookup->done_cv.notify_all();
  }).detach();
  std::unique_lock<std::mutex> lock(lookup->mutex);
  if (!lookup->done_cv.wait_until(lock, deadline, [&] { return lookup->done; })) {
    return fail(Errc::kUnavailable,
                fmt::format("resolving {} took longer than {} ms", url.host, timeout.count()));
  }
  if (lookup->status != 0 || lookup->endpoints.empty()) {
    return fail(Errc::kIo,
                fmt::format("cannot resolve {}: {}", url.host,
                            lookup->status != 0 ? ::gai_strerror(lookup->status) : "no addresses"));
  }
  return lookup->endpoints;
}

std::string header_safe(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    }
  }
  return out;
}

http::request<http::empty_body> make_request(const Url& url, const std::string& token,
                                             const UsageOptions& options) {
  http::request<http::empty_body> request{http::verb::get, url.path, 11};
  request.set(http::field::host, url.host_header());
  request.set(http::field::authorization, "Bearer " + token);
  request.set("anthropic-beta", kOauthBetaHeader);
  request.set(http::field::user_agent, header_safe(options.user_agent));
  request.set(http::field::accept, "application/json");
  request.set(http::field::accept_encoding, "identity");
  request.set(http::field::connection, "close");
  return request;
}

Result<HttpReply> fetch(const Url& url, const std::string& token, const UsageOptions& options) {
  Exchange x;
  x.url = url;
  x.timeout = options.timeout;
  x.deadline = std::chrono::steady_clock::now() + options.timeout;
  Result<std::vector<tcp::endpoint>> endpoints = resolve(url, x.deadline, options.timeout);
  if (!endpoints) {
    return tl::unexpected(endpoints.error());
  }
  if (!url.tls) {
    // Plain http is for loopback only, also when a name such as localhost resolves elsewhere.
    std::erase_if(*endpoints,
                  [](const tcp::endpoint& e) { return !is_loopback_address(e.address()); });
    if (endpoints->empty()) {
      return fail(Errc::kInvalidInput,
                  fmt::format("{} does not resolve to a loopback address; plain http is "
                              "allowed only for loopback hosts",
                              url.host));
    }
  }
  x.endpoints = std::move(*endpoints);
  x.request = make_request(url, token, options);
  std::unique_ptr<ssl::context> tls;
  if (url.tls) {
    Result<std::unique_ptr<ssl::context>> context = make_tls_context(options);
    if (!context) {
      return tl::unexpected(context.error());
    }
    tls = std::move(*context);
    x.tls = tls.get();
  }
  std::optional<Result<HttpReply>> outcome;
  asio::io_context io;
  auto on_done = [&outcome](std::exception_ptr error, Result<HttpReply> reply) {
    if (error) {
      outcome = fail(Errc::kInternal, "the OAuth usage request failed unexpectedly");
    } else {
      outcome = std::move(reply);
    }
  };
  if (url.tls) {
    asio::co_spawn(io, get_tls(&x), on_done);
  } else {
    asio::co_spawn(io, get_plain(&x), on_done);
  }
  // The stream's deadline ends every step; this bound is only a guard against a step that
  // ignores it.
  io.run_until(x.deadline + seconds(1));
  if (!outcome) {
    return fail(Errc::kUnavailable, fmt::format("{} did not answer within {} ms", url.display(),
                                                options.timeout.count()));
  }
  return std::move(*outcome);
}

// ---------------------------------------------------------------------------------------------
// The poll.

std::string iso_s(Instant t) { return format_iso_ms(std::chrono::floor<seconds>(t)); }

std::string join_notes(std::string a, std::string_view b) {
  if (b.empty()) {
    return a;
  }
  return a.empty() ? std::string(b) : a + "; " + std::string(b);
}

UsageResult cached_result(const CacheState& state, Instant next, std::string note) {
  UsageResult result;
  result.samples = state.samples;
  result.from_cache = true;
  result.fetched_at = state.fetched_at;
  result.next_poll_after = next;
  result.note = std::move(note);
  return result;
}

std::string rate_limit_note(const CacheState& state, Instant next) {
  std::string shown =
      state.fetched_at ? fmt::format("showing the readings fetched at {}", iso_s(*state.fetched_at))
                       : std::string("no earlier readings to show");
  return fmt::format(
      "the OAuth usage endpoint is rate limiting requests (HTTP 429); {}; next "
      "poll after {}",
      shown, iso_s(next));
}

// The answer without a request when the state says to wait; empty when a request may go out.
std::optional<Result<UsageResult>> hold_off(const CacheState& state,
                                            std::optional<std::int64_t> credentials_expiry_ms,
                                            const UsageOptions& options, Instant now) {
  if (!state.last_attempt || *state.last_attempt > now + kClockSkewTolerance) {
    return std::nullopt;
  }
  Instant next = next_poll_after(state, options.min_interval, now);
  const bool token_refreshed =
      state.failure == Failure::kAuth && credentials_expiry_ms != state.auth_failed_expiry_ms;
  if (token_refreshed) {
    next = *state.last_attempt + options.min_interval;
  }
  if (now >= next) {
    return std::nullopt;
  }
  switch (state.failure) {
    case Failure::kNone:
      return cached_result(state, next, "");
    case Failure::kRateLimited:
      return cached_result(state, next, rate_limit_note(state, next));
    case Failure::kAuth:
    case Failure::kTransient:
      break;
  }
  return fail(state.last_error.code,
              fmt::format("{} (not retrying before {})", state.last_error.message, iso_s(next)));
}

std::string save_note(const UsageOptions& options, const CacheState& state) {
  Status saved = write_file_atomically(options.cache_file, serialize_cache(state));
  return saved ? std::string() : "the cache was not saved: " + saved.error().message;
}

Result<UsageResult> settle_failure(CacheState& state, Failure kind, Error error,
                                   std::optional<seconds> retry_after, const UsageOptions& options,
                                   Instant now) {
  record_failure(state, kind, error, now, retry_after);
  std::string note = save_note(options, state);
  return fail(error.code, join_notes(error.message, note));
}

std::string server_message(std::string_view body) {
  dom::parser parser;
  dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return {};
  }
  return api_error_text(root).value_or("");
}

Error status_error(const HttpReply& reply, const Url& url) {
  std::string message = server_message(reply.body);
  std::string detail = message.empty() ? std::string() : ": " + message;
  std::string status =
      fmt::format("HTTP {}{}{}", reply.status, reply.reason.empty() ? "" : " ", reply.reason);
  if (reply.status == 401 || reply.status == 403) {
    return Error{Errc::kUnavailable,
                 fmt::format("the OAuth usage endpoint {} answered {}{}; the token may be revoked "
                             "or expired, run claude to refresh it",
                             url.display(), status, detail)};
  }
  if (reply.status >= 300 && reply.status < 400) {
    return Error{Errc::kUnavailable,
                 fmt::format("the OAuth usage endpoint {} answered {} (redirects are not followed)",
                             url.display(), status)};
  }
  return Error{Errc::kUnavailable, fmt::format("the OAuth usage endpoint {} answered {}{}",
                                               url.display(), status, detail)};
}

Result<UsageResult> settle(CacheState& state, Result<HttpReply> reply,
                           std::optional<std::int64_t> credentials_expiry_ms, const Url& url,
                           const UsageOptions& options, Instant now, std::string cache_note) {
  if (!reply) {
    return settle_failure(state, Failure::kTransient, reply.error(), std::nullopt, options, now);
  }
  std::optional<seconds> retry_after = parse_retry_after(reply->retry_after, now);
  if (reply->status == 429) {
    record_failure(state, Failure::kRateLimited,
                   Error{Errc::kUnavailable, "rate limited (HTTP 429)"}, now, retry_after);
    Instant next = next_poll_after(state, options.min_interval, now);
    std::string note = join_notes(rate_limit_note(state, next), save_note(options, state));
    return cached_result(state, next, join_notes(std::move(note), cache_note));
  }
  if (reply->status != 200) {
    Failure kind =
        reply->status == 401 || reply->status == 403 ? Failure::kAuth : Failure::kTransient;
    if (kind == Failure::kAuth) {
      state.auth_failed_expiry_ms = credentials_expiry_ms;
    }
    return settle_failure(state, kind, status_error(*reply, url), retry_after, options, now);
  }
  Result<std::vector<LimitSample>> samples = parse_usage_response(reply->body, now);
  if (!samples) {
    Error error{Errc::kInvalidInput,
                fmt::format("the OAuth usage endpoint {} answered with an unusable body: {}",
                            url.display(), samples.error().message)};
    return settle_failure(state, Failure::kTransient, std::move(error), retry_after, options, now);
  }
  record_success(state, std::move(*samples), now);
  UsageResult result;
  result.samples = state.samples;
  result.fetched_at = now;
  result.next_poll_after = now + options.min_interval;
  result.note = join_notes(save_note(options, state), cache_note);
  return result;
}

Instant system_now() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

Result<UsageResult> poll_usage_unguarded(const UsageOptions& options) {
  const Instant now = options.now == Instant{} ? system_now() : options.now;
  Result<Url> url = parse_url(options.url);
  if (!url) {
    return tl::unexpected(url.error());
  }
  if (!url->tls && !is_loopback_host(*url)) {
    return fail(Errc::kInvalidInput,
                fmt::format("refusing to send the OAuth token in clear to {}: use https (plain "
                            "http is allowed only for loopback hosts)",
                            url->host));
  }
  if (options.cache_file.empty()) {
    return fail(Errc::kInvalidInput, "the OAuth usage poller needs a cache file");
  }
  std::error_code ec;
  fs::create_directories(options.cache_file.parent_path(), ec);
  if (ec) {
    return fail(Errc::kIo, fmt::format("cannot create {}: {}",
                                       options.cache_file.parent_path().string(), ec.message()));
  }
  fs::path lock_path = options.cache_file;
  lock_path += ".lock";
  PollLock lock(lock_path, std::chrono::steady_clock::now() + options.timeout + kLockSlack);
  CacheState state;
  std::string cache_note;
  if (Result<CacheState> loaded = load_cache(options.cache_file)) {
    state = std::move(*loaded);
  } else {
    cache_note = "ignored the cache: " + loaded.error().message;
  }
  if (lock.state() == PollLock::State::kBusy) {
    return cached_result(state, next_poll_after(state, options.min_interval, now),
                         "another ccgauge process is polling the OAuth usage endpoint; showing "
                         "the cached readings");
  }
  Result<Credentials> credentials = read_credentials(options.credentials_file);
  std::optional<std::int64_t> expiry =
      credentials ? credentials->expires_at_ms : std::optional<std::int64_t>();
  if (std::optional<Result<UsageResult>> held = hold_off(state, expiry, options, now)) {
    return std::move(*held);
  }
  if (!credentials) {
    return tl::unexpected(credentials.error());
  }
  if (Status usable = check_token(*credentials, now); !usable) {
    return tl::unexpected(usable.error());
  }
  state.last_attempt = now;
  Result<HttpReply> reply = fetch(*url, credentials->access_token, options);
  return settle(state, std::move(reply), expiry, *url, options, now, std::move(cache_note));
}

}  // namespace

Result<std::vector<LimitSample>> parse_usage_response(std::string_view json, Instant fetched_at) {
  dom::parser parser;
  dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root)) {
    return fail(Errc::kInvalidInput,
                fmt::format("usage response is not JSON: {}", simdjson::error_message(error)));
  }
  dom::object fields;
  if (root.get_object().get(fields) != simdjson::SUCCESS) {
    return fail(Errc::kInvalidInput, "usage response is not a JSON object");
  }
  std::vector<LimitSample> samples;
  bool recognised = false;
  for (dom::key_value_pair field : fields) {
    if (field.key == "limits" || field.key == "error" || field.key == "type") {
      continue;
    }
    if (is_window_key(field.key)) {
      recognised = true;
    }
    if (!field.value.is_object() || field.value["utilization"].error() != simdjson::SUCCESS) {
      continue;
    }
    recognised = true;
    bool enabled = false;
    if (field.key == "extra_usage" &&
        (field.value["is_enabled"].get_bool().get(enabled) != simdjson::SUCCESS || !enabled)) {
      continue;
    }
    if (std::optional<LimitSample> s =
            window_sample(field.key, field.value, "utilization", fetched_at)) {
      samples.push_back(std::move(*s));
    }
  }
  dom::array limits;
  if (root["limits"].get_array().get(limits) == simdjson::SUCCESS) {
    recognised = true;
    append_limit_rows(limits, fetched_at, samples);
  }
  if (!recognised) {
    if (std::optional<std::string> error = api_error_text(root)) {
      return fail(Errc::kInvalidInput, fmt::format("the endpoint answered an error: {}", *error));
    }
    return fail(Errc::kInvalidInput, "usage response has none of five_hour, seven_day or limits[]");
  }
  return samples;
}

Result<UsageResult> poll_usage(const UsageOptions& options) {
  // Nothing here throws by design; this catches what libraries may (allocation, thread
  // creation), so no exception crosses the module boundary.
  try {
    return poll_usage_unguarded(options);
  } catch (const std::exception& e) {
    return fail(Errc::kInternal, fmt::format("OAuth usage poll failed: {}", e.what()));
  }
}

}  // namespace ccgauge::ingest::oauth

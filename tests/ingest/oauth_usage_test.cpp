#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "ingest/oauth/usage_client.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge::ingest::oauth {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using ccgauge::testing::slurp;
using ccgauge::testing::TempDir;
using ccgauge::testing::write_file;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Instant kNow = *parse_timestamp("2026-03-01T12:00:00Z");  // a Sunday
constexpr const char* kToken = "sk-ant-oat01-SECRET-test-token-0123456789";

std::int64_t epoch_s(const char* iso) {
  return std::chrono::floor<seconds>(*parse_timestamp(iso)).time_since_epoch().count();
}

const LimitSample* find_window(const std::vector<LimitSample>& samples, const std::string& window) {
  for (const LimitSample& s : samples) {
    if (s.window == window) {
      return &s;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// parse_usage_response

constexpr const char* kWindowsBody = R"({
  "five_hour": {"utilization": 23.0, "resets_at": "2026-03-01T15:59:59.943648+00:00"},
  "seven_day": {"utilization": 41.5, "resets_at": "2026-03-05T07:00:00.000000+00:00"},
  "seven_day_oauth_apps": null,
  "seven_day_opus": null,
  "seven_day_sonnet": {"utilization": 3, "resets_at": "2026-03-05T07:00:00+00:00"},
  "extra_usage": {"is_enabled": false, "monthly_limit": null, "used_credits": null,
                  "utilization": null, "currency": null}
})";

TEST(ParseUsageResponse, ReadsTheWindowsShape) {
  auto samples = parse_usage_response(kWindowsBody, kNow);
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 3u);
  const LimitSample* five = find_window(*samples, "five_hour");
  ASSERT_NE(five, nullptr);
  EXPECT_EQ(five->source, "oauth");
  EXPECT_EQ(five->instant, kNow);
  EXPECT_DOUBLE_EQ(*five->used_percent, 23.0);
  EXPECT_EQ(*five->resets_at_epoch_s, epoch_s("2026-03-01T15:59:59Z"));
  EXPECT_DOUBLE_EQ(*find_window(*samples, "seven_day")->used_percent, 41.5);
  EXPECT_EQ(*find_window(*samples, "seven_day")->resets_at_epoch_s,
            epoch_s("2026-03-05T07:00:00Z"));
  EXPECT_DOUBLE_EQ(*find_window(*samples, "seven_day_sonnet")->used_percent, 3.0);
  EXPECT_EQ(find_window(*samples, "seven_day_opus"), nullptr);
  EXPECT_EQ(find_window(*samples, "extra_usage"), nullptr);
}

TEST(ParseUsageResponse, ReadsTheLimitsShape) {
  auto samples = parse_usage_response(R"({"limits": [
    {"kind": "session", "group": "default", "percent": 12.5, "resets_at": "2026-03-01T15:00:00Z",
     "scope": null, "severity": "normal", "is_active": true},
    {"kind": "weekly_all", "percent": "40", "resets_at": "2026-03-05T07:00:00Z",
     "severity": "warning", "is_active": true},
    {"kind": "weekly_scoped", "percent": 7, "resets_at": "2026-03-05T07:00:00Z",
     "scope": {"model": {"display_name": "Opus"}}},
    {"kind": "weekly_scoped", "percent": 9, "scope": {"model": {"display_name": "Sonnet 4.5"}}},
    {"kind": "weekly_scoped", "percent": null, "resets_at": null,
     "scope": {"model": {"display_name": "Fable"}}},
    {"kind": "weekly_scoped", "percent": 2, "scope": {"surface": "oauth_apps"}},
    "junk", 17, null,
    {"kind": "monthly_credit", "percent": 150, "new_field": {"x": 1}}
  ]})",
                                      kNow);
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 6u);
  EXPECT_DOUBLE_EQ(*find_window(*samples, "five_hour")->used_percent, 12.5);
  EXPECT_EQ(*find_window(*samples, "five_hour")->resets_at_epoch_s,
            epoch_s("2026-03-01T15:00:00Z"));
  EXPECT_DOUBLE_EQ(*find_window(*samples, "seven_day")->used_percent, 40.0);
  EXPECT_DOUBLE_EQ(*find_window(*samples, "seven_day_opus")->used_percent, 7.0);
  EXPECT_DOUBLE_EQ(*find_window(*samples, "seven_day_sonnet_4_5")->used_percent, 9.0);
  EXPECT_FALSE(find_window(*samples, "seven_day_sonnet_4_5")->resets_at_epoch_s);
  EXPECT_EQ(find_window(*samples, "seven_day_fable"), nullptr);
  EXPECT_DOUBLE_EQ(*find_window(*samples, "seven_day_oauth_apps")->used_percent, 2.0);
  EXPECT_DOUBLE_EQ(*find_window(*samples, "monthly_credit")->used_percent, 100.0);  // clamped
}

TEST(ParseUsageResponse, TopLevelWindowsWinOverLimitsRows) {
  auto samples = parse_usage_response(
      R"({"five_hour": {"utilization": 30, "resets_at": null},
          "limits": [{"kind": "session", "percent": 31},
                     {"kind": "weekly_all", "percent": 50}]})",
      kNow);
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 2u);
  EXPECT_DOUBLE_EQ(*find_window(*samples, "five_hour")->used_percent, 30.0);
  EXPECT_DOUBLE_EQ(*find_window(*samples, "seven_day")->used_percent, 50.0);
}

TEST(ParseUsageResponse, NullsStringsMissingFieldsAndUnknownKeys) {
  auto samples = parse_usage_response(
      R"({"five_hour": {"utilization": "17.5", "resets_at": 1772380800, "extra": [1, 2]},
          "seven_day": {"utilization": 5},
          "seven_day_opus": {"utilization": null, "resets_at": null},
          "seven_day_sonnet": {"utilization": null, "resets_at": "2026-03-05T07:00:00Z"},
          "seven_day_oauth_apps": {"utilization": "lots", "resets_at": "soon"},
          "seven_day_overage_included": {"utilization": -3, "resets_at": 1772380800000},
          "brand_new_section": {"anything": true}, "account": "x"})",
      kNow);
  ASSERT_TRUE(samples) << samples.error().message;
  EXPECT_EQ(samples->size(), 4u);
  const LimitSample* five = find_window(*samples, "five_hour");
  ASSERT_NE(five, nullptr);
  EXPECT_DOUBLE_EQ(*five->used_percent, 17.5);
  EXPECT_EQ(*five->resets_at_epoch_s, 1772380800);
  EXPECT_DOUBLE_EQ(*find_window(*samples, "seven_day")->used_percent, 5.0);
  EXPECT_FALSE(find_window(*samples, "seven_day")->resets_at_epoch_s);
  EXPECT_EQ(find_window(*samples, "seven_day_opus"), nullptr);
  EXPECT_FALSE(find_window(*samples, "seven_day_sonnet")->used_percent);
  EXPECT_EQ(*find_window(*samples, "seven_day_sonnet")->resets_at_epoch_s,
            epoch_s("2026-03-05T07:00:00Z"));
  EXPECT_EQ(find_window(*samples, "seven_day_oauth_apps"), nullptr);
  const LimitSample* overage = find_window(*samples, "seven_day_overage_included");
  ASSERT_NE(overage, nullptr);
  EXPECT_DOUBLE_EQ(*overage->used_percent, 0.0);
  EXPECT_EQ(*overage->resets_at_epoch_s, 1772380800);

  auto all_null = parse_usage_response(R"({"five_hour": null, "seven_day": null})", kNow);
  ASSERT_TRUE(all_null) << all_null.error().message;
  EXPECT_TRUE(all_null->empty());
}

TEST(ParseUsageResponse, ExtraUsageOnlyWhenEnabled) {
  auto samples = parse_usage_response(
      R"({"five_hour": null, "extra_usage": {"is_enabled": true, "monthly_limit": 5000,
          "used_credits": 1250, "utilization": 25.0, "currency": "USD"}})",
      kNow);
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 1u);
  EXPECT_EQ((*samples)[0].window, "extra_usage");
  EXPECT_DOUBLE_EQ(*(*samples)[0].used_percent, 25.0);
}

TEST(ParseUsageResponse, GarbageIsAnError) {
  for (const char* body :
       {"", "not json", "{\"five_hour\": ", "[1, 2]", "42", "{}", R"({"unrelated": {"a": 1}})"}) {
    auto samples = parse_usage_response(body, kNow);
    EXPECT_FALSE(samples) << body;
    if (!samples) {
      EXPECT_EQ(samples.error().code, Errc::kInvalidInput);
    }
  }
  auto api_error = parse_usage_response(
      R"({"type": "error", "error": {"type": "permission_error", "message": "scope missing"}})",
      kNow);
  ASSERT_FALSE(api_error);
  EXPECT_NE(api_error.error().message.find("permission_error: scope missing"), std::string::npos)
      << api_error.error().message;
}

// ---------------------------------------------------------------------------------------------
// A real HTTP(S) server on a loopback port that answers as the endpoint does.

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// A self-signed certificate (usable as its own trust anchor) for the given subjectAltName, e.g.
// "IP:127.0.0.1,DNS:localhost".
TestCert make_certificate(const std::string& subject_alt_names) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ccgauge test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")},
                            std::pair{NID_subject_alt_name, subject_alt_names}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  TestCert out{bio_text(cert_bio), bio_text(key_bio)};
  BIO_free(cert_bio);
  BIO_free(key_bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

struct Reply {
  unsigned status = 200;
  std::string body = kWindowsBody;
  std::vector<std::pair<std::string, std::string>> headers = {};
  bool silent = false;  // read the request, then never answer
  milliseconds delay{0};
};

struct SeenRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lowercased names
};

class UsageServer {
 public:
  explicit UsageServer(const std::string& address = "127.0.0.1", const TestCert* cert = nullptr)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address(address), 0)) {
    if (cert != nullptr) {
      tls_.emplace(ssl::context::tls_server);
      tls_->use_certificate_chain(asio::buffer(cert->cert_pem));
      tls_->use_private_key(asio::buffer(cert->key_pem), ssl::context::pem);
    }
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~UsageServer() {
    io_.stop();
    thread_.join();
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "http://" + host + ":" + std::to_string(port()) + "/api/oauth/usage";
  }
  void reply_with(Reply reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    reply_ = std::move(reply);
  }
  int connections() const { return connections_; }
  int requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(seen_.size());
  }
  SeenRequest last_request() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_.empty() ? SeenRequest{} : seen_.back();
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [error, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (error) {
        co_return;
      }
      ++connections_;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    if (!tls_) {
      co_await exchange(socket);
      co_return;
    }
    ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
    auto [error] = co_await stream.async_handshake(ssl::stream_base::server,
                                                   asio::as_tuple(asio::use_awaitable));
    if (!error) {
      co_await exchange(stream);
    }
  }

  Reply record(const http::request<http::string_body>& request) {
    SeenRequest seen;
    seen.method = std::string(request.method_string());
    seen.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      for (char& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      seen.headers[name] = std::string(field.value());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.push_back(std::move(seen));
    return reply_;
  }

  template <class Stream>
  asio::awaitable<void> exchange(Stream& stream) {
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [read_error, read] =
        co_await http::async_read(stream, buffer, request, asio::as_tuple(asio::use_awaitable));
    if (read_error) {
      co_return;
    }
    Reply reply = record(request);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    if (reply.silent || reply.delay.count() > 0) {
      timer.expires_after(reply.silent ? milliseconds(hours(1)) : reply.delay);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    http::response<http::string_body> response;
    response.version(11);
    response.result(reply.status);
    response.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : reply.headers) {
      response.set(name, value);
    }
    response.body() = reply.body;
    response.prepare_payload();
    co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::optional<ssl::context> tls_;
  std::thread thread_;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  Reply reply_;                    // Guarded by mutex_.
  std::vector<SeenRequest> seen_;  // Guarded by mutex_.
};

// ---------------------------------------------------------------------------------------------
// poll_usage

class OauthUsageTest : public ::testing::Test {
 protected:
  void SetUp() override { write_credentials(kToken, to_epoch_ms(kNow + hours(1))); }

  void write_credentials(const std::string& token, std::int64_t expires_at_ms,
                         const std::string& scopes = R"(["user:inference", "user:profile"])") {
    write_file(credentials_path(),
               R"({"claudeAiOauth": {"accessToken": ")" + token +
                   R"(", "refreshToken": "sk-ant-ort01-refresh", "expiresAt": )" +
                   std::to_string(expires_at_ms) + R"(, "scopes": )" + scopes +
                   R"(, "subscriptionType": "max", "rateLimitTier": "default_claude_max_5x"}})");
  }

  std::string credentials_path() const { return dir_ / "claude/.credentials.json"; }
  std::string cache_path() const { return dir_ / "state/ccgauge/oauth-usage.json"; }

  UsageOptions options(const std::string& url, Instant now = kNow) const {
    UsageOptions o;
    o.url = url;
    o.credentials_file = credentials_path();
    o.cache_file = cache_path();
    o.timeout = milliseconds(2000);
    o.user_agent = "ccgauge/9.8.7";
    o.now = now;
    return o;
  }

  // Nothing ccgauge says or stores may contain the token.
  void expect_no_token(const Result<UsageResult>& result) const {
    std::string text = result ? result->note : result.error().message;
    EXPECT_EQ(text.find(kToken), std::string::npos) << text;
    EXPECT_EQ(slurp(cache_path()).find(kToken), std::string::npos);
  }

  TempDir dir_;
};

TEST_F(OauthUsageTest, FetchesWithTheDocumentedRequest) {
  UsageServer server;
  auto result = poll_usage(options(server.url()));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->from_cache);
  EXPECT_EQ(result->note, "");
  EXPECT_EQ(*result->fetched_at, kNow);
  EXPECT_EQ(*result->next_poll_after, kNow + seconds(60));
  ASSERT_EQ(result->samples.size(), 3u);
  EXPECT_DOUBLE_EQ(*find_window(result->samples, "five_hour")->used_percent, 23.0);

  ASSERT_EQ(server.requests(), 1);
  SeenRequest seen = server.last_request();
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/api/oauth/usage");
  EXPECT_EQ(seen.headers["authorization"], std::string("Bearer ") + kToken);
  EXPECT_EQ(seen.headers["anthropic-beta"], "oauth-2025-04-20");
  EXPECT_EQ(seen.headers["user-agent"], "ccgauge/9.8.7");
  EXPECT_EQ(seen.headers["accept"], "application/json");
  EXPECT_EQ(seen.headers["host"], "127.0.0.1:" + std::to_string(server.port()));

  struct stat st {};
  ASSERT_EQ(::stat(cache_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  expect_no_token(result);
}

TEST_F(OauthUsageTest, PollsWithinTheIntervalAreServedFromTheCache) {
  UsageServer server;
  ASSERT_TRUE(poll_usage(options(server.url())));
  server.reply_with(Reply{.body = R"({"five_hour": {"utilization": 99, "resets_at": null}})"});

  auto cached = poll_usage(options(server.url(), kNow + seconds(30)));
  ASSERT_TRUE(cached) << cached.error().message;
  EXPECT_TRUE(cached->from_cache);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(*cached->fetched_at, kNow);
  EXPECT_EQ(*cached->next_poll_after, kNow + seconds(60));
  ASSERT_EQ(cached->samples.size(), 3u);
  const LimitSample* five = find_window(cached->samples, "five_hour");
  EXPECT_EQ(five->instant, kNow);
  EXPECT_EQ(five->source, "oauth");
  EXPECT_DOUBLE_EQ(*five->used_percent, 23.0);
  EXPECT_EQ(*five->resets_at_epoch_s, epoch_s("2026-03-01T15:59:59Z"));

  auto fresh = poll_usage(options(server.url(), kNow + seconds(61)));
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_FALSE(fresh->from_cache);
  EXPECT_EQ(server.requests(), 2);
  ASSERT_EQ(fresh->samples.size(), 1u);
  EXPECT_DOUBLE_EQ(*fresh->samples[0].used_percent, 99.0);
}

TEST_F(OauthUsageTest, ConcurrentPollsSendOneRequest) {
  UsageServer server;
  server.reply_with(Reply{.delay = milliseconds(200)});
  std::vector<Result<UsageResult>> results(4, fail(Errc::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = poll_usage(options(server.url())); });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(server.requests(), 1);
  int fresh = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->samples.size(), 3u);
    fresh += r->from_cache ? 0 : 1;
  }
  EXPECT_EQ(fresh, 1);
}

TEST_F(OauthUsageTest, RateLimitWithRetryAfterSecondsIsPersistedAndHonoured) {
  UsageServer server;
  ASSERT_TRUE(poll_usage(options(server.url())));  // readings to fall back on
  server.reply_with(Reply{.status = 429,
                          .body = R"({"type":"error","error":{"type":"rate_limit_error"}})",
                          .headers = {{"Retry-After", "600"}}});

  Instant t1 = kNow + minutes(2);
  auto limited = poll_usage(options(server.url(), t1));
  ASSERT_TRUE(limited) << limited.error().message;
  EXPECT_EQ(server.requests(), 2);
  EXPECT_TRUE(limited->from_cache);
  EXPECT_EQ(*limited->fetched_at, kNow);
  EXPECT_EQ(limited->samples.size(), 3u);
  EXPECT_EQ(*limited->next_poll_after, t1 + seconds(600));
  EXPECT_NE(limited->note.find("429"), std::string::npos) << limited->note;
  expect_no_token(limited);

  // A later call (any process: the state is in the file) sends nothing during the back-off.
  auto waiting = poll_usage(options(server.url(), t1 + seconds(599)));
  ASSERT_TRUE(waiting) << waiting.error().message;
  EXPECT_TRUE(waiting->from_cache);
  EXPECT_EQ(waiting->samples.size(), 3u);
  EXPECT_NE(waiting->note.find("429"), std::string::npos);
  EXPECT_EQ(server.requests(), 2);

  server.reply_with(Reply{});
  auto after = poll_usage(options(server.url(), t1 + seconds(600)));
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(after->from_cache);
  EXPECT_EQ(server.requests(), 3);
}

TEST_F(OauthUsageTest, RateLimitWithRetryAfterHttpDate) {
  UsageServer server;
  server.reply_with(
      Reply{.status = 429, .headers = {{"Retry-After", "Sun, 01 Mar 2026 12:10:00 GMT"}}});
  auto limited = poll_usage(options(server.url()));
  ASSERT_TRUE(limited) << limited.error().message;
  EXPECT_TRUE(limited->from_cache);
  EXPECT_TRUE(limited->samples.empty());
  EXPECT_FALSE(limited->fetched_at);
  EXPECT_EQ(*limited->next_poll_after, kNow + minutes(10));
  EXPECT_NE(limited->note.find("no earlier readings"), std::string::npos) << limited->note;
  ASSERT_TRUE(poll_usage(options(server.url(), kNow + minutes(9))));
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(OauthUsageTest, RateLimitWithoutRetryAfterDoublesFromTwoMinutesToAnHour) {
  UsageServer server;
  write_credentials(kToken, to_epoch_ms(kNow + hours(24)));
  server.reply_with(Reply{.status = 429, .body = ""});
  Instant now = kNow;
  std::vector<seconds> delays;
  for (int i = 0; i < 7; ++i) {
    auto result = poll_usage(options(server.url(), now));
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_EQ(server.requests(), i + 1);
    delays.push_back(std::chrono::duration_cast<seconds>(*result->next_poll_after - now));
    // One second before the end of the back-off: no request.
    ASSERT_TRUE(poll_usage(options(server.url(), *result->next_poll_after - seconds(1))));
    ASSERT_EQ(server.requests(), i + 1);
    now = *result->next_poll_after;
  }
  EXPECT_EQ(delays, (std::vector<seconds>{seconds(120), seconds(240), seconds(480), seconds(960),
                                          seconds(1920), seconds(3600), seconds(3600)}));

  server.reply_with(Reply{});
  ASSERT_TRUE(poll_usage(options(server.url(), now)));
  server.reply_with(Reply{.status = 429, .body = ""});
  now += minutes(5);
  auto again = poll_usage(options(server.url(), now));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->next_poll_after, now + minutes(2));  // a success resets the back-off
  EXPECT_EQ(again->samples.size(), 3u);
}

TEST_F(OauthUsageTest, UnauthorizedIsAnErrorAndBacksOffUntilTheTokenChanges) {
  UsageServer server;
  server.reply_with(
      Reply{.status = 401, .body = R"({"type":"error","error":{"type":"authentication_error",
                                      "message":"OAuth token has been revoked."}})"});
  auto refused = poll_usage(options(server.url()));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kUnavailable);
  EXPECT_NE(refused.error().message.find("HTTP 401"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("revoked"), std::string::npos);
  expect_no_token(refused);

  auto again = poll_usage(options(server.url(), kNow + minutes(2)));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("HTTP 401"), std::string::npos);
  EXPECT_NE(again.error().message.find("not retrying before 2026-03-01T12:05:00"),
            std::string::npos)
      << again.error().message;
  EXPECT_EQ(server.requests(), 1);

  // The user ran claude: a refreshed token (new expiry) ends the back-off.
  write_credentials("sk-ant-oat01-refreshed", to_epoch_ms(kNow + hours(8)));
  server.reply_with(Reply{});
  auto refreshed = poll_usage(options(server.url(), kNow + minutes(2)));
  ASSERT_TRUE(refreshed) << refreshed.error().message;
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(server.last_request().headers["authorization"], "Bearer sk-ant-oat01-refreshed");
}

TEST_F(OauthUsageTest, ForbiddenNamesItsStatus) {
  UsageServer server;
  server.reply_with(Reply{.status = 403, .body = "<html>nope</html>"});
  auto refused = poll_usage(options(server.url()));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("HTTP 403 Forbidden"), std::string::npos)
      << refused.error().message;
}

TEST_F(OauthUsageTest, MalformedBodyIsAnErrorWithAShortBackOff) {
  UsageServer server;
  server.reply_with(Reply{.body = R"({"five_hour": {"utilization": 12,)"});
  auto result = poll_usage(options(server.url()));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kInvalidInput);
  EXPECT_NE(result.error().message.find("not JSON"), std::string::npos) << result.error().message;
  // The minimum interval (60 s) outlasts the first transient back-off (30 s).
  auto held = poll_usage(options(server.url(), kNow + seconds(59)));
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code, Errc::kInvalidInput);
  EXPECT_EQ(server.requests(), 1);
  server.reply_with(Reply{});
  ASSERT_TRUE(poll_usage(options(server.url(), kNow + seconds(60))));
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(OauthUsageTest, ServerThatNeverAnswersTimesOut) {
  UsageServer server;
  server.reply_with(Reply{.silent = true});
  UsageOptions o = options(server.url());
  o.timeout = milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto result = poll_usage(o);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kUnavailable);
  EXPECT_NE(result.error().message.find("did not answer within 300 ms"), std::string::npos)
      << result.error().message;
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, milliseconds(1500));
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(OauthUsageTest, OversizeBodyIsRefused) {
  UsageServer server;
  server.reply_with(Reply{.body = std::string(2 << 20, ' ') + "{}"});
  auto result = poll_usage(options(server.url()));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("larger than 1048576 bytes"), std::string::npos)
      << result.error().message;
}

TEST_F(OauthUsageTest, ConnectionRefusedIsAnIoError) {
  unsigned short port = 0;
  {
    UsageServer closed;
    port = closed.port();
  }
  auto result = poll_usage(options("http://127.0.0.1:" + std::to_string(port) + "/u"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kIo);
  EXPECT_NE(result.error().message.find("connecting"), std::string::npos) << result.error().message;
}

TEST_F(OauthUsageTest, ExpiredTokenSendsNoRequest) {
  UsageServer server;
  write_credentials(kToken, to_epoch_ms(kNow - minutes(1)));
  auto result = poll_usage(options(server.url()));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kUnavailable);
  EXPECT_NE(result.error().message.find("expired at 2026-03-01T11:59:00"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("run claude"), std::string::npos);
  EXPECT_EQ(server.connections(), 0);
  expect_no_token(result);
}

TEST_F(OauthUsageTest, TokenWithoutTheProfileScopeSendsNoRequest) {
  UsageServer server;
  write_credentials(kToken, to_epoch_ms(kNow + hours(1)), R"(["user:inference"])");
  auto result = poll_usage(options(server.url()));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("user:profile"), std::string::npos);
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(OauthUsageTest, MissingOrUnusableCredentials) {
  UsageServer server;
  std::filesystem::remove(credentials_path());
  auto missing = poll_usage(options(server.url()));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_NE(missing.error().message.find(credentials_path()), std::string::npos)
      << missing.error().message;

  write_file(credentials_path(), R"({"mcpOAuth": {}})");
  auto no_entry = poll_usage(options(server.url()));
  ASSERT_FALSE(no_entry);
  EXPECT_EQ(no_entry.error().code, Errc::kNotFound);
  EXPECT_NE(no_entry.error().message.find("claudeAiOauth"), std::string::npos);

  write_file(credentials_path(), R"({"claudeAiOauth": {"accessToken": "abc\r\nX-Evil: 1"}})");
  auto injected = poll_usage(options(server.url()));
  ASSERT_FALSE(injected);
  EXPECT_NE(injected.error().message.find("malformed"), std::string::npos);

  write_file(credentials_path(), std::string("{\"claudeAiOauth\": {\"accessToken\": \"") + kToken);
  auto torn = poll_usage(options(server.url()));
  ASSERT_FALSE(torn);
  EXPECT_EQ(torn.error().code, Errc::kInvalidInput);
  expect_no_token(torn);
  EXPECT_EQ(server.connections(), 0);
}

// A non-loopback IPv4 address of this machine, or empty.
std::string non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return {};
  }
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) {
      continue;
    }
    auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    asio::ip::address_v4 address(ntohl(in->sin_addr.s_addr));
    if (!address.is_loopback()) {
      found = address.to_string();
    }
  }
  ::freeifaddrs(list);
  return found;
}

TEST_F(OauthUsageTest, PlainHttpToANonLoopbackHostIsRefusedWithoutConnecting) {
  UsageServer server("0.0.0.0");
  std::vector<std::string> urls = {"http://example.com/api/oauth/usage",
                                   "http://10.1.2.3:" + std::to_string(server.port()) + "/u"};
  if (std::string ip = non_loopback_ipv4(); !ip.empty()) {
    urls.push_back(server.url(ip));
  }
  for (const std::string& url : urls) {
    auto result = poll_usage(options(url));
    ASSERT_FALSE(result) << url;
    EXPECT_EQ(result.error().code, Errc::kInvalidInput);
    EXPECT_NE(result.error().message.find("use https"), std::string::npos)
        << result.error().message;
  }
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(server.connections(), 0);
  // The same server over loopback is accepted, so the refusals above were about the host.
  ASSERT_TRUE(poll_usage(options(server.url("127.0.0.1"))));
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(OauthUsageTest, BadUrlsAndOptions) {
  for (const char* url : {"ftp://example.com/u", "https://", "https://user:pw@example.com/u",
                          "https://example.com:99999/u", "example.com/u"}) {
    auto result = poll_usage(options(url));
    ASSERT_FALSE(result) << url;
    EXPECT_EQ(result.error().code, Errc::kInvalidInput) << url;
  }
  UsageOptions no_cache = options("https://example.com/u");
  no_cache.cache_file.clear();
  EXPECT_FALSE(poll_usage(no_cache));
}

TEST_F(OauthUsageTest, UnreadableCacheIsIgnoredWithANote) {
  UsageServer server;
  write_file(cache_path(), "{\"version\": 1, \"samples\": [");
  auto result = poll_usage(options(server.url()));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->from_cache);
  EXPECT_NE(result->note.find("ignored the cache"), std::string::npos) << result->note;
  // The file was replaced by a good one.
  auto cached = poll_usage(options(server.url(), kNow + seconds(1)));
  ASSERT_TRUE(cached);
  EXPECT_TRUE(cached->from_cache);
  EXPECT_EQ(cached->note, "");
}

TEST_F(OauthUsageTest, HttpsVerifiesTheCertificateAndTheHostName) {
  TestCert cert = make_certificate("IP:127.0.0.1,DNS:localhost");
  write_file(dir_ / "ca.pem", cert.cert_pem);
  UsageServer server("127.0.0.1", &cert);
  std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/api/oauth/usage";

  // Not in the system store: the handshake fails and the token is never sent.
  auto untrusted = poll_usage(options(url));
  ASSERT_FALSE(untrusted);
  EXPECT_NE(untrusted.error().message.find("failed verification"), std::string::npos)
      << untrusted.error().message;
  EXPECT_EQ(server.requests(), 0);
  EXPECT_EQ(server.connections(), 1);

  UsageOptions trusted = options(url, kNow + minutes(1));  // past the failure's back-off
  trusted.ca_file = dir_ / "ca.pem";
  auto ok = poll_usage(trusted);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->samples.size(), 3u);
  EXPECT_EQ(server.last_request().headers["authorization"], std::string("Bearer ") + kToken);
}

TEST_F(OauthUsageTest, HttpsRefusesACertificateForAnotherHost) {
  TestCert cert = make_certificate("DNS:other.example");
  write_file(dir_ / "ca.pem", cert.cert_pem);
  UsageServer server("127.0.0.1", &cert);
  UsageOptions o = options("https://localhost:" + std::to_string(server.port()) + "/u");
  o.ca_file = dir_ / "ca.pem";
  auto result = poll_usage(o);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("failed verification"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("mismatch"), std::string::npos) << result.error().message;
  EXPECT_EQ(server.requests(), 0);
}

}  // namespace
}  // namespace ccgauge::ingest::oauth

namespace ccgauge::ingest::oauth {
namespace {

// `ccgauge limits --oauth-usage` end to end: the binary polls the (local) endpoint, records the
// readings, and shows them as official; without the flag it never connects.
TEST_F(OauthUsageTest, LimitsCommandPollsOnlyWhenAsked) {
  UsageServer server;
  std::filesystem::create_directories(dir_ / "claude/projects");
  std::vector<std::pair<std::string, std::string>> env = {
      {"CLAUDE_CONFIG_DIR", dir_ / "claude"},
      {"HOME", dir_.path()},
      {"XDG_STATE_HOME", dir_ / "state"},
      {"CCGAUGE_CONFIG_DIR", dir_ / "config"},
      {"CCGAUGE_OAUTH_USAGE_URL", server.url()},
      {"CCGAUGE_NOW", "2026-03-01T12:00:00Z"},
      {"NO_COLOR", "1"}};
  std::vector<std::string> args = {"limits", "--json", "--ledger", dir_ / "ledger.db"};
  ccgauge::testing::RunResult plain = ccgauge::testing::run_binary(args, env, dir_.path());
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(server.connections(), 0);
  EXPECT_NE(plain.out.find(R"("usedProvenance": "estimate")"), std::string::npos);

  args.push_back("--oauth-usage");
  ccgauge::testing::RunResult polled = ccgauge::testing::run_binary(args, env, dir_.path());
  ASSERT_EQ(polled.exit_code, 0) << polled.err;
  EXPECT_EQ(server.requests(), 1);
  EXPECT_NE(polled.out.find(R"("source": "oauth")"), std::string::npos) << polled.out;
  EXPECT_NE(polled.out.find(R"("usedPercent": 23)"), std::string::npos) << polled.out;
  EXPECT_NE(polled.out.find(R"("usedPercent": 41.5)"), std::string::npos) << polled.out;
  EXPECT_EQ(polled.out.find(kToken), std::string::npos);
  EXPECT_EQ(polled.err.find(kToken), std::string::npos);

  // Within the minute: answered from the cache, no second request.
  ccgauge::testing::RunResult again = ccgauge::testing::run_binary(args, env, dir_.path());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(server.requests(), 1);
}

}  // namespace
}  // namespace ccgauge::ingest::oauth

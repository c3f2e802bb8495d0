// The HTTP side of the server over real sockets on 127.0.0.1.

#include "server/http_server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/json_writer.h"
#include "server/gzip.h"
#include "server/http_util.h"
#include "tests/support/http_client.h"

namespace ccgauge::server {
namespace {

using ccgauge::testing::HttpClient;
using ccgauge::testing::HttpResult;
using ccgauge::testing::WsClient;
using namespace std::chrono_literals;

Response text_response(std::string body) {
  Response response;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

// A body that gzips well and is larger than kGzipMinBytes.
std::string big_json(int rows) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_array();
  for (int i = 0; i < rows; ++i) {
    w.begin_object().key("day").value("2026-01-" + std::to_string(i % 28 + 1));
    w.key("tokens").value(static_cast<std::int64_t>(i) * 1000).end_object();
  }
  w.end_array();
  return w.take();
}

constexpr std::chrono::seconds kShutdownGraceForTest{1};  // server_internal.h: kShutdownGrace

template <class Pred>
bool wait_for(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    router_.add("GET", "/api/v1/health", [](const Request&) { return text_response("ok"); });
    router_.add("GET", "/hello", [](const Request&) { return text_response("hello"); });
    router_.add("GET", "/api/v1/sessions/{id}", [](const Request& r) {
      return text_response("session " + r.path_params.at("id"));
    });
    router_.add("GET", "/api/v1/sessions/active",
                [](const Request&) { return text_response("active sessions"); });
    router_.add("GET", "/echo", [](const Request& r) {
      JsonWriter w(JsonWriter::Style::kCompact);
      w.begin_object();
      for (const auto& [k, v] : r.query) w.key(k).value(v);
      w.key("_remote").value(r.remote_address).end_object();
      Response response;
      response.body = w.take();
      return response;
    });
    router_.add("POST", "/echo", [](const Request& r) {
      return text_response(r.header("content-type") + "|" + r.body);
    });
    router_.add("GET", "/boom",
                [](const Request&) -> Response { throw std::runtime_error("handler exploded"); });
    router_.add("GET", "/big", [this](const Request&) {
      Response response;
      response.body = big_body_;
      response.etag = true;
      return response;
    });
    router_.add("GET", "/small", [](const Request&) {
      Response response;
      response.body = R"({"small":true})";
      response.etag = true;
      return response;
    });
    router_.add("GET", "/thread", [this](const Request&) {
      handler_thread_ = std::this_thread::get_id();
      return text_response("t");
    });
  }

  ServerOptions options() {
    ServerOptions o;
    o.port = 0;
    o.heartbeat = 0s;
    o.log = [this](std::string_view m) {
      std::lock_guard lock(log_mutex_);
      log_.emplace_back(m);
    };
    return o;
  }

  void start(ServerOptions o) {
    auto started = Server::start(std::move(o), router_, hub_);
    ASSERT_TRUE(started) << started.error().message;
    server_ = std::move(*started);
  }
  void start() { start(options()); }

  HttpClient client() { return HttpClient(server_->port()); }

  Router router_;
  LiveHub hub_;
  std::unique_ptr<Server> server_;
  std::string big_body_ = big_json(500);
  std::thread::id handler_thread_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(HttpServerTest, RoutesPathParamsAndPrecedence) {
  start();
  auto c = client();
  HttpResult r = c.get("/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.header("content-length"), "5");
  EXPECT_EQ(c.get("/api/v1/sessions/abc-123").body, "session abc-123");
  EXPECT_EQ(c.get("/api/v1/sessions/a%2Fb%20c").body, "session a/b c");
  EXPECT_EQ(c.get("/api/v1/sessions/active").body, "active sessions");
}

TEST_F(HttpServerTest, QueryStringIsDecoded) {
  start();
  auto c = client();
  HttpResult r = c.get("/echo?project=%2Fhome%2Fu%2Fmy%20app&q=a+b&e=%C3%A9&flag");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"e":"é","flag":"","project":"/home/u/my app","q":"a b","_remote":"127.0.0.1"})");
  HttpResult bad = c.get("/echo?x=%G0");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("malformed percent-encoding"), std::string::npos);
}

TEST_F(HttpServerTest, NotFoundMethodNotAllowedAndJsonErrors) {
  start();
  auto c = client();
  HttpResult missing = c.get("/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("content-type"), "application/json");
  EXPECT_EQ(missing.body, R"({"error":{"status":404,"message":"no route for GET /nope"}})");

  HttpResult wrong = c.request("DELETE", "/echo");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("allow"), "GET, HEAD, POST");
  EXPECT_NE(wrong.body.find(R"("status":405)"), std::string::npos);
}

TEST_F(HttpServerTest, PostBodyReachesTheHandler) {
  start();
  auto c = client();
  HttpResult r = c.request("POST", "/echo", R"({"a":1})", {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"(application/json|{"a":1})");
}

TEST_F(HttpServerTest, HeadSendsHeadersWithoutBody) {
  start();
  auto c = client();
  HttpResult head = c.request("HEAD", "/big", {}, {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("content-encoding"), "gzip");
  EXPECT_NE(head.header("content-length"), "0");
  EXPECT_EQ(head.header("etag"), gzip_etag(strong_etag(big_body_)));
  // The connection is still in step: the next response is the right one.
  EXPECT_EQ(c.get("/hello").body, "hello");
}

TEST_F(HttpServerTest, ExpectContinueGetsA100BeforeTheBody) {
  start();
  auto c = client();
  c.send_raw(
      "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
      "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 100);
  c.send_raw("hello");
  HttpResult r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "text/plain|hello");
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndTheServerCarriesOn) {
  start();
  auto c = client();
  HttpResult r = c.get("/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":{"status":500,"message":"internal error: handler exploded"}})");
  // Same connection, next request.
  EXPECT_EQ(c.get("/hello").body, "hello");
  EXPECT_EQ(server_->stats().handler_errors, 1u);
  std::lock_guard lock(log_mutex_);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0], "GET /boom: handler threw: handler exploded");
}

TEST_F(HttpServerTest, BodyLimitAnswers413) {
  ServerOptions o = options();
  o.max_body_bytes = 1024;
  start(o);
  auto c = client();
  EXPECT_EQ(c.request("POST", "/echo", std::string(1024, 'x')).status, 200);
  HttpClient c2 = client();
  HttpResult r = c2.request("POST", "/echo", std::string(200000, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body,
            R"({"error":{"status":413,"message":"request body exceeds the limit of 1024 bytes"}})");
  EXPECT_FALSE(r.keep_alive);
  // The server is fine afterwards.
  EXPECT_EQ(client().get("/hello").status, 200);
}

TEST_F(HttpServerTest, HeaderLimitAnswers431AndGarbageAnswers400) {
  ServerOptions o = options();
  o.max_header_bytes = 2048;
  start(o);
  auto c = client();
  HttpResult r = c.get("/hello", {{"X-Big", std::string(4096, 'h')}});
  EXPECT_EQ(r.status, 431);
  EXPECT_NE(r.body.find("header exceeds the limit of 2048 bytes"), std::string::npos);

  auto c2 = client();
  c2.send_raw("NOT AN HTTP REQUEST\r\n\r\n");
  HttpResult bad = c2.read_response();
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("malformed HTTP request"), std::string::npos);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  auto c = client();
  for (int i = 0; i < 50; ++i) {
    HttpResult r = c.get("/api/v1/sessions/" + std::to_string(i));
    ASSERT_EQ(r.body, "session " + std::to_string(i));
    ASSERT_TRUE(r.keep_alive);
  }
  EXPECT_EQ(server_->stats().connections, 1u);
  EXPECT_EQ(server_->stats().requests, 50u);
  // "Connection: close" is honoured.
  HttpResult last = c.get("/hello", {{"Connection", "close"}});
  EXPECT_FALSE(last.keep_alive);
  EXPECT_TRUE(c.closed_by_peer(2s));
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  auto c = client();
  std::string three;
  for (const char* path : {"/api/v1/sessions/1", "/nope", "/api/v1/sessions/3"}) {
    three += std::string("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  }
  c.send_raw(three);
  EXPECT_EQ(c.read_response().body, "session 1");
  EXPECT_EQ(c.read_response().status, 404);
  EXPECT_EQ(c.read_response().body, "session 3");
}

TEST_F(HttpServerTest, IdleConnectionIsClosed) {
  ServerOptions o = options();
  o.idle_timeout = 1s;
  start(o);
  auto c = client();
  EXPECT_EQ(c.get("/hello").status, 200);
  EXPECT_TRUE(c.closed_by_peer(4s));
}

TEST_F(HttpServerTest, GzipWhenAcceptedAndLargeEnough) {
  start();
  auto c = client();
  HttpResult zipped = c.get("/big", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_EQ(zipped.status, 200);
  EXPECT_EQ(zipped.header("content-encoding"), "gzip");
  EXPECT_EQ(zipped.header("vary"), "Accept-Encoding");
  EXPECT_LT(zipped.body.size(), big_body_.size() / 3);
  auto inflated = gzip_decompress(zipped.body, 1 << 24);
  ASSERT_TRUE(inflated) << inflated.error().message;
  EXPECT_EQ(*inflated, big_body_);

  HttpResult plain = c.get("/big");
  EXPECT_FALSE(plain.has_header("content-encoding"));
  EXPECT_EQ(plain.header("vary"), "Accept-Encoding");
  EXPECT_EQ(plain.body, big_body_);

  HttpResult refused = c.get("/big", {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_FALSE(refused.has_header("content-encoding"));

  HttpResult small = c.get("/small", {{"Accept-Encoding", "gzip"}});
  EXPECT_FALSE(small.has_header("content-encoding"));
  EXPECT_FALSE(small.has_header("vary"));
  EXPECT_EQ(small.body, R"({"small":true})");
}

TEST_F(HttpServerTest, EtagAndIfNoneMatch) {
  start();
  auto c = client();
  HttpResult first = c.get("/small");
  std::string tag = first.header("etag");
  ASSERT_EQ(tag.size(), 34u);
  EXPECT_EQ(tag, strong_etag(first.body));

  HttpResult again = c.get("/small", {{"If-None-Match", tag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(again.header("etag"), tag);
  EXPECT_EQ(c.get("/small", {{"If-None-Match", "W/" + tag}}).status, 304);
  EXPECT_EQ(c.get("/small", {{"If-None-Match", "\"stale\""}}).status, 200);

  // The body changes: the old tag no longer matches.
  HttpResult big = c.get("/big", {{"Accept-Encoding", "gzip"}});
  std::string zipped_tag = big.header("etag");
  EXPECT_EQ(zipped_tag, gzip_etag(strong_etag(big_body_)));
  EXPECT_EQ(c.get("/big", {{"Accept-Encoding", "gzip"}, {"If-None-Match", zipped_tag}}).status,
            304);
  big_body_ = big_json(501);
  HttpResult changed = c.get("/big", {{"Accept-Encoding", "gzip"}, {"If-None-Match", zipped_tag}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(changed.header("etag"), zipped_tag);
  // The identity tag does not validate the gzip representation.
  EXPECT_EQ(c.get("/big", {{"Accept-Encoding", "gzip"}, {"If-None-Match", strong_etag(big_body_)}})
                .status,
            200);
  // Routes that do not ask for an ETag get none.
  EXPECT_FALSE(c.get("/hello").has_header("etag"));
}

TEST_F(HttpServerTest, TokenGuardsEveryRouteButHealth) {
  ServerOptions o = options();
  o.token = "s3cret-token";
  start(o);
  auto c = client();
  HttpResult none = c.get("/hello");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("www-authenticate"), "Bearer");
  EXPECT_EQ(none.body, R"({"error":{"status":401,"message":"missing or wrong bearer token"}})");
  EXPECT_EQ(c.get("/hello", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(c.get("/hello", {{"Authorization", "Basic s3cret-token"}}).status, 401);
  EXPECT_EQ(c.get("/hello?token=s3cret-token").status, 401);  // Only WebSockets take ?token=.
  EXPECT_EQ(c.get("/nope").status, 401);  // Unknown routes do not leak their absence.
  EXPECT_EQ(c.get("/hello", {{"Authorization", "Bearer s3cret-token"}}).body, "hello");
  EXPECT_EQ(c.get("/api/v1/health").body, "ok");
}

TEST_F(HttpServerTest, TokenGuardsTheWebSocket) {
  ServerOptions o = options();
  o.token = "s3cret-token";
  start(o);
  WsClient::Options plain;
  EXPECT_EQ(WsClient::try_upgrade(server_->port(), plain), 401);
  WsClient::Options wrong;
  wrong.target = "/api/v1/live?token=nope";
  EXPECT_EQ(WsClient::try_upgrade(server_->port(), wrong), 401);

  WsClient::Options header;
  header.headers = {{"Authorization", "Bearer s3cret-token"}};
  WsClient by_header(server_->port(), header);
  EXPECT_EQ(by_header.read(), R"({"type":"snapshot"})");

  WsClient::Options query;
  query.target = "/api/v1/live?token=s3cret-token";
  query.headers = {{"Origin", "https://dashboard.example"}};
  WsClient by_query(server_->port(), query);
  EXPECT_EQ(by_query.read(), R"({"type":"snapshot"})");
}

TEST_F(HttpServerTest, WithoutTokenOnlyLoopbackHostsAndOrigins) {
  start();
  auto c = client();
  HttpResult rebound = c.get("/hello", {{"Host", "evil.example:8321"}});
  EXPECT_EQ(rebound.status, 403);
  EXPECT_EQ(c.get("/hello", {{"Host", "localhost:8321"}}).status, 200);

  WsClient::Options cross_site;
  cross_site.headers = {{"Origin", "https://evil.example"}};
  EXPECT_EQ(WsClient::try_upgrade(server_->port(), cross_site), 403);
  WsClient::Options local_dev;
  local_dev.headers = {{"Origin", "http://localhost:5173"}};
  EXPECT_EQ(WsClient::try_upgrade(server_->port(), local_dev), 101);
  WsClient::Options elsewhere;
  elsewhere.target = "/api/v1/other";
  EXPECT_EQ(WsClient::try_upgrade(server_->port(), elsewhere), 404);
}

TEST_F(HttpServerTest, NonLoopbackWithoutTokenIsRefused) {
  for (const char* address : {"0.0.0.0", "::", "192.0.2.1"}) {
    ServerOptions o = options();
    o.address = address;
    auto started = Server::start(o, router_, hub_);
    ASSERT_FALSE(started) << address;
    EXPECT_EQ(started.error().code, Errc::kInvalidInput);
    EXPECT_NE(started.error().message.find("without a token"), std::string::npos)
        << started.error().message;
  }
  ServerOptions named = options();
  named.address = "not-an-address";
  auto bad = Server::start(named, router_, hub_);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not an IP address"), std::string::npos);

  ServerOptions with_token = options();
  with_token.address = "0.0.0.0";
  with_token.token = "t";
  auto open = Server::start(with_token, router_, hub_);
  ASSERT_TRUE(open) << open.error().message;
  HttpClient c((*open)->port());
  EXPECT_EQ(c.get("/api/v1/health").body, "ok");
}

TEST_F(HttpServerTest, LoopbackIsTheDefaultAndBusyPortIsAnError) {
  EXPECT_EQ(ServerOptions{}.address, "127.0.0.1");
  EXPECT_EQ(ServerOptions{}.port, 8321);
  ServerOptions o = options();
  o.address = "localhost";
  start(o);
  EXPECT_NE(server_->port(), 0);
  EXPECT_EQ(client().get("/hello").status, 200);

  ServerOptions same = options();
  same.port = server_->port();
  auto second = Server::start(same, router_, hub_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::kIo);
  EXPECT_NE(second.error().message.find("cannot listen on"), std::string::npos);
}

TEST_F(HttpServerTest, HandlersAndPostRunOnTheIoThread) {
  start();
  EXPECT_EQ(client().get("/thread").status, 200);
  std::promise<std::thread::id> posted;
  server_->post([&] { posted.set_value(std::this_thread::get_id()); });
  auto id = posted.get_future().get();
  EXPECT_EQ(id, handler_thread_);
  EXPECT_NE(id, std::this_thread::get_id());
}

TEST_F(HttpServerTest, StopIsIdempotentClosesConnectionsAndWebSockets) {
  start();
  auto idle = client();
  EXPECT_EQ(idle.get("/hello").status, 200);
  WsClient ws(server_->port());
  EXPECT_EQ(ws.read(), R"({"type":"snapshot"})");
  ASSERT_TRUE(wait_for([&] { return server_->stats().ws_clients == 1; }));

  // A browser answers the close handshake at once; so does this reader.
  std::optional<std::string> last = "none";
  std::thread reader([&] { last = ws.read(); });
  auto begin = std::chrono::steady_clock::now();
  std::thread other([&] { server_->stop(); });
  server_->stop();
  other.join();
  server_->stop();
  auto took = std::chrono::steady_clock::now() - begin;
  reader.join();
  // Every connection ended by itself, so stop() did not wait out the grace period.
  EXPECT_LT(took, std::chrono::duration_cast<std::chrono::nanoseconds>(kShutdownGraceForTest));

  EXPECT_EQ(last, std::nullopt);
  EXPECT_EQ(ws.close_code(), 1001);
  EXPECT_EQ(ws.close_reason(), "server shutting down");
  EXPECT_TRUE(idle.closed_by_peer(1s));
  EXPECT_EQ(server_->stats().connections, 0u);
  EXPECT_THROW(client(), std::runtime_error);  // Nothing listens any more.
  bool ran = false;
  server_->post([&] { ran = true; });  // Dropped, not run, after stop.
  EXPECT_FALSE(ran);
}

// A client that ignores the close handshake is cut off after the grace period.
TEST_F(HttpServerTest, StopForcesClientsThatDoNotAnswer) {
  start();
  WsClient ws(server_->port());
  EXPECT_EQ(ws.read(), R"({"type":"snapshot"})");
  ASSERT_TRUE(wait_for([&] { return server_->stats().ws_clients == 1; }));
  auto begin = std::chrono::steady_clock::now();
  server_->stop();
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 3s);
  // The close frame was sent before the socket was closed.
  EXPECT_EQ(ws.read(), std::nullopt);
  EXPECT_EQ(ws.close_code(), 1001);
}

TEST_F(HttpServerTest, StopFromAHandlerDoesNotDeadlock) {
  router_.add("POST", "/shutdown", [this](const Request&) {
    server_->stop();
    return text_response("bye");
  });
  start();
  EXPECT_EQ(client().request("POST", "/shutdown").status, 200);
  server_.reset();  // Joins from this thread.
}

// Measures requests per second for a trivial route over keep-alive connections.
TEST_F(HttpServerTest, MeasureKeepAliveThroughput) {
  start();
  for (int connections : {1, 4}) {
    constexpr auto kDuration = 1500ms;
    std::atomic<std::uint64_t> total{0};
    std::vector<std::thread> threads;
    auto begin = std::chrono::steady_clock::now();
    for (int t = 0; t < connections; ++t) {
      threads.emplace_back([&] {
        HttpClient c(server_->port());
        std::uint64_t n = 0;
        while (std::chrono::steady_clock::now() - begin < kDuration) {
          if (c.get("/hello").status != 200) break;
          ++n;
        }
        total += n;
      });
    }
    for (auto& t : threads) t.join();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    double rate = static_cast<double>(total.load()) / seconds;
    std::printf("[ measure  ] keep-alive GET /hello, %d connection(s): %.0f requests/s\n",
                connections, rate);
    RecordProperty("requests_per_second_" + std::to_string(connections), std::to_string(rate));
    EXPECT_GT(total.load(), 100u);
  }
}

}  // namespace
}  // namespace ccgauge::server

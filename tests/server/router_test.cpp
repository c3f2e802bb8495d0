#include "server/router.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "server/gzip.h"
#include "server/http_util.h"

namespace ccgauge::server {
namespace {

Handler answer(std::string text) {
  return [text](const Request&) {
    Response response;
    response.content_type = "text/plain";
    response.body = text;
    return response;
  };
}

Response call(const Router& router, std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.target = request.path;
  return router.dispatch(request);
}

TEST(RouterTest, LiteralParamAndRestPatterns) {
  Router router;
  router.add("GET", "/api/v1/sessions", answer("list"));
  router.add("GET", "/api/v1/sessions/{id}", answer("one"));
  router.add("GET", "/assets/{file...}", answer("asset"));
  router.add("GET", "/", answer("root"));

  auto m = router.match("GET", "/api/v1/sessions/abc");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.path_params.at("id"), "abc");
  EXPECT_EQ(call(router, "GET", "/api/v1/sessions").body, "list");
  EXPECT_EQ(call(router, "GET", "/").body, "root");

  m = router.match("GET", "/assets/js/app.js");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.path_params.at("file"), "js/app.js");
  m = router.match("GET", "/assets/");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.path_params.at("file"), "");

  // {id} needs exactly one non-empty segment.
  EXPECT_EQ(router.match("GET", "/api/v1/sessions/").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.match("GET", "/api/v1/sessions/a/b").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.match("GET", "/assets").kind, Router::Match::Kind::kNotFound);
}

TEST(RouterTest, PathParamsAreDecodedPerSegment) {
  Router router;
  router.add("GET", "/projects/{project}/days/{day}", answer("x"));
  auto m = router.match("GET", "/projects/%2Fhome%2Fu%2Fmy%20app/days/2026-01-02");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.path_params.at("project"), "/home/u/my app");
  EXPECT_EQ(m.path_params.at("day"), "2026-01-02");
  // '+' is literal in a path.
  m = router.match("GET", "/projects/a+b/days/1");
  EXPECT_EQ(m.path_params.at("project"), "a+b");

  Response bad = call(router, "GET", "/projects/%zz/days/1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("malformed percent-encoding"), std::string::npos);
}

TEST(RouterTest, MostSpecificRouteWinsWhateverTheOrder) {
  Router router;
  router.add("GET", "/s/{id}", answer("param"));
  router.add("GET", "/s/{rest...}", answer("rest"));
  router.add("GET", "/s/active", answer("literal"));
  router.add("GET", "/{a}/{b}", answer("two params"));
  EXPECT_EQ(call(router, "GET", "/s/active").body, "literal");
  EXPECT_EQ(call(router, "GET", "/s/other").body, "param");
  EXPECT_EQ(call(router, "GET", "/s/x/y").body, "rest");
  EXPECT_EQ(call(router, "GET", "/t/x").body, "two params");
}

TEST(RouterTest, NotFoundAndMethodNotAllowed) {
  Router router;
  router.add("GET", "/limits", answer("get"));
  router.add("PUT", "/limits", answer("put"));
  router.add("DELETE", "/limits/{id}", answer("delete"));

  Response missing = call(router, "GET", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/json");
  EXPECT_EQ(missing.body, R"({"error":{"status":404,"message":"no route for GET /nope"}})");

  Response wrong = call(router, "POST", "/limits");
  EXPECT_EQ(wrong.status, 405);
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0].first, "Allow");
  EXPECT_EQ(wrong.headers[0].second, "GET, HEAD, PUT");
  EXPECT_EQ(call(router, "PUT", "/limits").body, "put");
  // Method names are case-sensitive.
  EXPECT_EQ(call(router, "get", "/limits").status, 405);
}

TEST(RouterTest, HeadFallsBackToGet) {
  Router router;
  router.add("GET", "/a", answer("get a"));
  router.add("GET", "/b", answer("get b"));
  router.add("HEAD", "/b", answer("head b"));
  router.add("POST", "/c", answer("post c"));
  EXPECT_EQ(call(router, "HEAD", "/a").body, "get a");
  EXPECT_EQ(call(router, "HEAD", "/b").body, "head b");
  EXPECT_EQ(call(router, "HEAD", "/c").status, 405);
}

TEST(RouterTest, HandlerExceptionBecomes500) {
  Router router;
  router.add("GET", "/boom",
             [](const Request&) -> Response { throw std::runtime_error("kaboom"); });
  std::string logged;
  Request request;
  request.method = "GET";
  request.path = "/boom";
  Response response = router.dispatch(request, [&](std::string_view m) { logged = m; });
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, R"({"error":{"status":500,"message":"internal error: kaboom"}})");
  EXPECT_EQ(logged, "GET /boom: handler threw: kaboom");
}

TEST(RouterDeathTest, MalformedPatternsAbort) {
  auto add = [](std::string_view pattern) {
    Router router;
    router.add("GET", pattern, answer("x"));
  };
  EXPECT_DEATH(add("no-slash"), "must start with");
  EXPECT_DEATH(add("/a/{id"), "whole segment");
  EXPECT_DEATH(add("/a/x{id}"), "whole segment");
  EXPECT_DEATH(add("/{rest...}/b"), "last segment");
  EXPECT_DEATH(add("/{a}/{a}"), "used twice");
  EXPECT_DEATH(
      {
        Router router;
        router.add("GET", "/x", answer("1"));
        router.add("GET", "/x", answer("2"));
      },
      "added twice");
}

TEST(RequestTest, HeaderLookupIgnoresCase) {
  Request request;
  request.headers = {{"content-type", "text/plain"}, {"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(request.header("Content-Type"), "text/plain");
  EXPECT_EQ(request.header("X-A"), "1");
  EXPECT_EQ(request.header("missing"), "");
}

TEST(JsonErrorTest, EscapesTheMessage) {
  Response r = json_error(400, "bad \"x\"\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":{"status":400,"message":"bad \"x\"\n"}})");
}

// ---- http_util ------------------------------------------------------------------------------

TEST(HttpUtilTest, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b%2Fc%2f"), "a b/c/");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", PlusRule::kPlusIsSpace), "a b");
  EXPECT_EQ(percent_decode("%C3%A9"), "\xC3\xA9");
  EXPECT_EQ(percent_decode("100%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
  EXPECT_EQ(percent_decode(""), "");
}

TEST(HttpUtilTest, ParseQuery) {
  auto q = parse_query("since=2026-01-01&project=%2Fhome%2Fu%2Fapp&name=a+b&flag&&x=1&x=2");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->at("since"), "2026-01-01");
  EXPECT_EQ(q->at("project"), "/home/u/app");
  EXPECT_EQ(q->at("name"), "a b");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_EQ(q->at("x"), "2");
  EXPECT_EQ(q->size(), 5u);
  EXPECT_TRUE(parse_query("")->empty());
  auto bad = parse_query("a=%G1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidInput);
}

TEST(HttpUtilTest, EtagsAndIfNoneMatch) {
  std::string tag = strong_etag("hello");
  EXPECT_EQ(tag.size(), 34u);
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(tag, strong_etag("hello"));
  EXPECT_NE(tag, strong_etag("hello!"));
  std::string gz = gzip_etag(tag);
  EXPECT_EQ(gz, tag.substr(0, 33) + "-gzip\"");

  EXPECT_TRUE(if_none_match_matches(tag, tag));
  EXPECT_TRUE(if_none_match_matches("\"zzz\", " + tag, tag));
  EXPECT_TRUE(if_none_match_matches("W/" + tag, tag));
  EXPECT_TRUE(if_none_match_matches("*", tag));
  EXPECT_FALSE(if_none_match_matches(gz, tag));
  EXPECT_FALSE(if_none_match_matches("", tag));
  EXPECT_FALSE(if_none_match_matches("\"other\"", tag));
}

TEST(HttpUtilTest, AcceptsGzip) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("gzipped"));
}

TEST(HttpUtilTest, BearerTokens) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer   abc  "), "abc");
  EXPECT_EQ(bearer_token("Basic abc"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
  EXPECT_EQ(bearer_token("Bearerabc"), std::nullopt);
  EXPECT_TRUE(token_matches("s3cret", "s3cret"));
  EXPECT_FALSE(token_matches("s3cret ", "s3cret"));
  EXPECT_FALSE(token_matches("s3cre", "s3cret"));
  EXPECT_FALSE(token_matches("", ""));
}

TEST(HttpUtilTest, LoopbackHostsAndOrigins) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("LOCALHOST:8321"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1:8321"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("[::1]:8321"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.evil.example"));
  EXPECT_FALSE(is_loopback_host("localhost.evil.example"));
  EXPECT_FALSE(is_loopback_host("evil.example:8321"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("1270.0.0.1"));

  EXPECT_TRUE(origin_allowed("http://localhost:5173", "127.0.0.1:8321"));
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8321", "127.0.0.1:8321"));
  EXPECT_TRUE(origin_allowed("https://gauge.lan:8321", "gauge.lan:8321"));
  EXPECT_FALSE(origin_allowed("https://evil.example", "127.0.0.1:8321"));
  EXPECT_FALSE(origin_allowed("null", "127.0.0.1:8321"));
}

// ---- gzip -----------------------------------------------------------------------------------

TEST(GzipTest, RoundTrip) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"n\":" + std::to_string(i) + ",\"model\":\"opus\"},";
  auto packed = gzip_compress(text);
  ASSERT_TRUE(packed);
  EXPECT_LT(packed->size(), text.size() / 4);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*packed)[1]), 0x8b);
  auto unpacked = gzip_decompress(*packed, text.size());
  ASSERT_TRUE(unpacked) << unpacked.error().message;
  EXPECT_EQ(*unpacked, text);

  auto empty = gzip_compress("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(gzip_decompress(*empty, 10).value(), "");
}

TEST(GzipTest, RefusesCorruptTruncatedAndOversized) {
  std::string text(100000, 'a');
  auto packed = gzip_compress(text, 9).value();

  auto too_big = gzip_decompress(packed, text.size() - 1);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, Errc::kInvalidInput);
  EXPECT_NE(too_big.error().message.find("limit"), std::string::npos);

  auto truncated = gzip_decompress(std::string_view(packed).substr(0, packed.size() / 2), 1 << 20);
  EXPECT_FALSE(truncated);
  EXPECT_FALSE(gzip_decompress("not gzip at all", 1 << 20));
  EXPECT_FALSE(gzip_decompress("", 1 << 20));
}

}  // namespace
}  // namespace ccgauge::server

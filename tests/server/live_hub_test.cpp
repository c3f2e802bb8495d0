// The hub on its own: filters, subscribe parsing, queues and drops, without sockets.

#include "server/live_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ccgauge::server {
namespace {

LiveEvent request_event(std::string project, std::string model, std::int64_t tokens,
                        std::string session = "s1") {
  LiveEvent e;
  e.type = "request";
  e.project = std::move(project);
  e.session = std::move(session);
  e.model = std::move(model);
  e.tokens = tokens;
  e.json = R"({"type":"request","project":")" + e.project + R"(","tokens":)" +
           std::to_string(tokens) + "}";
  return e;
}

LiveEvent typed_event(std::string type) {
  LiveEvent e;
  e.type = type;
  e.json = R"({"type":")" + type + R"("})";
  return e;
}

std::string text(const LiveHub::Message& m) { return m ? *m : std::string("<null>"); }

TEST(LiveFilterTest, EmptyFilterMatchesEverything) {
  LiveFilter all;
  EXPECT_TRUE(all.matches(request_event("/p", "opus", 0)));
  EXPECT_TRUE(all.matches(typed_event("limit")));
}

TEST(LiveFilterTest, RulesPerKey) {
  LiveFilter f;
  f.types = {"request", "limit"};
  f.projects = {"/home/u/app"};
  f.models = {"claude-opus-4"};
  f.min_tokens = 1000;
  EXPECT_TRUE(f.matches(request_event("/home/u/app", "claude-opus-4", 1000)));
  EXPECT_FALSE(f.matches(request_event("/home/u/app", "claude-opus-4", 999)));
  EXPECT_FALSE(f.matches(request_event("/home/u/other", "claude-opus-4", 5000)));
  EXPECT_FALSE(f.matches(request_event("/home/u/app", "claude-haiku", 5000)));
  // A limit event carries no project and no tokens: the project filter and min_tokens let it by.
  EXPECT_TRUE(f.matches(typed_event("limit")));
  EXPECT_FALSE(f.matches(typed_event("alert")));
  // Heartbeats pass every filter.
  EXPECT_TRUE(f.matches(typed_event("heartbeat")));
}

TEST(LiveFilterTest, ParseSubscribe) {
  auto f = parse_subscribe_message(
      R"({"subscribe":{"types":["request","limit"],"projects":["/home/u/app"],)"
      R"("sessions":["s1","s2"],"models":null,"min_tokens":1000}})");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->types, (std::vector<std::string>{"request", "limit"}));
  EXPECT_EQ(f->projects, (std::vector<std::string>{"/home/u/app"}));
  EXPECT_EQ(f->sessions, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_TRUE(f->models.empty());
  EXPECT_EQ(f->min_tokens, 1000);
  EXPECT_EQ(f->to_json(),
            R"({"types":["request","limit"],"projects":["/home/u/app"],"sessions":["s1","s2"],)"
            R"("models":[],"min_tokens":1000})");
  EXPECT_EQ(subscribed_message(*f), R"({"type":"subscribed","filters":)" + f->to_json() + "}");

  auto all = parse_subscribe_message(R"({"subscribe":{}})");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->types.empty());
  EXPECT_EQ(all->min_tokens, 0);
}

TEST(LiveFilterTest, ParseSubscribeErrors) {
  auto message_of = [](std::string_view text) {
    auto f = parse_subscribe_message(text);
    EXPECT_FALSE(f) << text;
    return f ? std::string() : f.error().message;
  };
  EXPECT_NE(message_of("{not json").find("invalid JSON"), std::string::npos);
  EXPECT_NE(message_of("[1,2]").find("expected {\"subscribe\""), std::string::npos);
  EXPECT_NE(message_of(R"({"subscribe":[]})").find("expected"), std::string::npos);
  EXPECT_NE(message_of(R"({"subscribe":{"types":"request"}})").find("array of strings"),
            std::string::npos);
  EXPECT_NE(message_of(R"({"subscribe":{"models":[1]}})").find("array of strings"),
            std::string::npos);
  EXPECT_NE(message_of(R"({"subscribe":{"types":["requests"]}})").find("unknown event type"),
            std::string::npos);
  EXPECT_NE(message_of(R"({"subscribe":{"project":["/a"]}})").find("unknown subscribe key"),
            std::string::npos);
  EXPECT_NE(message_of(R"({"subscribe":{"min_tokens":-1}})").find("non-negative"),
            std::string::npos);
  EXPECT_NE(message_of(R"({"subscribe":{"min_tokens":"5"}})").find("non-negative"),
            std::string::npos);
  EXPECT_EQ(live_error_message("bad \"x\""), R"({"type":"error","message":"bad \"x\""})");
}

TEST(LiveHubTest, QueuesInOrderAndWakesOnceAfterEmpty) {
  LiveHub hub;
  int wakes = 0;
  auto client = hub.connect(10, [&] { ++wakes; });
  EXPECT_EQ(client->next(), nullptr);  // Arms the wake.
  hub.publish(typed_event("limit"));
  hub.publish(typed_event("alert"));
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(text(client->next()), R"({"type":"limit"})");
  EXPECT_EQ(text(client->next()), R"({"type":"alert"})");
  EXPECT_EQ(client->next(), nullptr);
  hub.publish(typed_event("limit"));
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(hub.stats().published, 3u);
  EXPECT_EQ(hub.stats().clients, 1u);
  client.reset();
  EXPECT_EQ(hub.stats().clients, 0u);
}

TEST(LiveHubTest, FilterChangeIsOrderedWithItsReply) {
  LiveHub hub;
  auto client = hub.connect(10, [] {});
  hub.publish(request_event("/a", "opus", 10));
  LiveFilter only_b;
  only_b.projects = {"/b"};
  client->set_filter(only_b);
  hub.publish(request_event("/a", "opus", 20));
  hub.publish(request_event("/b", "opus", 30));
  EXPECT_NE(text(client->next()).find(R"("project":"/a","tokens":10)"), std::string::npos);
  EXPECT_EQ(text(client->next()), subscribed_message(only_b));
  EXPECT_NE(text(client->next()).find(R"("project":"/b")"), std::string::npos);
  EXPECT_EQ(client->next(), nullptr);
}

TEST(LiveHubTest, OverflowDropsOnlyThatClient) {
  LiveHub hub;
  int slow_wakes = 0;
  auto slow = hub.connect(3, [&] { ++slow_wakes; });
  auto fast = hub.connect(3, [] {});
  for (int i = 0; i < 3; ++i) {
    hub.publish(typed_event("limit"));
    ASSERT_NE(fast->next(), nullptr);
  }
  EXPECT_FALSE(slow->dropped());
  hub.publish(typed_event("alert"));  // The slow queue holds 3: this one overflows it.
  EXPECT_TRUE(slow->dropped());
  EXPECT_EQ(slow_wakes, 1);
  EXPECT_EQ(slow->next(), nullptr);  // Its queue was freed.
  EXPECT_EQ(text(fast->next()), R"({"type":"alert"})");
  hub.publish(typed_event("limit"));
  EXPECT_EQ(slow->next(), nullptr);  // A dropped client gets nothing more.
  EXPECT_EQ(slow_wakes, 1);
  EXPECT_EQ(text(fast->next()), R"({"type":"limit"})");
  LiveHubStats stats = hub.stats();
  EXPECT_EQ(stats.clients, 1u);
  EXPECT_EQ(stats.dropped_clients, 1u);
}

TEST(LiveHubTest, SnapshotProvider) {
  LiveHub hub;
  EXPECT_EQ(hub.snapshot(), R"({"type":"snapshot"})");
  hub.set_snapshot_provider([] { return std::string(R"({"type":"snapshot","n":1})"); });
  EXPECT_EQ(hub.snapshot(), R"({"type":"snapshot","n":1})");
  hub.set_snapshot_provider([]() -> std::string { throw std::runtime_error("db gone"); });
  EXPECT_EQ(hub.snapshot(), R"({"type":"error","message":"snapshot failed: db gone"})");
}

TEST(LiveHubTest, ConcurrentPublishersLoseNothing) {
  LiveHub hub;
  auto client = hub.connect(100000, [] {});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&hub] {
      for (int i = 0; i < kPerThread; ++i) hub.publish(typed_event("request"));
    });
  }
  std::size_t received = 0;
  while (received < kThreads * kPerThread) {
    if (client->next()) ++received;
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(client->next(), nullptr);
  EXPECT_EQ(hub.stats().published, static_cast<std::uint64_t>(kThreads * kPerThread));
}

TEST(LiveHubTest, ClientMayOutliveHub) {
  auto hub = std::make_unique<LiveHub>();
  auto client = hub->connect(4, [] {});
  hub.reset();
  EXPECT_EQ(client->next(), nullptr);
  client->send("{}");
  EXPECT_EQ(text(client->next()), "{}");
}

}  // namespace
}  // namespace ccgauge::server

// The WebSocket side of the server (/api/v1/live) over real sockets on 127.0.0.1.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "server/http_server.h"
#include "server/live_hub.h"
#include "tests/support/http_client.h"

namespace ccgauge::server {
namespace {

using ccgauge::testing::WsClient;
using namespace std::chrono_literals;

LiveEvent event(std::string type, std::string project, std::string model, std::int64_t tokens,
                int seq, std::size_t padding = 0) {
  LiveEvent e;
  e.type = std::move(type);
  e.project = std::move(project);
  e.model = std::move(model);
  e.session = "session-1";
  e.tokens = tokens;
  e.json = R"({"type":")" + e.type + R"(","seq":)" + std::to_string(seq);
  if (padding > 0) e.json += R"(,"pad":")" + std::string(padding, 'p') + "\"";
  e.json += "}";
  return e;
}

LiveEvent request(int seq, std::string project = "/home/u/app", std::string model = "opus",
                  std::int64_t tokens = 5000) {
  return event("request", std::move(project), std::move(model), tokens, seq);
}

std::string seq_json(const std::string& type, int seq) {
  return R"({"type":")" + type + R"(","seq":)" + std::to_string(seq) + "}";
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class LiveSocketTest : public ::testing::Test {
 protected:
  void start(std::size_t queue_limit = 256, std::chrono::seconds heartbeat = 0s) {
    ServerOptions o;
    o.port = 0;
    o.heartbeat = heartbeat;
    o.ws_queue_limit = queue_limit;
    auto started = Server::start(std::move(o), Router{}, hub_);
    ASSERT_TRUE(started) << started.error().message;
    server_ = std::move(*started);
  }

  // Connects and consumes the snapshot, after which the client is in the hub.
  std::unique_ptr<WsClient> connect(WsClient::Options options = {}) {
    auto client = std::make_unique<WsClient>(server_->port(), std::move(options));
    auto snapshot = client->read();
    EXPECT_TRUE(snapshot.has_value());
    return client;
  }

  // Sends a subscribe message and reads up to its reply, returning the messages before it.
  std::vector<std::string> subscribe(WsClient& client, const std::string& spec) {
    client.send(R"({"subscribe":)" + spec + "}");
    std::vector<std::string> before;
    for (;;) {
      auto m = client.read();
      if (!m) {
        ADD_FAILURE() << "closed while waiting for the subscribed reply";
        return before;
      }
      if (m->rfind(R"({"type":"subscribed")", 0) == 0) return before;
      before.push_back(*m);
    }
  }

  LiveHub hub_;
  std::unique_ptr<Server> server_;
};

TEST_F(LiveSocketTest, SnapshotComesFirstThenEventsInOrder) {
  hub_.set_snapshot_provider([] { return std::string(R"({"type":"snapshot","today":42})"); });
  start();
  WsClient client(server_->port());
  EXPECT_EQ(client.read(), R"({"type":"snapshot","today":42})");
  ASSERT_TRUE(wait_until([&] { return hub_.stats().clients == 1; }));
  for (int i = 0; i < 200; ++i) hub_.publish(request(i));
  for (int i = 0; i < 200; ++i) ASSERT_EQ(client.read(), seq_json("request", i));
  EXPECT_EQ(server_->stats().ws_clients, 1u);
}

TEST_F(LiveSocketTest, FiltersByTypeProjectModelAndMinTokens) {
  start();
  auto by_type = connect();
  auto by_project = connect();
  auto by_model_tokens = connect();
  subscribe(*by_type, R"({"types":["limit","alert"]})");
  subscribe(*by_project, R"({"projects":["/home/u/app"]})");
  subscribe(*by_model_tokens, R"({"models":["opus"],"min_tokens":1000})");

  hub_.publish(request(1, "/home/u/app", "opus", 5000));   // project, model+tokens
  hub_.publish(request(2, "/home/u/other", "opus", 500));  // none (tokens too few, project)
  hub_.publish(event("limit", "", "", 0, 3));              // type, project (no key), model (no key)
  hub_.publish(request(4, "/home/u/other", "sonnet", 9000));  // none
  hub_.publish(event("alert", "/home/u/other", "", 0, 5));    // type, model (no key)
  hub_.publish(request(6, "/home/u/app", "sonnet", 100));     // project

  EXPECT_EQ(by_type->read(), seq_json("limit", 3));
  EXPECT_EQ(by_type->read(), seq_json("alert", 5));
  EXPECT_EQ(by_project->read(), seq_json("request", 1));
  EXPECT_EQ(by_project->read(), seq_json("limit", 3));
  EXPECT_EQ(by_project->read(), seq_json("request", 6));
  EXPECT_EQ(by_model_tokens->read(), seq_json("request", 1));
  EXPECT_EQ(by_model_tokens->read(), seq_json("limit", 3));
  EXPECT_EQ(by_model_tokens->read(), seq_json("alert", 5));
  // Nothing else was queued: the next message each one sees is this sentinel.
  hub_.publish(event("limit", "", "", 0, 99));
  for (auto* c : {by_type.get(), by_project.get(), by_model_tokens.get()}) {
    EXPECT_EQ(c->read(), seq_json("limit", 99));
  }
}

TEST_F(LiveSocketTest, SubscribedReplyEchoesTheFilter) {
  start();
  auto client = connect();
  client->send(R"({"subscribe":{"types":["request"],"sessions":["s1"],"min_tokens":7}})");
  EXPECT_EQ(client->read(), R"({"type":"subscribed","filters":{"types":["request"],"projects":[],)"
                            R"("sessions":["s1"],"models":[],"min_tokens":7}})");
}

TEST_F(LiveSocketTest, FiltersChangeMidStream) {
  start();
  auto client = connect();
  subscribe(*client, R"({"types":["request"]})");
  hub_.publish(request(1));
  hub_.publish(event("limit", "", "", 0, 2));
  EXPECT_EQ(client->read(), seq_json("request", 1));

  // Everything queued before the reply follows the old filter, everything after the new one.
  hub_.publish(request(3));
  auto before = subscribe(*client, R"({"types":["limit"]})");
  EXPECT_EQ(before, std::vector<std::string>{seq_json("request", 3)});
  hub_.publish(request(4));
  hub_.publish(event("limit", "", "", 0, 5));
  EXPECT_EQ(client->read(), seq_json("limit", 5));

  subscribe(*client, "{}");  // Back to everything.
  hub_.publish(request(6));
  EXPECT_EQ(client->read(), seq_json("request", 6));
}

TEST_F(LiveSocketTest, BadSubscribeGetsAnErrorAndKeepsTheConnection) {
  start();
  auto client = connect();
  client->send("{this is not json");
  auto error = client->read();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->rfind(R"({"type":"error","message":"invalid JSON)", 0), 0u) << *error;
  client->send(R"({"subscribe":{"types":["requests"]}})");
  EXPECT_EQ(client->read(), R"({"type":"error","message":"unknown event type \"requests\""})");
  hub_.publish(request(1));
  EXPECT_EQ(client->read(), seq_json("request", 1));
}

TEST_F(LiveSocketTest, HeartbeatArrivesOnSchedule) {
  start(256, 1s);
  auto client = connect();
  subscribe(*client, R"({"types":["alert"]})");  // Heartbeats pass every filter.
  auto begin = std::chrono::steady_clock::now();
  auto beat = client->read_for(3s);
  ASSERT_TRUE(beat);
  EXPECT_EQ(beat->rfind(R"({"type":"heartbeat","time_ms":)", 0), 0u) << *beat;
  auto second = client->read_for(3s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->rfind(R"({"type":"heartbeat")", 0), 0u);
  EXPECT_GT(std::chrono::steady_clock::now() - begin, 900ms);
}

TEST_F(LiveSocketTest, DisconnectedClientsLeaveTheHub) {
  start();
  {
    auto a = connect();
    auto b = connect();
    EXPECT_EQ(hub_.stats().clients, 2u);
    a->close();
  }
  ASSERT_TRUE(wait_until([&] { return hub_.stats().clients == 0; }));
  ASSERT_TRUE(wait_until([&] { return server_->stats().ws_clients == 0; }));
  EXPECT_TRUE(wait_until([&] { return server_->stats().connections == 0; }));
  EXPECT_EQ(hub_.stats().dropped_clients, 0u);
}

// A client that never reads is closed with 1008 once its queue overflows, while a client that
// keeps up receives every one of 5,000 events, and the publisher never waits.
TEST_F(LiveSocketTest, SlowClientIsClosedFastClientGetsEverything) {
  constexpr std::size_t kLimit = 64;
  constexpr int kEvents = 5000;
  constexpr std::size_t kPadding = 2000;  // 10 MB in all: more than socket buffers hold.
  start(kLimit);
  WsClient::Options small_window;
  small_window.receive_buffer_bytes = 4096;
  auto slow = connect(small_window);
  auto fast = connect();

  std::atomic<int> fast_received{0};
  std::atomic<bool> fast_in_order{true};
  std::thread fast_reader([&] {
    try {
      for (int i = 0; i < kEvents; ++i) {
        auto m = fast->read_for(10s);
        if (!m || m->rfind(R"({"type":"request","seq":)" + std::to_string(i) + ",", 0) != 0) {
          fast_in_order = false;
          return;
        }
        fast_received = i + 1;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fast reader: %s\n", e.what());
      fast_in_order = false;
    }
  });
  std::atomic<int> slow_code{0};
  std::string slow_reason;
  int slow_messages = 0;
  std::thread slow_reader([&] {
    // Reads nothing until the server has given up on it, then drains to the close frame.
    if (!wait_until([&] { return server_->stats().dropped_clients >= 1; }, 20s)) return;
    try {
      for (;;) {
        auto m = slow->read_for(10s);
        if (!m) break;
        ++slow_messages;
      }
      slow_reason = slow->close_reason();
      slow_code = slow->close_code();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "slow reader: %s\n", e.what());
    }
  });

  std::chrono::nanoseconds slowest_publish{0};
  for (int i = 0; i < kEvents; ++i) {
    // Pace to the fast reader so that only the slow client can overflow.
    while (i - fast_received.load() > static_cast<int>(kLimit) / 2 && fast_in_order) {
      std::this_thread::yield();
    }
    auto begin = std::chrono::steady_clock::now();
    hub_.publish(event("request", "/p", "opus", 100, i, kPadding));
    slowest_publish = std::max(slowest_publish, std::chrono::steady_clock::now() - begin);
  }
  fast_reader.join();
  slow_reader.join();

  EXPECT_TRUE(fast_in_order);
  EXPECT_EQ(fast_received.load(), kEvents);
  EXPECT_EQ(slow_code.load(), 1008);
  EXPECT_EQ(slow_reason, "too slow: queue limit 64 exceeded");
  EXPECT_LT(slow_messages, kEvents);
  EXPECT_EQ(server_->stats().dropped_clients, 1u);
  EXPECT_EQ(hub_.stats().dropped_clients, 1u);
  EXPECT_EQ(hub_.stats().clients, 1u);
  std::printf(
      "[ measure  ] slow client dropped after %d of %d messages; slowest publish() %.1f us\n",
      slow_messages, kEvents, std::chrono::duration<double, std::micro>(slowest_publish).count());
}

TEST_F(LiveSocketTest, HundredClientsAllReceiveAnEvent) {
  start();
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 100; ++i) clients.push_back(connect());
  EXPECT_EQ(hub_.stats().clients, 100u);
  EXPECT_EQ(server_->stats().ws_clients, 100u);
  hub_.publish(request(7));
  for (auto& c : clients) ASSERT_EQ(c->read(), seq_json("request", 7));
}

TEST_F(LiveSocketTest, PublishFromManyThreads) {
  start(100000);
  auto client = connect();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) hub_.publish(request(t * kPerThread + i));
    });
  }
  std::vector<int> next(kThreads, 0);  // Per publisher, events arrive in its order.
  for (int n = 0; n < kThreads * kPerThread; ++n) {
    auto m = client->read();
    ASSERT_TRUE(m);
    int seq = std::stoi(m->substr(m->find("\"seq\":") + 6));
    int t = seq / kPerThread;
    ASSERT_EQ(seq % kPerThread, next[t]);
    ++next[t];
  }
  for (auto& t : threads) t.join();
}

// Latency from publish() to the client's receipt, one event at a time.
TEST_F(LiveSocketTest, MeasurePublishToReceiptLatency) {
  start();
  auto client = connect();
  constexpr int kEvents = 1000;
  std::vector<double> micros;
  micros.reserve(kEvents);
  for (int i = 0; i < kEvents; ++i) {
    auto begin = std::chrono::steady_clock::now();
    hub_.publish(request(i));
    auto m = client->read();
    auto end = std::chrono::steady_clock::now();
    ASSERT_EQ(m, seq_json("request", i));
    micros.push_back(std::chrono::duration<double, std::micro>(end - begin).count());
  }
  std::sort(micros.begin(), micros.end());
  double p50 = micros[kEvents / 2];
  double p99 = micros[kEvents * 99 / 100];
  std::printf(
      "[ measure  ] publish() -> WebSocket receipt over %d events: p50 %.0f us, p99 %.0f us, "
      "max %.0f us\n",
      kEvents, p50, p99, micros.back());
  RecordProperty("latency_p50_us", std::to_string(p50));
  RecordProperty("latency_p99_us", std::to_string(p99));
}

}  // namespace
}  // namespace ccgauge::server

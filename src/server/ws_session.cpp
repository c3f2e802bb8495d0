// WebSocket sessions at /api/v1/live: upgrade checks, the snapshot, the hub's queue drained onto
// the socket, subscribe messages, and the close of a client that fell behind.

#include <memory>
#include <string>
#include <utility>

#include "server/http_util.h"
#include "server/server_internal.h"

namespace ccgauge::server {
namespace {

// Longest client message accepted (subscribe requests are small).
constexpr std::size_t kMaxClientMessageBytes = 64 << 10;
// How long a close handshake may take before the socket is closed anyway: a client that stopped
// reading would otherwise hold its connection (and our last unsent message) forever.
constexpr std::chrono::seconds kCloseTimeout{5};

constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

// One WebSocket client. Lives on the io thread; owned by shared_ptrs held by the reader (the
// session coroutine), the writer coroutine and pending completion handlers.
class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Server::Impl& server, beast::tcp_stream stream)
      : server_(server),
        ws_(std::move(stream)),
        wake_timer_(server.ioc),
        close_timer_(server.ioc) {}

  // Accepts the upgrade, then reads client messages until the connection ends. The writer runs
  // alongside as its own coroutine.
  net::awaitable<void> run(http::request<http::string_body> request);

  // Starts a close handshake with this code; idempotent. A client that does not complete it
  // within kCloseTimeout is disconnected.
  void begin_close(websocket::close_code code, std::string reason);
  // Closes the socket now; pending operations end with operation_aborted.
  void force_close();

 private:
  net::awaitable<void> write_loop(std::shared_ptr<WsSession> self);
  // Runs on the io thread after the hub called the client's wake function.
  void on_wake();
  void on_dropped();
  void handle_message(const std::string& text);

  Server::Impl& server_;
  websocket::stream<beast::tcp_stream> ws_;
  // Never expires; the writer waits on it while the queue is empty and on_wake() cancels it.
  net::steady_timer wake_timer_;
  net::steady_timer close_timer_;
  std::unique_ptr<LiveHub::Client> client_;
  bool closing_ = false;  // No more messages are written once set.
  bool drop_counted_ = false;
};

net::awaitable<void> WsSession::run(http::request<http::string_body> request) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "ccgauge"); }));
  ws_.read_message_max(kMaxClientMessageBytes);
  beast::get_lowest_layer(ws_).expires_never();
  auto [accept_ec] = co_await ws_.async_accept(request, kNoThrow);
  if (accept_ec) co_return;

  server_.ws_clients.fetch_add(1, std::memory_order_relaxed);
  struct CountDown {
    std::atomic<std::size_t>& count;
    ~CountDown() { count.fetch_sub(1, std::memory_order_relaxed); }
  } count_down{server_.ws_clients};

  std::weak_ptr<WsSession> weak = weak_from_this();
  auto executor = server_.ioc.get_executor();
  client_ = server_.hub.connect(server_.options.ws_queue_limit, [weak, executor] {
    net::post(executor, [weak] {
      if (auto self = weak.lock()) self->on_wake();
    });
  });
  net::co_spawn(executor, write_loop(shared_from_this()), net::detached);

  beast::flat_buffer buffer;
  for (;;) {
    buffer.clear();
    auto [read_ec, n] = co_await ws_.async_read(buffer, kNoThrow);
    if (read_ec) break;
    if (!ws_.got_text()) {
      client_->send(live_error_message("binary messages are not supported; send JSON text"));
      continue;
    }
    handle_message(beast::buffers_to_string(buffer.data()));
  }
  // The connection is over (the peer closed, our close finished, or the socket failed): stop the
  // writer, leave the hub, release the socket.
  closing_ = true;
  client_.reset();
  force_close();
}

void WsSession::handle_message(const std::string& text) {
  auto filter = parse_subscribe_message(text);
  if (!filter) {
    client_->send(live_error_message(filter.error().message));
    return;
  }
  client_->set_filter(std::move(*filter));
}

// `self` keeps the session alive while the writer runs.
net::awaitable<void> WsSession::write_loop(std::shared_ptr<WsSession> /*self*/) {
  std::string snapshot = server_.hub.snapshot();
  ws_.text(true);
  auto [snapshot_ec, snapshot_n] = co_await ws_.async_write(net::buffer(snapshot), kNoThrow);
  if (snapshot_ec) co_return;
  for (;;) {
    if (closing_ || !client_) co_return;
    if (client_->dropped()) {
      on_dropped();
      co_return;
    }
    LiveHub::Message message = client_->next();
    if (!message) {
      // Invariant: next() just armed the wake and nothing runs on this thread before the wait
      // starts, so on_wake() (posted by a publisher) always finds the wait pending.
      wake_timer_.expires_at(net::steady_timer::time_point::max());
      co_await wake_timer_.async_wait(kNoThrow);
      continue;
    }
    ws_.text(true);
    // `message` keeps the bytes alive until the write completes.
    auto [write_ec, write_n] = co_await ws_.async_write(net::buffer(*message), kNoThrow);
    if (write_ec) co_return;
  }
}

void WsSession::on_wake() {
  wake_timer_.cancel();
  if (client_ && client_->dropped()) on_dropped();
}

void WsSession::on_dropped() {
  if (!drop_counted_) {
    drop_counted_ = true;
    server_.dropped_clients.fetch_add(1, std::memory_order_relaxed);
  }
  begin_close(
      websocket::close_code::policy_error,
      "too slow: queue limit " + std::to_string(server_.options.ws_queue_limit) + " exceeded");
}

void WsSession::begin_close(websocket::close_code code, std::string reason) {
  if (closing_) return;
  closing_ = true;
  wake_timer_.cancel();
  if (!ws_.is_open()) {
    force_close();
    return;
  }
  std::weak_ptr<WsSession> weak = weak_from_this();
  close_timer_.expires_after(kCloseTimeout);
  close_timer_.async_wait([weak](beast::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->force_close();
  });
  // A close may wait behind a write in progress (Beast allows one of each at a time); the timer
  // above bounds that wait.
  ws_.async_close(websocket::close_reason(code, reason),
                  [self = shared_from_this()](beast::error_code) { self->close_timer_.cancel(); });
}

void WsSession::force_close() {
  closing_ = true;
  wake_timer_.cancel();
  close_timer_.cancel();
  beast::get_lowest_layer(ws_).close();
}

// The reason an upgrade request is refused, or nullopt when it may proceed.
std::optional<Response> check_upgrade(const Server::Impl& server,
                                      const http::request<http::string_body>& request) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  const ServerOptions& options = server.options;
  if (path != options.live_path) {
    return json_error(404, "no WebSocket endpoint at " + std::string(path));
  }
  std::string_view host = request[http::field::host];
  std::string_view origin = request[http::field::origin];
  if (options.token.empty()) {
    if (!host.empty() && !is_loopback_host(host)) {
      return json_error(403, "host '" + std::string(host) + "' is not a loopback name");
    }
    if (!origin.empty() && !origin_allowed(origin, host)) {
      return json_error(403, "WebSocket origin '" + std::string(origin) + "' is not allowed");
    }
    return std::nullopt;
  }
  auto presented = bearer_token(request[http::field::authorization]);
  if (presented && token_matches(*presented, options.token)) return std::nullopt;
  std::string_view raw_query =
      path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view{};
  if (auto query = parse_query(raw_query)) {
    auto it = query->find("token");
    if (it != query->end() && token_matches(it->second, options.token)) return std::nullopt;
  }
  Response response = json_error(401, "missing or wrong bearer token");
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace

net::awaitable<void> Server::Impl::upgrade_to_websocket(beast::tcp_stream stream,
                                                        http::request<http::string_body> request,
                                                        std::uint64_t id) {
  connections[id] = ConnectionHooks{[&stream] { stream.close(); }, [&stream] { stream.close(); }};
  if (auto refusal = check_upgrade(*this, request)) {
    requests.fetch_add(1, std::memory_order_relaxed);
    auto out = to_beast(std::move(*refusal), request.version(), false);
    stream.expires_after(options.idle_timeout);
    co_await http::async_write(stream, out, kNoThrow);
    stream.close();
    co_return;
  }
  auto session = std::make_shared<WsSession>(*this, std::move(stream));
  std::weak_ptr<WsSession> weak = session;
  connections[id] =
      ConnectionHooks{[weak] {
                        if (auto s = weak.lock())
                          s->begin_close(websocket::close_code::going_away, "server shutting down");
                      },
                      [weak] {
                        if (auto s = weak.lock()) s->force_close();
                      }};
  co_await session->run(std::move(request));
}

}  // namespace ccgauge::server

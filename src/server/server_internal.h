#pragma once
// Internal to src/server: the Server's state, shared by http_server.cpp and ws_session.cpp.
// Includes Beast and Asio, so include it from those .cpp files only, never from a header.
//
// Everything below lives on the io thread unless its comment says otherwise.

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "server/http_server.h"

namespace ccgauge::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// After stop() asks connections to close, the time they get before their sockets are closed.
inline constexpr std::chrono::seconds kShutdownGrace{1};

// How the server ends one connection: `shutdown` asks politely (a WebSocket close handshake),
// `force_close` closes the socket. Both are idempotent and run on the io thread.
struct ConnectionHooks {
  std::function<void()> shutdown;
  std::function<void()> force_close;
};

struct Server::Impl {
  Impl(ServerOptions options, Router router, LiveHub& hub);

  // Calls options.log when set.
  void log(std::string_view message) const;

  // Registers an open connection; the id unregisters it.
  std::uint64_t add_connection(ConnectionHooks hooks);
  void remove_connection(std::uint64_t id);

  // Auth, Host check, query parsing and routing for one plain HTTP request.
  Response handle(Request& request);

  net::awaitable<void> accept_loop();
  net::awaitable<void> heartbeat_loop();
  net::awaitable<void> run_http_session(tcp::socket socket);
  // Checks the upgrade request (path, token, Host, Origin), then runs the WebSocket session until
  // it ends. Replaces the hooks of connection `id` before anything else.
  net::awaitable<void> upgrade_to_websocket(beast::tcp_stream stream,
                                            http::request<http::string_body> request,
                                            std::uint64_t id);

  // Closes the acceptor, asks every connection to close, forces them after kShutdownGrace.
  void begin_shutdown();

  const ServerOptions options;
  const Router router;
  LiveHub& hub;  // Owned by the caller of Server::start; outlives the server.

  net::io_context ioc{1};
  tcp::acceptor acceptor;
  net::steady_timer heartbeat_timer;
  net::steady_timer grace_timer;
  // Written once in start(), before the Server is returned.
  std::thread thread;            // Runs ioc; joined by stop() under join_mutex.
  std::thread::id io_thread_id;  // thread's id, readable while another thread joins it.
  std::uint16_t port = 0;

  std::unordered_map<std::uint64_t, ConnectionHooks> connections;
  std::uint64_t next_connection_id = 1;
  bool shutting_down = false;

  // Any thread.
  std::atomic<bool> stop_requested{false};
  std::mutex join_mutex;  // Serializes joins of `thread`.
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> ws_clients{0};
  std::atomic<std::uint64_t> dropped_clients{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> handler_errors{0};
};

// Serializes a Response (status, content type, extra headers, body) for Beast.
http::response<http::string_body> to_beast(Response&& response, unsigned version, bool keep_alive);

}  // namespace ccgauge::server

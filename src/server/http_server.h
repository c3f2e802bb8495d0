#pragma once
// The daemon's HTTP/1.1 + WebSocket server: one io_context thread runs every connection, every
// handler, the WebSocket fan-out and the heartbeat timer (shared/DESIGN.md, "Process model").
//
// HTTP: keep-alive, requests on one connection answered one at a time in order (so pipelined
// requests are safe), an idle timeout, a header size limit (431) and a body limit (413), 404 for
// an unknown path, 405 with Allow for a known path under another method, 500 for a handler that
// throws (the server carries on). Responses larger than kGzipMinBytes are gzipped for clients
// that accept it (Content-Encoding: gzip, Vary: Accept-Encoding); a handler may ask for a strong
// ETag, and a GET whose If-None-Match matches is answered 304 with no body.
//
// Security: the default address is loopback. start() refuses a non-loopback address unless a
// token is set. With a token, every request except those to kHealthPath needs
// "Authorization: Bearer <token>" (401 otherwise; the comparison is constant-time); a WebSocket
// upgrade may instead pass "?token=<token>", since browsers cannot set headers on a WebSocket.
// Without a token, requests must name a loopback Host (403 otherwise: DNS-rebinding defense) and
// a WebSocket upgrade's Origin, when present, must be loopback or this server (cross-site
// WebSocket hijacking defense).
//
// WebSocket at ServerOptions::live_path: the client first receives LiveHub::snapshot(), then the
// events its filter matches, in publish order, and a heartbeat every `heartbeat`. It may send
// {"subscribe":{...}} at any time (see LiveHub). A client that falls `ws_queue_limit` messages
// behind is closed with code 1008 and reason "too slow: queue limit N exceeded".

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "server/live_hub.h"
#include "server/router.h"

namespace ccgauge::server {

// Bodies larger than this are gzipped when the client accepts gzip.
inline constexpr std::size_t kGzipMinBytes = 1024;
// The one route answered without a token.
inline constexpr std::string_view kHealthPath = "/api/v1/health";

struct ServerOptions {
  // An IP address literal, or "localhost" (= 127.0.0.1). A non-loopback address needs `token`.
  std::string address = "127.0.0.1";
  std::uint16_t port = 8321;  // 0 picks a free port; see Server::port().
  std::string token;          // Bearer token; empty means no authentication (loopback only).
  std::size_t max_body_bytes = 1 << 20;     // Larger request bodies get 413.
  std::size_t max_header_bytes = 16 << 10;  // Larger request headers get 431.
  std::size_t ws_queue_limit = 256;         // Messages queued per WebSocket client; >= 1.
  // Period of the {"type":"heartbeat","time_ms":<Unix ms>} event published to the hub (it passes
  // every client filter); 0 disables heartbeats.
  std::chrono::seconds heartbeat{15};
  // An HTTP connection that sends no complete request for this long is closed; also the limit
  // for writing one response. Must be positive. (WebSockets use Beast's ping-based idle check.)
  std::chrono::seconds idle_timeout{30};
  std::string live_path = "/api/v1/live";  // The WebSocket endpoint.
  // Told about failures worth a log line (a handler threw, accept failed). Called on the io
  // thread; may be empty.
  std::function<void(std::string_view)> log;
};

// Counters for /api/v1/health and /metrics. A consistent-enough snapshot: each field is read
// atomically, the set is not.
struct ServerStats {
  std::size_t connections = 0;        // Open TCP connections (HTTP and WebSocket) now.
  std::size_t ws_clients = 0;         // Open WebSocket connections now.
  std::uint64_t dropped_clients = 0;  // WebSocket clients closed for falling behind, so far.
  std::uint64_t requests = 0;         // HTTP requests answered so far (any status).
  std::uint64_t handler_errors = 0;   // Handlers that threw, so far.
};

class Server {
 public:
  // Validates the options, binds and listens (so a busy port or a bad address is reported here,
  // as kIo / kInvalidInput), then starts the io thread. `router` is moved in. `hub` must outlive
  // the Server; the server publishes heartbeats to it and connects WebSocket clients to it.
  static Result<std::unique_ptr<Server>> start(ServerOptions options, Router router, LiveHub& hub);

  // Stops (see stop()). Must not run on the io thread, i.e. not inside a handler.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port: options.port, or the one the OS picked for port 0.
  std::uint16_t port() const;

  // Runs `fn` on the io thread, after what is already queued there. Thread-safe. Once the server
  // has stopped, `fn` is destroyed without running.
  void post(std::function<void()> fn);

  // Stops accepting, closes WebSocket clients with 1001 ("server shutting down") and HTTP
  // connections, forces any connection still open after a short grace period (1 s), and joins
  // the io thread. Thread-safe and idempotent. Called on the io thread (from a handler or a
  // posted function) it starts the shutdown and returns without joining.
  void stop();

  ServerStats stats() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccgauge::server

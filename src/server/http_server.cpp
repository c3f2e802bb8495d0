// The server: acceptor, HTTP sessions, shutdown. WebSocket sessions are in ws_session.cpp.

#include "server/http_server.h"

#include <array>
#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/json_writer.h"
#include "server/gzip.h"
#include "server/http_util.h"
#include "server/server_internal.h"

namespace ccgauge::server {
namespace {

// Time given to a client to finish sending a body we refused, so it reads our answer instead of
// a connection reset.
constexpr std::chrono::seconds kLingerTime{1};
constexpr std::size_t kLingerMaxBytes = 16 << 20;
// zlib level for responses: they are compressed on the io thread at request time, where
// speed matters more than the last few percent of size.
constexpr int kResponseGzipLevel = 1;

constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

// ---- request and response conversion --------------------------------------------------------

Request to_request(http::request<http::string_body>&& beast_request, const std::string& remote) {
  Request request;
  request.method = std::string(beast_request.method_string());
  request.target = std::string(beast_request.target());
  std::string_view target = request.target;
  request.path = std::string(target.substr(0, target.find('?')));
  request.headers.reserve(16);
  for (const auto& field : beast_request) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(beast_request.body());
  request.remote_address = remote;
  return request;
}

bool has_header(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (beast::iequals(key, name)) return true;
  }
  return false;
}

// Applies ETag/If-None-Match and gzip to a handler's response.
void finish_response(const Request& request, Response& response) {
  bool compressible = response.body.size() > kGzipMinBytes &&
                      !has_header(response, "Content-Encoding") && response.status != 304;
  bool gzip = compressible && accepts_gzip(request.header("accept-encoding"));
  if (compressible) response.headers.emplace_back("Vary", "Accept-Encoding");
  bool get_or_head = request.method == "GET" || request.method == "HEAD";
  if (response.etag && response.status == 200 && get_or_head) {
    std::string identity_tag = strong_etag(response.body);
    std::string tag = gzip ? gzip_etag(identity_tag) : identity_tag;
    std::string if_none_match = request.header("if-none-match");
    response.headers.emplace_back("ETag", tag);
    if (!if_none_match.empty() && if_none_match_matches(if_none_match, tag)) {
      response.status = 304;
      response.body.clear();
      return;
    }
  }
  if (gzip) {
    if (auto compressed = gzip_compress(response.body, kResponseGzipLevel)) {
      response.body = std::move(*compressed);
      response.headers.emplace_back("Content-Encoding", "gzip");
    }
  }
}

}  // namespace

http::response<http::string_body> to_beast(Response&& response, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(response.status), version};
  out.set(http::field::server, "ccgauge");
  if (response.status != 304 && response.status != 204) {
    out.set(http::field::content_type, response.content_type);
  }
  for (auto& [name, value] : response.headers) out.insert(name, value);
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

namespace {

// The answer to a request the parser refused, and the status for it.
Response parse_error_response(beast::error_code ec, const ServerOptions& options) {
  if (ec == http::error::body_limit) {
    return json_error(413, "request body exceeds the limit of " +
                               std::to_string(options.max_body_bytes) + " bytes");
  }
  if (ec == http::error::header_limit) {
    return json_error(431, "request header exceeds the limit of " +
                               std::to_string(options.max_header_bytes) + " bytes");
  }
  return json_error(400, "malformed HTTP request: " + ec.message());
}

bool is_quiet_end(beast::error_code ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == beast::error::timeout || ec == net::error::operation_aborted ||
         ec == net::error::connection_reset || ec == net::error::eof ||
         ec == net::error::bad_descriptor;
}

}  // namespace

// ---- Impl -----------------------------------------------------------------------------------

Server::Impl::Impl(ServerOptions opts, Router r, LiveHub& h)
    : options(std::move(opts)),
      router(std::move(r)),
      hub(h),
      acceptor(ioc),
      heartbeat_timer(ioc),
      grace_timer(ioc) {}

void Server::Impl::log(std::string_view message) const {
  if (options.log) options.log(message);
}

std::uint64_t Server::Impl::add_connection(ConnectionHooks hooks) {
  std::uint64_t id = next_connection_id++;
  connections.emplace(id, std::move(hooks));
  open_connections.fetch_add(1, std::memory_order_relaxed);
  return id;
}

void Server::Impl::remove_connection(std::uint64_t id) {
  if (connections.erase(id) != 0) open_connections.fetch_sub(1, std::memory_order_relaxed);
  // The last connection gone: nothing left to force, let run() return now.
  if (shutting_down && connections.empty()) grace_timer.cancel();
}

void Server::Impl::begin_shutdown() {
  shutting_down = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  heartbeat_timer.cancel();
  // Copy: a hook may end its session synchronously and erase itself.
  std::vector<std::function<void()>> hooks;
  for (auto& [id, connection] : connections) hooks.push_back(connection.shutdown);
  for (auto& hook : hooks) hook();
  if (connections.empty()) return;
  grace_timer.expires_after(kShutdownGrace);
  grace_timer.async_wait([this](beast::error_code ec) {
    if (ec) return;
    std::vector<std::function<void()>> force;
    for (auto& [id, connection] : connections) force.push_back(connection.force_close);
    for (auto& hook : force) hook();
  });
}

Response Server::Impl::handle(Request& request) {
  if (options.token.empty()) {
    std::string host = request.header("host");
    if (!host.empty() && !is_loopback_host(host)) {
      return json_error(403, "host '" + host +
                                 "' is not a loopback name; set a token to serve "
                                 "other hosts");
    }
  } else if (request.path != kHealthPath) {
    std::string authorization = request.header("authorization");
    auto presented = bearer_token(authorization);  // Views into `authorization`.
    if (!presented || !token_matches(*presented, options.token)) {
      Response response = json_error(401, "missing or wrong bearer token");
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    }
  }
  std::string_view target = request.target;
  std::string_view raw_query = target.size() > request.path.size()
                                   ? target.substr(request.path.size() + 1)
                                   : std::string_view{};
  auto query = parse_query(raw_query);
  if (!query) return json_error(400, query.error().message);
  request.query = std::move(*query);
  return router.dispatch(request, [this](std::string_view message) {
    handler_errors.fetch_add(1, std::memory_order_relaxed);
    log(message);
  });
}

// ---- the HTTP session -----------------------------------------------------------------------

namespace {

// Reads and discards what the client still sends, for a short while, then closes. Used after
// answering a request whose body we refused.
net::awaitable<void> linger_and_close(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTime);
  std::array<char, 16384> scratch;
  std::size_t drained = 0;
  while (drained < kLingerMaxBytes) {
    auto [read_ec, n] = co_await stream.async_read_some(net::buffer(scratch), kNoThrow);
    if (read_ec) break;
    drained += n;
  }
  stream.close();
}

}  // namespace

namespace {

// Reads one request: the header, then "100 Continue" when the client waits for it (curl does
// before large bodies), then the body.
net::awaitable<beast::error_code> read_request(beast::tcp_stream& stream,
                                               beast::flat_buffer& buffer,
                                               http::request_parser<http::string_body>& parser) {
  auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
  if (ec || parser.is_done()) co_return ec;
  if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
    http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
    auto [write_ec, written] = co_await http::async_write(stream, go_on, kNoThrow);
    if (write_ec) co_return write_ec;
  }
  auto [body_ec, body_n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  co_return body_ec;
}

// Writes a response; for HEAD only its header (with the Content-Length a GET would have).
net::awaitable<beast::error_code> write_response(beast::tcp_stream& stream,
                                                 http::response<http::string_body>& response,
                                                 bool head_only) {
  if (!head_only) {
    auto [ec, n] = co_await http::async_write(stream, response, kNoThrow);
    co_return ec;
  }
  http::response_serializer<http::string_body> serializer{response};
  auto [ec, n] = co_await http::async_write_header(stream, serializer, kNoThrow);
  co_return ec;
}

}  // namespace

net::awaitable<void> Server::Impl::run_http_session(tcp::socket socket) {
  beast::error_code ec;
  std::string remote = socket.remote_endpoint(ec).address().to_string();
  beast::tcp_stream stream(std::move(socket));
  // Shutdown closes a connection waiting for a request at once; one being answered finishes
  // its response first (the loop then sees shutting_down). The hooks point into this frame;
  // upgrade_to_websocket replaces them when it takes the stream.
  bool reading = false;
  std::uint64_t id = add_connection(ConnectionHooks{[&stream, &reading] {
                                                      if (reading) stream.close();
                                                    },
                                                    [&stream] { stream.close(); }});
  struct Unregister {
    Impl* impl;
    std::uint64_t id;
    ~Unregister() { impl->remove_connection(id); }
  } unregister{this, id};

  beast::flat_buffer buffer;
  while (!shutting_down) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    stream.expires_after(options.idle_timeout);
    reading = true;
    beast::error_code read_ec = co_await read_request(stream, buffer, parser);
    reading = false;
    if (read_ec) {
      if (is_quiet_end(read_ec) || shutting_down) break;
      // The parser refused the request: answer, then close, since the rest of the stream
      // cannot be trusted to start at a request boundary.
      requests.fetch_add(1, std::memory_order_relaxed);
      auto out = to_beast(parse_error_response(read_ec, options), 11, false);
      stream.expires_after(options.idle_timeout);
      co_await http::async_write(stream, out, kNoThrow);
      co_await linger_and_close(stream);
      co_return;
    }
    if (websocket::is_upgrade(parser.get())) {
      co_await upgrade_to_websocket(std::move(stream), parser.release(), id);
      co_return;
    }
    http::request<http::string_body> beast_request = parser.release();
    unsigned version = beast_request.version();
    bool keep_alive = beast_request.keep_alive() && !shutting_down;
    Request request = to_request(std::move(beast_request), remote);
    Response response = handle(request);
    finish_response(request, response);
    requests.fetch_add(1, std::memory_order_relaxed);
    auto out = to_beast(std::move(response), version, keep_alive);
    stream.expires_after(options.idle_timeout);
    beast::error_code write_ec = co_await write_response(stream, out, request.method == "HEAD");
    if (write_ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
}

// ---- accept loop and heartbeat --------------------------------------------------------------

net::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (shutting_down || ec == net::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: say so, wait a moment so a full fd table does not spin the loop.
      log("accept failed: " + ec.message());
      net::steady_timer pause(ioc, std::chrono::milliseconds(100));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    net::co_spawn(ioc, run_http_session(std::move(socket)), [this](std::exception_ptr e) {
      if (e) log("connection ended by an exception");
    });
  }
}

net::awaitable<void> Server::Impl::heartbeat_loop() {
  for (;;) {
    heartbeat_timer.expires_after(options.heartbeat);
    auto [ec] = co_await heartbeat_timer.async_wait(kNoThrow);
    if (ec || shutting_down) co_return;
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    JsonWriter w(JsonWriter::Style::kCompact);
    w.begin_object()
        .key("type")
        .value("heartbeat")
        .key("time_ms")
        .value(static_cast<std::int64_t>(now_ms));
    w.end_object();
    LiveEvent event;
    event.type = "heartbeat";
    event.json = w.take();
    hub.publish(event);
  }
}

// ---- Server ---------------------------------------------------------------------------------

namespace {

Result<net::ip::address> parse_bind_address(const std::string& text) {
  if (text == "localhost") return net::ip::make_address("127.0.0.1");
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(text, ec);
  if (ec) {
    return fail(Errc::kInvalidInput,
                "server: '" + text + "' is not an IP address (use e.g. 127.0.0.1 or ::1)");
  }
  return address;
}

Status validate(const ServerOptions& options, const net::ip::address& address) {
  if (!address.is_loopback() && options.token.empty()) {
    return fail(Errc::kInvalidInput, "server: refusing to listen on non-loopback address " +
                                         options.address +
                                         " without a token; set a bearer token or bind 127.0.0.1");
  }
  if (options.max_body_bytes == 0 || options.max_header_bytes == 0 || options.ws_queue_limit == 0 ||
      options.idle_timeout.count() <= 0) {
    return fail(Errc::kInvalidInput,
                "server: body, header and queue limits and the idle timeout must be positive");
  }
  if (options.live_path.empty() || options.live_path.front() != '/') {
    return fail(Errc::kInvalidInput, "server: live_path must start with '/'");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, Router router, LiveHub& hub) {
  auto address = parse_bind_address(options.address);
  if (!address) return tl::unexpected(address.error());
  if (auto ok = validate(options, *address); !ok) return tl::unexpected(ok.error());

  auto impl = std::make_unique<Impl>(std::move(options), std::move(router), hub);
  tcp::endpoint endpoint(*address, impl->options.port);
  beast::error_code ec;
  auto& acceptor = impl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(Errc::kIo, "server: cannot listen on " + impl->options.address + ":" +
                               std::to_string(impl->options.port) + ": " + ec.message());
  }
  impl->port = acceptor.local_endpoint(ec).port();

  Impl* raw = impl.get();
  net::co_spawn(raw->ioc, raw->accept_loop(), [raw](std::exception_ptr e) {
    if (e) raw->log("accept loop ended by an exception");
  });
  if (raw->options.heartbeat.count() > 0) {
    net::co_spawn(raw->ioc, raw->heartbeat_loop(), net::detached);
  }
  raw->thread = std::thread([raw] { raw->ioc.run(); });
  raw->io_thread_id = raw->thread.get_id();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->port; }

void Server::post(std::function<void()> fn) { net::post(impl_->ioc, std::move(fn)); }

void Server::stop() {
  Impl& impl = *impl_;
  if (!impl.stop_requested.exchange(true)) {
    net::post(impl.ioc, [&impl] { impl.begin_shutdown(); });
  }
  if (std::this_thread::get_id() == impl.io_thread_id) return;
  std::lock_guard lock(impl.join_mutex);
  if (impl.thread.joinable()) impl.thread.join();
}

ServerStats Server::stats() const {
  ServerStats stats;
  stats.connections = impl_->open_connections.load(std::memory_order_relaxed);
  stats.ws_clients = impl_->ws_clients.load(std::memory_order_relaxed);
  stats.dropped_clients = impl_->dropped_clients.load(std::memory_order_relaxed);
  stats.requests = impl_->requests.load(std::memory_order_relaxed);
  stats.handler_errors = impl_->handler_errors.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace ccgauge::server

#pragma once
// Small blocking HTTP/1.1 and WebSocket clients for tests, over Beast, to 127.0.0.1.
//
// Every operation has a time limit (5 s unless told otherwise). On an I/O error or a timeout the
// call throws std::runtime_error with a message, so a broken server fails the test instead of
// hanging it. Each client owns a private io_context; use one client from one thread at a time
// (different clients may be used from different threads).
//
// Include this only from test .cpp files: it pulls in Beast.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccgauge::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  int status = 0;
  std::string body;
  Headers headers;  // Names lower-cased, in arrival order.
  bool keep_alive = true;

  // The first header with this name (any case), or "" when absent.
  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (boost::beast::iequals(key, name)) return value;
    }
    return {};
  }
  bool has_header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (boost::beast::iequals(key, name)) return true;
    }
    return false;
  }
};

namespace client_detail {

namespace net = boost::asio;
namespace beast = boost::beast;

// Runs one asynchronous operation to completion on `ioc` and returns its error code.
template <class Initiate>
beast::error_code run_op(net::io_context& ioc, Initiate&& initiate) {
  beast::error_code result = net::error::would_block;
  bool done = false;
  initiate([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc.restart();
  while (!done && ioc.run_one() > 0) {
  }
  if (!done) throw std::runtime_error("test client: operation did not complete");
  return result;
}

inline void check(beast::error_code ec, std::string_view what) {
  if (ec) throw std::runtime_error("test client: " + std::string(what) + ": " + ec.message());
}

inline HttpResult to_result(beast::http::response<beast::http::string_body>&& response) {
  HttpResult result;
  result.status = static_cast<int>(response.result_int());
  result.keep_alive = response.keep_alive();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  result.body = std::move(response.body());
  return result;
}

}  // namespace client_detail

// One keep-alive HTTP/1.1 connection.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : stream_(ioc_), timeout_(timeout), port_(port) {
    namespace net = client_detail::net;
    stream_.expires_after(timeout_);
    net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    client_detail::check(
        client_detail::run_op(
            ioc_, [&](auto handler) { stream_.async_connect(endpoint, std::move(handler)); }),
        "connect");
    stream_.socket().set_option(net::ip::tcp::no_delay(true));
  }

  // Sends one request and reads its response. A Host header is added unless given.
  HttpResult request(std::string_view method, std::string_view target, std::string body = {},
                     const Headers& headers = {}) {
    namespace http = client_detail::beast::http;
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    bool has_host = false;
    for (const auto& [name, value] : headers) {
      req.insert(name, value);
      has_host = has_host || client_detail::beast::iequals(name, "host");
    }
    if (!has_host) req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    req.body() = std::move(body);
    req.prepare_payload();
    stream_.expires_after(timeout_);
    client_detail::check(
        client_detail::run_op(
            ioc_, [&](auto handler) { http::async_write(stream_, req, std::move(handler)); }),
        "write request");
    return read_response(method == "HEAD" ? Expect::kHeadersOnly : Expect::kMessage);
  }

  HttpResult get(std::string_view target, const Headers& headers = {}) {
    return request("GET", target, {}, headers);
  }

  // Writes raw bytes (several pipelined requests, a malformed request).
  void send_raw(std::string_view bytes) {
    stream_.expires_after(timeout_);
    client_detail::check(
        client_detail::run_op(ioc_,
                              [&](auto handler) {
                                client_detail::net::async_write(
                                    stream_, client_detail::net::buffer(bytes.data(), bytes.size()),
                                    std::move(handler));
                              }),
        "write");
  }

  // kHeadersOnly: the answer to a HEAD request, whose Content-Length announces no body.
  enum class Expect { kMessage, kHeadersOnly };

  // Reads one response.
  HttpResult read_response(Expect expect = Expect::kMessage) {
    namespace http = client_detail::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1U << 30);
    parser.skip(expect == Expect::kHeadersOnly);
    stream_.expires_after(timeout_);
    client_detail::check(
        client_detail::run_op(
            ioc_,
            [&](auto handler) { http::async_read(stream_, buffer_, parser, std::move(handler)); }),
        "read response");
    return client_detail::to_result(parser.release());
  }

  // True when the server closes the connection (EOF) within `wait`, false when it stays open.
  bool closed_by_peer(std::chrono::milliseconds wait) {
    char byte = 0;
    stream_.expires_after(wait);
    auto ec = client_detail::run_op(ioc_, [&](auto handler) {
      stream_.async_read_some(client_detail::net::buffer(&byte, 1), std::move(handler));
    });
    if (ec == client_detail::beast::error::timeout) return false;
    if (!ec) throw std::runtime_error("test client: unexpected byte while waiting for close");
    return true;
  }

 private:
  client_detail::net::io_context ioc_;
  client_detail::beast::tcp_stream stream_;
  client_detail::beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
  std::uint16_t port_;
};

struct WsOptions {
  std::string target = "/api/v1/live";
  Headers headers;
  // When positive, SO_RCVBUF is set before connecting: a small receive window makes a client
  // that does not read fall behind quickly.
  int receive_buffer_bytes = 0;
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
};

// One WebSocket connection.
class WsClient {
 public:
  using Options = WsOptions;

  // Connects and completes the handshake; throws when the server refuses the upgrade (the
  // message carries the HTTP status). See try_upgrade() to inspect a refusal.
  explicit WsClient(std::uint16_t port, Options options = Options{})
      : ws_(ioc_), options_(std::move(options)) {
    int status = connect(port);
    if (status != 101) {
      throw std::runtime_error("test client: WebSocket upgrade refused with HTTP " +
                               std::to_string(status));
    }
  }

  // Attempts an upgrade and returns the HTTP status of the answer (101 when accepted).
  static int try_upgrade(std::uint16_t port, Options options = Options{}) {
    WsClient client(port, std::move(options), Deferred{});
    return client.connect(port);
  }

  // The next text message, or nullopt when the server closed the connection (see close_code()
  // and close_reason()). Throws on a timeout or any other error.
  std::optional<std::string> read() { return read_for(options_.timeout); }

  std::optional<std::string> read_for(std::chrono::milliseconds timeout) {
    namespace beast = client_detail::beast;
    buffer_.clear();
    beast::get_lowest_layer(ws_).expires_after(timeout);
    auto ec = client_detail::run_op(
        ioc_, [&](auto handler) { ws_.async_read(buffer_, std::move(handler)); });
    if (ec == beast::websocket::error::closed) return std::nullopt;
    // The close frame arrived but our reply could not be sent (the server already closed the
    // socket): the server did close with a code, which is what a test wants to see.
    if (ec && ws_.reason().code != beast::websocket::close_code::none) return std::nullopt;
    client_detail::check(ec, "WebSocket read");
    return beast::buffers_to_string(buffer_.data());
  }

  void send(std::string_view text) {
    namespace beast = client_detail::beast;
    ws_.text(true);
    beast::get_lowest_layer(ws_).expires_after(options_.timeout);
    client_detail::check(client_detail::run_op(ioc_,
                                               [&](auto handler) {
                                                 ws_.async_write(client_detail::net::buffer(
                                                                     text.data(), text.size()),
                                                                 std::move(handler));
                                               }),
                         "WebSocket write");
  }

  // Starts and completes a normal close from the client side.
  void close() {
    namespace beast = client_detail::beast;
    beast::get_lowest_layer(ws_).expires_after(options_.timeout);
    client_detail::check(client_detail::run_op(ioc_,
                                               [&](auto handler) {
                                                 ws_.async_close(
                                                     beast::websocket::close_code::normal,
                                                     std::move(handler));
                                               }),
                         "WebSocket close");
  }

  // The close code and reason the server sent (valid after read() returned nullopt).
  int close_code() const { return static_cast<int>(ws_.reason().code); }
  std::string close_reason() const { return std::string(ws_.reason().reason.c_str()); }

 private:
  struct Deferred {};
  WsClient(std::uint16_t /*port*/, Options options, Deferred)
      : ws_(ioc_), options_(std::move(options)) {}

  // TCP connect + handshake; returns the HTTP status of the upgrade response.
  int connect(std::uint16_t port) {
    namespace net = client_detail::net;
    namespace beast = client_detail::beast;
    auto& tcp_stream = beast::get_lowest_layer(ws_);
    net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    tcp_stream.socket().open(net::ip::tcp::v4());
    if (options_.receive_buffer_bytes > 0) {
      tcp_stream.socket().set_option(
          net::socket_base::receive_buffer_size(options_.receive_buffer_bytes));
    }
    tcp_stream.expires_after(options_.timeout);
    client_detail::check(
        client_detail::run_op(
            ioc_, [&](auto handler) { tcp_stream.async_connect(endpoint, std::move(handler)); }),
        "connect");
    Headers extra = options_.headers;
    ws_.set_option(
        beast::websocket::stream_base::decorator([extra](beast::websocket::request_type& request) {
          for (const auto& [name, value] : extra) request.set(name, value);
        }));
    beast::websocket::response_type response;
    tcp_stream.expires_after(options_.timeout);
    std::string host = "127.0.0.1:" + std::to_string(port);
    auto ec = client_detail::run_op(ioc_, [&](auto handler) {
      ws_.async_handshake(response, host, options_.target, std::move(handler));
    });
    if (ec && ec != beast::websocket::error::upgrade_declined) {
      if (response.result_int() != 0) return static_cast<int>(response.result_int());
      client_detail::check(ec, "WebSocket handshake");
    }
    return static_cast<int>(response.result_int());
  }

  client_detail::net::io_context ioc_;
  client_detail::beast::websocket::stream<client_detail::beast::tcp_stream> ws_;
  client_detail::beast::flat_buffer buffer_;
  Options options_;
};

}  // namespace ccgauge::testing

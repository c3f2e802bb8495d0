// The daemon's live WebSocket, read with Boost.Beast on a thread of its own.

#include "cli/live/daemon_client.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <mutex>
#include <thread>

namespace ccgauge::cli::live {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Events are small; a message larger than this is not the daemon's.
constexpr std::size_t kMaxMessageBytes = 4 << 20;

std::string event_type(const std::string& json) {
  simdjson::dom::parser parser;
  std::string_view type;
  if (parser.parse(json).get_object()["type"].get(type) != simdjson::SUCCESS) {
    return {};
  }
  return std::string(type);
}

}  // namespace

std::string DaemonEndpoint::name() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

Result<DaemonEndpoint> parse_daemon_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::kInvalidInput, fmt::format("daemon URL '{}': {}", url, why));
  };
  DaemonEndpoint e;
  std::string_view rest = url;
  for (std::string_view scheme : {"ws://", "http://"}) {
    if (rest.starts_with(scheme)) {
      rest.remove_prefix(scheme.size());
    }
  }
  if (rest.starts_with("wss://") || rest.starts_with("https://")) {
    return bad("TLS is not supported (the daemon serves plain HTTP on loopback)");
  }
  auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    if (path != "/") {
      e.path = std::string(path);
    }
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return bad("unclosed '['");
    }
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return bad("expected ':' after ']'");
      }
      port = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (!host.empty()) {
    e.host = std::string(host);
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) > 65535) {
      return bad("bad port");
    }
    e.port = std::string(port);
  }
  return e;
}

struct DaemonClient::Impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::thread thread;
  int event_fd = -1;

  std::mutex mutex;
  // Guarded by mutex.
  std::vector<DaemonEvent> pending;
  bool closed = false;
  std::string reason;

  ~Impl() {
    if (event_fd >= 0) {
      ::close(event_fd);
    }
  }

  void wake() {
    std::uint64_t one = 1;
    (void)!::write(event_fd, &one, sizeof(one));
  }

  // On the reader thread.
  void read_next() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        std::lock_guard<std::mutex> lock(mutex);
        closed = true;
        reason = ec == websocket::error::closed ? std::string("the daemon closed the connection")
                                                : ec.message();
        wake();
        return;
      }
      std::string json = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      DaemonEvent event{event_type(json), std::move(json)};
      {
        std::lock_guard<std::mutex> lock(mutex);
        pending.push_back(std::move(event));
      }
      wake();
      read_next();
    });
  }
};

Result<std::unique_ptr<DaemonClient>> DaemonClient::connect(const DaemonEndpoint& endpoint,
                                                            std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->event_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->event_fd < 0) {
    return fail(Errc::kUnavailable, "eventfd failed");
  }
  Impl& c = *impl;
  c.ws.read_message_max(kMaxMessageBytes);
  std::string token = endpoint.token;
  c.ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
    req.set(http::field::user_agent, "ccgauge-live");
    if (!token.empty()) {
      req.set(http::field::authorization, "Bearer " + token);
    }
  }));

  // The steps run as a chain of handlers on this thread, bounded by run_for(timeout).
  enum class Step { kResolving, kReady, kFailed };
  Step step = Step::kResolving;
  Error error{Errc::kUnavailable, ""};
  websocket::response_type response;
  tcp::resolver resolver(c.ioc);
  std::string host_header = endpoint.name();
  auto failed = [&](Errc code, std::string message) {
    step = Step::kFailed;
    error = Error{code, std::move(message)};
  };
  beast::get_lowest_layer(c.ws).expires_after(timeout);
  resolver.async_resolve(
      endpoint.host, endpoint.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) {
          return failed(Errc::kUnavailable,
                        "cannot resolve " + endpoint.host + ": " + ec.message());
        }
        beast::get_lowest_layer(c.ws).async_connect(results, [&](beast::error_code ec,
                                                                 const tcp::endpoint&) {
          if (ec) {
            return failed(Errc::kUnavailable,
                          "no daemon at " + endpoint.name() + ": " + ec.message());
          }
          c.ws.async_handshake(response, host_header, endpoint.path, [&](beast::error_code ec) {
            if (ec) {
              if (response.result() == http::status::unauthorized) {
                return failed(
                    Errc::kInvalidInput,
                    "the daemon at " + endpoint.name() +
                        " wants a token (set CCGAUGE_TOKEN to the one `ccgauge serve` uses)");
              }
              return failed(Errc::kUnavailable,
                            endpoint.name() + " is not a ccgauge daemon: " + ec.message());
            }
            c.ws.async_read(c.buffer, [&](beast::error_code ec, std::size_t) {
              std::string json = beast::buffers_to_string(c.buffer.data());
              c.buffer.consume(c.buffer.size());
              if (ec || event_type(json) != "snapshot") {
                return failed(Errc::kUnavailable,
                              endpoint.name() + " sent no snapshot: " +
                                  (ec ? ec.message() : std::string("unexpected first message")));
              }
              step = Step::kReady;
            });
          });
        });
      });
  c.ioc.run_for(timeout);
  if (step != Step::kReady) {
    // Whatever is still pending ends with operation_aborted; run it out before the handlers'
    // captures go out of scope.
    beast::error_code ignored;
    resolver.cancel();
    beast::get_lowest_layer(c.ws).socket().close(ignored);
    c.ioc.restart();
    c.ioc.run();
    if (step == Step::kResolving) {
      failed(Errc::kUnavailable, "no answer from " + endpoint.name() + " in time");
    }
    return tl::unexpected(error);
  }
  beast::get_lowest_layer(c.ws).expires_never();
  c.ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  c.ioc.restart();
  c.read_next();
  c.thread = std::thread([&c] { c.ioc.run(); });
  return std::unique_ptr<DaemonClient>(new DaemonClient(std::move(impl)));
}

DaemonClient::DaemonClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DaemonClient::~DaemonClient() {
  Impl& c = *impl_;
  net::post(c.ioc, [&c] {
    beast::error_code ignored;
    beast::get_lowest_layer(c.ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(c.ws).socket().close(ignored);
    c.ioc.stop();
  });
  if (c.thread.joinable()) {
    c.thread.join();
  }
}

int DaemonClient::fd() const { return impl_->event_fd; }

DaemonClient::Drained DaemonClient::drain() {
  std::uint64_t count = 0;
  (void)!::read(impl_->event_fd, &count, sizeof(count));
  Drained out;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  out.events = std::move(impl_->pending);
  impl_->pending.clear();
  out.closed = impl_->closed;
  out.reason = impl_->reason;
  return out;
}

}  // namespace ccgauge::cli::live

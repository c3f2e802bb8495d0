#pragma once
// A client of the daemon's live WebSocket (`ccgauge serve`, ws://HOST:PORT/api/v1/live), for
// `ccgauge live`: it connects, checks that the first message is the daemon's snapshot, then
// receives events on a thread of its own and hands them over through a descriptor the caller
// polls. No Beast types here: they stay in daemon_client.cpp.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ccgauge::cli::live {

struct DaemonEndpoint {
  std::string host = "127.0.0.1";
  std::string port = "8321";
  std::string path = "/api/v1/live";
  std::string token;  // sent as "Authorization: Bearer ..." when not empty

  // "host:port" for messages.
  std::string name() const;
};

// Accepts "HOST:PORT", "HOST", ":PORT", "[v6]:PORT", and ws:// or http:// URLs of those with an
// optional path (the default path otherwise). Anything else is kInvalidInput.
Result<DaemonEndpoint> parse_daemon_url(std::string_view url);

// One message from the daemon. Only the type is decoded: the TUI reads its figures from the
// ledger, which the daemon has committed before it publishes.
struct DaemonEvent {
  std::string type;  // "request", "session_start", "session_end", "limit", "alert", "heartbeat"
  std::string json;  // the message as received
};

// Owns a connection and the thread that reads it. The caller's thread polls fd() and calls
// drain(); both may be called from one thread only (the caller's).
class DaemonClient {
 public:
  // Connects, upgrades and waits for the snapshot, all within `timeout`. Fails with kUnavailable
  // when nothing answers in time or the peer is not a ccgauge daemon (no upgrade, or a first
  // message that is not a snapshot), kInvalidInput when the daemon refuses the token.
  static Result<std::unique_ptr<DaemonClient>> connect(const DaemonEndpoint& endpoint,
                                                       std::chrono::milliseconds timeout);

  // Closes the connection and joins the reader thread.
  ~DaemonClient();
  DaemonClient(const DaemonClient&) = delete;
  DaemonClient& operator=(const DaemonClient&) = delete;

  // Readable while events or the end of the connection wait to be drained.
  int fd() const;

  struct Drained {
    std::vector<DaemonEvent> events;
    bool closed = false;  // the connection ended; no more events will come
    std::string reason;   // why it ended
  };
  // Everything received since the last call; never blocks.
  Drained drain();

 private:
  struct Impl;
  explicit DaemonClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccgauge::cli::live

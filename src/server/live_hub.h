#pragma once
// The live event fan-out behind the WebSocket at /api/v1/live.
//
// The daemon publishes LiveEvents (a request was recorded, a session started, a limit moved, an
// alert fired) from any thread; the hub queues each one for every connected client whose filter
// matches. The server's WebSocket sessions (io thread) drain those queues onto their sockets.
//
// Backpressure: every client has a bounded queue. A publish that finds a client's queue full drops
// that client (its queue is freed, the server closes its socket with 1008 "too slow: ...") and
// goes on; a publisher never waits for a client, and one slow client never delays the others.
//
// Thread safety: every member function may be called from any thread. publish() holds the hub's
// lock for a time proportional to the number of clients (a filter test and a queue push each);
// it never does I/O.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ccgauge::server {

// One event for live clients.
struct LiveEvent {
  // One of kLiveEventTypes: "request", "session_start", "session_end", "session_status",
  // "hook", "harness", "limit", "alert", "heartbeat", "snapshot".
  std::string type;
  // The complete event as JSON text; sent to clients verbatim as one text message. The
  // convention is an object whose "type" member equals `type`.
  std::string json;
  // Filter keys, empty when the event has none (a limit event has no session).
  std::string project;
  std::string session;
  std::string model;
  std::int64_t tokens = 0;  // Total tokens of a "request" event.
};

// The event types a client may subscribe to.
inline constexpr std::string_view kLiveEventTypes[] = {
    "request", "session_start", "session_end", "session_status", "hook",     "harness",
    "limit",   "alert",         "heartbeat",   "snapshot"};

// What one client wants to receive. An empty list means "all".
//
// Matching rules: `types` applies to every event; `projects`, `sessions` and `models` apply only
// to events that carry that key (an event with no project passes a project filter, so a client
// watching one project still sees the account-wide limit events); `min_tokens` applies only to
// "request" events. Heartbeats pass every filter: they tell a client the stream is alive.
struct LiveFilter {
  std::vector<std::string> types;
  std::vector<std::string> projects;
  std::vector<std::string> sessions;
  std::vector<std::string> models;
  std::int64_t min_tokens = 0;

  bool matches(const LiveEvent& event) const;
  // {"types":[...],"projects":[...],"sessions":[...],"models":[...],"min_tokens":N}
  std::string to_json() const;
};

// Parses a client's text message:
//   {"subscribe":{"types":["request","limit"],"projects":["/home/u/app"],"sessions":[...],
//                 "models":[...],"min_tokens":1000}}
// Missing, null or empty lists mean "all". Fails (kInvalidInput, with a message fit to send back)
// on invalid JSON, a message without a "subscribe" object, an unknown key, a list that is not an
// array of strings, an unknown event type, or a min_tokens that is not a non-negative integer.
Result<LiveFilter> parse_subscribe_message(std::string_view text);

// {"type":"subscribed","filters":<filter.to_json()>}
std::string subscribed_message(const LiveFilter& filter);
// {"type":"error","message":"..."}
std::string live_error_message(std::string_view message);

struct LiveHubStats {
  std::size_t clients = 0;            // Clients connected now.
  std::uint64_t dropped_clients = 0;  // Clients dropped so far because their queue overflowed.
  std::uint64_t published = 0;        // Events published so far.
  std::uint64_t delivered = 0;        // Messages queued to clients so far (events x clients).
};

class LiveHub {
 private:
  struct HubState;
  struct ClientState;

 public:
  // One serialized event, shared by every queue it sits in.
  using Message = std::shared_ptr<const std::string>;

  LiveHub();
  ~LiveHub();
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // Sets the function that produces the snapshot: the complete JSON text (conventionally
  // {"type":"snapshot",...}) every new client receives before any event. It is called on the
  // server's io thread once per new client, after the client has joined the hub, so an event
  // published meanwhile may show in the snapshot and also follow it, but is never missed. Without
  // a provider new clients get {"type":"snapshot"}. May be replaced at any time.
  void set_snapshot_provider(std::function<std::string()> provider);

  // The snapshot for a new client. An exception from the provider becomes a
  // {"type":"error","message":"snapshot failed: ..."} message.
  std::string snapshot() const;

  // Queues the event for every client whose filter matches; drops each client whose queue is
  // already full. Never blocks on a client.
  void publish(const LiveEvent& event);

  LiveHubStats stats() const;

  // The hub's side of one connected client, owned by the server's WebSocket session. Destroying
  // it removes the client from the hub. Its functions may be called from any thread, but the
  // session is their one intended caller.
  class Client {
   public:
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // The oldest queued message, or null when the queue is empty. After a null, the next message
    // queued (or a drop) calls `wake` once.
    Message next();
    // True once the hub dropped this client because its queue overflowed; its queue is then
    // empty and it receives nothing more.
    bool dropped() const;
    // Replaces the filter and queues the "subscribed" reply in one step: every event queued after
    // the reply matches the new filter, every one before it matched the old.
    void set_filter(LiveFilter filter);
    // Queues a message for this client alone (an error reply). It counts against the queue limit.
    void send(std::string json);
    std::size_t queue_limit() const;

   private:
    friend class LiveHub;
    Client(std::shared_ptr<HubState> hub, std::shared_ptr<ClientState> state);
    std::shared_ptr<HubState> hub_;
    std::shared_ptr<ClientState> state_;
  };

  // Adds a client with an empty filter (everything) and a queue of at most `queue_limit`
  // messages (at least 1). `wake` is called from the publishing thread, under the hub's lock,
  // when a message is queued after next() returned null, and when the client is dropped; it must
  // not block and must not call back into the hub (it should post to the io thread).
  std::unique_ptr<Client> connect(std::size_t queue_limit, std::function<void()> wake);

 private:
  // Shared with every Client, so a Client may outlive the LiveHub harmlessly.
  std::shared_ptr<HubState> state_;
};

}  // namespace ccgauge::server

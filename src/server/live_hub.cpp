#include "server/live_hub.h"

#include <simdjson.h>

#include <algorithm>
#include <exception>
#include <mutex>

#include "core/json_writer.h"

namespace ccgauge::server {
namespace {

namespace dom = simdjson::dom;

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// An empty list allows everything; a key the event does not carry passes.
bool key_allowed(const std::vector<std::string>& list, const std::string& value) {
  return list.empty() || value.empty() || contains(list, value);
}

bool is_known_type(std::string_view type) {
  return std::find(std::begin(kLiveEventTypes), std::end(kLiveEventTypes), type) !=
         std::end(kLiveEventTypes);
}

void write_list(JsonWriter& w, std::string_view key, const std::vector<std::string>& list) {
  w.key(key).begin_array();
  for (const std::string& item : list) w.value(item);
  w.end_array();
}

// Reads a list of strings (null means empty) into *out.
Status read_string_list(dom::element value, std::string_view key, std::vector<std::string>* out) {
  out->clear();
  if (value.is_null()) return {};
  dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return fail(Errc::kInvalidInput, "\"" + std::string(key) + "\" must be an array of strings");
  }
  for (dom::element item : array) {
    std::string_view text;
    if (item.get_string().get(text) != simdjson::SUCCESS) {
      return fail(Errc::kInvalidInput, "\"" + std::string(key) + "\" must be an array of strings");
    }
    if (!contains(*out, text)) out->emplace_back(text);
  }
  return {};
}

Status read_min_tokens(dom::element value, std::int64_t* out) {
  if (value.is_null()) {
    *out = 0;
    return {};
  }
  std::int64_t n = 0;
  if (value.get_int64().get(n) != simdjson::SUCCESS || n < 0) {
    return fail(Errc::kInvalidInput, "\"min_tokens\" must be a non-negative integer");
  }
  *out = n;
  return {};
}

}  // namespace

// ---- filters and messages -------------------------------------------------------------------

bool LiveFilter::matches(const LiveEvent& event) const {
  if (event.type == "heartbeat") return true;
  if (!types.empty() && !contains(types, event.type)) return false;
  if (!key_allowed(projects, event.project)) return false;
  if (!key_allowed(sessions, event.session)) return false;
  if (!key_allowed(models, event.model)) return false;
  return event.type != "request" || event.tokens >= min_tokens;
}

std::string LiveFilter::to_json() const {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  write_list(w, "types", types);
  write_list(w, "projects", projects);
  write_list(w, "sessions", sessions);
  write_list(w, "models", models);
  w.key("min_tokens").value(min_tokens);
  w.end_object();
  return w.take();
}

Result<LiveFilter> parse_subscribe_message(std::string_view text) {
  dom::parser parser;
  dom::element root;
  if (auto error = parser.parse(text.data(), text.size()).get(root)) {
    return fail(Errc::kInvalidInput,
                std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  dom::object spec;
  if (root["subscribe"].get_object().get(spec) != simdjson::SUCCESS) {
    return fail(Errc::kInvalidInput, "expected {\"subscribe\":{...}}");
  }
  LiveFilter filter;
  for (dom::key_value_pair field : spec) {
    Status status;
    if (field.key == "types") {
      status = read_string_list(field.value, field.key, &filter.types);
    } else if (field.key == "projects") {
      status = read_string_list(field.value, field.key, &filter.projects);
    } else if (field.key == "sessions") {
      status = read_string_list(field.value, field.key, &filter.sessions);
    } else if (field.key == "models") {
      status = read_string_list(field.value, field.key, &filter.models);
    } else if (field.key == "min_tokens") {
      status = read_min_tokens(field.value, &filter.min_tokens);
    } else {
      status = fail(Errc::kInvalidInput,
                    "unknown subscribe key \"" + std::string(field.key) +
                        "\" (known: types, projects, sessions, models, min_tokens)");
    }
    if (!status) return tl::unexpected(status.error());
  }
  for (const std::string& type : filter.types) {
    if (!is_known_type(type)) {
      return fail(Errc::kInvalidInput, "unknown event type \"" + type + "\"");
    }
  }
  return filter;
}

std::string subscribed_message(const LiveFilter& filter) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object().key("type").value("subscribed").key("filters").raw(filter.to_json());
  w.end_object();
  return w.take();
}

std::string live_error_message(std::string_view message) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object().key("type").value("error").key("message").value(message).end_object();
  return w.take();
}

// ---- the hub --------------------------------------------------------------------------------

struct LiveHub::ClientState {
  std::size_t limit = 1;
  std::function<void()> wake;
  // Guarded by HubState::mutex.
  LiveFilter filter;
  std::deque<Message> queue;
  bool wants_wake = false;  // next() returned null; the next push calls wake.
  bool dropped = false;
  bool attached = true;  // In HubState::clients.
};

struct LiveHub::HubState {
  mutable std::mutex mutex;
  // Guarded by mutex.
  std::vector<std::shared_ptr<ClientState>> clients;
  std::function<std::string()> snapshot_provider;
  std::uint64_t dropped_clients = 0;
  std::uint64_t published = 0;
  std::uint64_t delivered = 0;

  // Queues `message` for `client`, or drops the client when its queue is full. Returns false
  // when the client was dropped (the caller removes it from `clients`). Requires mutex.
  bool push(ClientState& client, Message message) {
    if (client.queue.size() >= client.limit) {
      client.dropped = true;
      client.attached = false;
      client.queue.clear();
      client.wants_wake = false;
      ++dropped_clients;
      client.wake();
      return false;
    }
    client.queue.push_back(std::move(message));
    ++delivered;
    if (client.wants_wake) {
      client.wants_wake = false;
      client.wake();
    }
    return true;
  }

  // Requires mutex.
  void remove_detached() {
    clients.erase(
        std::remove_if(clients.begin(), clients.end(), [](const auto& c) { return !c->attached; }),
        clients.end());
  }
};

LiveHub::LiveHub() : state_(std::make_shared<HubState>()) {}

LiveHub::~LiveHub() = default;

void LiveHub::set_snapshot_provider(std::function<std::string()> provider) {
  std::lock_guard lock(state_->mutex);
  state_->snapshot_provider = std::move(provider);
}

std::string LiveHub::snapshot() const {
  std::function<std::string()> provider;
  {
    std::lock_guard lock(state_->mutex);
    provider = state_->snapshot_provider;
  }
  if (!provider) return R"({"type":"snapshot"})";
  try {
    return provider();
  } catch (const std::exception& e) {
    return live_error_message(std::string("snapshot failed: ") + e.what());
  } catch (...) {
    return live_error_message("snapshot failed");
  }
}

void LiveHub::publish(const LiveEvent& event) {
  auto message = std::make_shared<const std::string>(event.json);
  std::lock_guard lock(state_->mutex);
  ++state_->published;
  bool any_dropped = false;
  for (const auto& client : state_->clients) {
    if (!client->filter.matches(event)) continue;
    if (!state_->push(*client, message)) any_dropped = true;
  }
  if (any_dropped) state_->remove_detached();
}

LiveHubStats LiveHub::stats() const {
  std::lock_guard lock(state_->mutex);
  return LiveHubStats{state_->clients.size(), state_->dropped_clients, state_->published,
                      state_->delivered};
}

std::unique_ptr<LiveHub::Client> LiveHub::connect(std::size_t queue_limit,
                                                  std::function<void()> wake) {
  auto client = std::make_shared<ClientState>();
  client->limit = std::max<std::size_t>(queue_limit, 1);
  client->wake = std::move(wake);
  {
    std::lock_guard lock(state_->mutex);
    state_->clients.push_back(client);
  }
  return std::unique_ptr<Client>(new Client(state_, std::move(client)));
}

// ---- one client -----------------------------------------------------------------------------

LiveHub::Client::Client(std::shared_ptr<HubState> hub, std::shared_ptr<ClientState> state)
    : hub_(std::move(hub)), state_(std::move(state)) {}

LiveHub::Client::~Client() {
  std::lock_guard lock(hub_->mutex);
  state_->attached = false;
  hub_->remove_detached();
}

LiveHub::Message LiveHub::Client::next() {
  std::lock_guard lock(hub_->mutex);
  if (state_->queue.empty()) {
    state_->wants_wake = !state_->dropped;
    return nullptr;
  }
  Message message = std::move(state_->queue.front());
  state_->queue.pop_front();
  return message;
}

bool LiveHub::Client::dropped() const {
  std::lock_guard lock(hub_->mutex);
  return state_->dropped;
}

void LiveHub::Client::set_filter(LiveFilter filter) {
  auto reply = std::make_shared<const std::string>(subscribed_message(filter));
  std::lock_guard lock(hub_->mutex);
  if (!state_->attached) return;
  state_->filter = std::move(filter);
  if (!hub_->push(*state_, std::move(reply))) hub_->remove_detached();
}

void LiveHub::Client::send(std::string json) {
  auto message = std::make_shared<const std::string>(std::move(json));
  std::lock_guard lock(hub_->mutex);
  if (!state_->attached) return;
  if (!hub_->push(*state_, std::move(message))) hub_->remove_detached();
}

std::size_t LiveHub::Client::queue_limit() const { return state_->limit; }

}  // namespace ccgauge::server

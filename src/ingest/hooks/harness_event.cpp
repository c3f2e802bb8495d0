#include "ingest/hooks/harness_event.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>

#include "core/json_writer.h"
#include "core/time.h"
#include "ingest/hooks/hook_event.h"

namespace ccgauge::ingest {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kIdFields[] = {"event",   "source",     "task_id",
                                          "label",   "project",    "session_id",
                                          "event_id", "host",       "user"};
constexpr std::string_view kOtherFields[] = {"duration_ms", "success", "error", "timestamp"};

std::string* id_field(HarnessEvent& e, std::string_view key) {
  if (key == "event") return &e.event;
  if (key == "source") return &e.source;
  if (key == "task_id") return &e.task_id;
  if (key == "label") return &e.label;
  if (key == "project") return &e.project;
  if (key == "session_id") return &e.session_id;
  if (key == "event_id") return &e.event_id;
  if (key == "host") return &e.host;
  if (key == "user") return &e.user;
  return nullptr;
}

Error invalid(std::string message) { return Error{Errc::kInvalidInput, std::move(message)}; }

Result<std::string> read_id(std::string_view key, dom::element value) {
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS) {
    // Numbers are accepted for ids (task 17), written as they came.
    std::int64_t n;
    if (key != "event" && value.get_int64().get(n) == simdjson::SUCCESS) {
      return std::to_string(n);
    }
    return tl::unexpected(invalid(fmt::format("harness event: \"{}\" must be a string", key)));
  }
  if (s.size() > kMaxHarnessIdBytes) {
    return tl::unexpected(invalid(fmt::format("harness event: \"{}\" is longer than {} bytes", key,
                                              kMaxHarnessIdBytes)));
  }
  return std::string(s);
}

Result<std::int64_t> read_duration(dom::element value) {
  double d;
  if (value.get_double().get(d) != simdjson::SUCCESS) {
    std::int64_t i;
    if (value.get_int64().get(i) != simdjson::SUCCESS) {
      return tl::unexpected(invalid("harness event: \"duration_ms\" must be a number"));
    }
    d = static_cast<double>(i);
  }
  if (!std::isfinite(d) || d < 0 || d > 1e15) {
    return tl::unexpected(
        invalid("harness event: \"duration_ms\" must be a non-negative number of milliseconds"));
  }
  return static_cast<std::int64_t>(std::llround(d));
}

// ISO 8601 text, or epoch seconds (numbers past the year 2286 in seconds are milliseconds).
Result<Instant> read_timestamp(dom::element value) {
  std::string_view s;
  if (value.get_string().get(s) == simdjson::SUCCESS) {
    if (auto t = parse_timestamp(s)) {
      return *t;
    }
    return tl::unexpected(invalid(
        fmt::format("harness event: \"timestamp\" '{}' is not an ISO 8601 time", cut_utf8(s, 64))));
  }
  double d;
  if (value.get_double().get(d) == simdjson::SUCCESS && std::isfinite(d) && d > 0 && d < 1e14) {
    double ms = d > 1e10 ? d : d * 1000;
    return from_epoch_ms(static_cast<std::int64_t>(std::llround(ms)));
  }
  return tl::unexpected(invalid(
      "harness event: \"timestamp\" must be ISO 8601 text or epoch seconds or milliseconds"));
}

Status read_field(HarnessEvent& event, std::string_view key, dom::element value) {
  if (std::string* id = id_field(event, key)) {
    auto text = read_id(key, value);
    if (!text) {
      return tl::unexpected(text.error());
    }
    *id = std::move(*text);
  } else if (key == "duration_ms") {
    auto d = read_duration(value);
    if (!d) {
      return tl::unexpected(d.error());
    }
    event.duration_ms = *d;
  } else if (key == "success") {
    bool b;
    if (value.get_bool().get(b) != simdjson::SUCCESS) {
      return tl::unexpected(invalid("harness event: \"success\" must be true or false"));
    }
    event.success = b;
  } else if (key == "error") {
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) {
      return tl::unexpected(invalid("harness event: \"error\" must be a string"));
    }
    event.error = std::string(cut_utf8(s, kMaxHarnessErrorBytes));
  } else if (key == "timestamp") {
    auto t = read_timestamp(value);
    if (!t) {
      return tl::unexpected(t.error());
    }
    event.timestamp = *t;
  }
  return {};
}

// A field the format does not name: kept when its value is a scalar.
void keep_extra(HarnessEvent& event, std::string_view key, dom::element value) {
  if (event.extra.size() == kMaxHarnessExtraFields || key.empty() || key.size() > 64) {
    return;
  }
  std::string text;
  std::string_view s;
  switch (value.type()) {
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
    case dom::element_type::BOOL:
      text = simdjson::minify(value);
      break;
    case dom::element_type::STRING:
      if (value.get_string().get(s) != simdjson::SUCCESS) {
        return;
      }
      text = "\"";
      json_escape_to(text, cut_utf8(s, kMaxHarnessErrorBytes));
      text += '"';
      break;
    default:
      return;
  }
  event.extra.emplace_back(std::string(key), std::move(text));
}

bool is_named_field(std::string_view key) {
  for (std::string_view k : kIdFields) {
    if (k == key) return true;
  }
  for (std::string_view k : kOtherFields) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace

Result<HarnessEvent> parse_harness_event(std::string_view json) {
  dom::parser parser;
  dom::element root;
  if (auto e = parser.parse(json.data(), json.size()).get(root)) {
    return fail(Errc::kInvalidInput,
                fmt::format("harness event is not JSON: {}", simdjson::error_message(e)));
  }
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return fail(Errc::kInvalidInput, "harness event must be a JSON object");
  }
  HarnessEvent event;
  for (dom::key_value_pair field : object) {
    if (field.value.is_null()) {
      continue;
    }
    if (!is_named_field(field.key)) {
      keep_extra(event, field.key, field.value);
      continue;
    }
    if (auto s = read_field(event, field.key, field.value); !s) {
      return tl::unexpected(s.error());
    }
  }
  if (event.event.empty()) {
    return fail(Errc::kInvalidInput,
                "harness event: \"event\" is required (a name such as \"start\" or \"end\")");
  }
  return event;
}

std::string harness_event_json(const HarnessEvent& e) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  auto text = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) {
      w.key(key).value(value);
    }
  };
  text("source", e.source);
  text("event", e.event);
  text("task_id", e.task_id);
  text("label", e.label);
  text("project", e.project);
  text("session_id", e.session_id);
  if (e.duration_ms) {
    w.key("duration_ms").value(*e.duration_ms);
  }
  if (e.success) {
    w.key("success").value(*e.success);
  }
  text("error", e.error);
  if (e.timestamp) {
    w.key("timestamp").value(format_iso_ms(*e.timestamp));
  }
  text("event_id", e.event_id);
  text("host", e.host);
  text("user", e.user);
  for (const auto& [key, value] : e.extra) {
    w.key(key).raw(value);
  }
  w.end_object();
  return w.take();
}

}  // namespace ccgauge::ingest

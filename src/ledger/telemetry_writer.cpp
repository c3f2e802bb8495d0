#include "ledger/telemetry_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "core/json_writer.h"
#include "core/time.h"

namespace ccgauge::ledger {
namespace {

constexpr const char* kInsertOrigin = R"sql(
INSERT INTO origins(key, service_name, service_version, host, user_id, user_email,
  user_account_uuid, organization_id, terminal_type, resource)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(key) DO NOTHING
)sql";

// Events are inserted kEventsPerInsert at a time (fewer statements to run; the rows and their
// index entries cost the same), the rest one by one. Columns per row, as bound by write_events.
constexpr int kEventsPerInsert = 32;
constexpr int kEventColumns = 16;

// OR IGNORE skips an event whose key is stored already (a retried export). It could also skip a
// row with a NULL in a NOT NULL column, but write_events binds a value to every one of those.
// Unlike ON CONFLICT DO NOTHING (with NOT NULL's default ABORT), it lets SQLite run a statement
// of many rows without a statement journal.
std::string insert_events_sql(int rows) {
  std::string sql =
      "INSERT OR IGNORE INTO events(key, ts, source, name, session, project, host, user, tool, "
      "tool_use_id, success, duration_ms, error, attributes, origin, model, prompt_id) VALUES";
  for (int i = 0; i < rows; ++i) {
    sql += i == 0 ? "(" : ",(";
    for (int c = 0; c < kEventColumns; ++c) {
      sql += c == 0 ? "?" : c == 2 ? ",'otlp',?" : ",?";
    }
    sql += ")";
  }
  return sql;
}

constexpr const char* kInsertPoint = R"sql(
INSERT INTO metric_points(ts, start_ts, name, unit, kind, value, session, model, type, project,
  host, user, origin, attributes)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
)sql";

// Attributes that have columns of their own (or live in the origin), left out of the
// `attributes` JSON.
constexpr std::string_view kColumnAttributes[] = {
    "session.id", "event.name",      "model",           "prompt.id",     "user.id",
    "user.email", "user.account_uuid", "organization.id", "terminal.type", "host.name"};

bool has_column(std::string_view key) {
  return std::find(std::begin(kColumnAttributes), std::end(kColumnAttributes), key) !=
         std::end(kColumnAttributes);
}

// {"key":"value",...}: values are the normalized text of core/telemetry.h.
std::string attributes_json(const Attributes& attributes, bool skip_columns) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  for (const auto& [key, value] : attributes) {
    if (!skip_columns || !has_column(key)) {
      w.key(key).value(value);
    }
  }
  w.end_object();
  return w.take();
}

// The attribute's text (owned by `attributes`), or empty.
std::string_view text_of(const Attributes& attributes, std::string_view key) {
  const std::string* v = find_attribute(attributes, key);
  return v != nullptr ? std::string_view(*v) : std::string_view();
}

std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Length-prefixed pieces, so no two different origins share a canonical text.
void append_piece(std::string& out, std::string_view piece) {
  fmt::format_to(std::back_inserter(out), "{}:", piece.size());
  out.append(piece);
}

}  // namespace

std::string_view user_of(const TelemetryOrigin& origin) {
  if (!origin.user_email.empty()) {
    return origin.user_email;
  }
  if (!origin.user_account_uuid.empty()) {
    return origin.user_account_uuid;
  }
  return origin.user_id;
}

namespace {

void append_int(std::string& out, std::int64_t n) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), n);
  out.append(buffer, end);
}

// otlp_event_key() into `out`; `stamp` is the event.timestamp attribute or null.
void append_event_key(std::string& out, const TelemetryEvent& e, const std::string* stamp) {
  // Readable and ordered (session, then sequence): the unique index grows at its end instead of
  // at random places, which keeps inserts cheap.
  out.append("otlp|").append(e.session_id).push_back('|');
  if (e.sequence) {
    append_int(out, *e.sequence);
    out.push_back('|');
    if (stamp != nullptr) {
      out.append(*stamp);
    } else {
      append_int(out, to_epoch_ms(e.instant));
    }
    out.append("|").append(e.name);
    return;
  }
  std::uint64_t h = 0xcbf29ce484222325ULL;
  h = fnv1a(h, e.name);
  h = fnv1a(h, e.session_id);
  std::int64_t ms = to_epoch_ms(e.instant);
  h = fnv1a(h, std::string_view(reinterpret_cast<const char*>(&ms), sizeof(ms)));
  for (const auto& [key, value] : e.attributes) {
    h = fnv1a(fnv1a(h, key), "\x1f");
    h = fnv1a(fnv1a(h, value), "\x1e");
  }
  fmt::format_to(std::back_inserter(out), "h:{:016x}", h);
}

// What write_events reads from an event's attributes, in one pass: the first occurrence of each
// key, as find_attribute() gives it.
struct EventColumns {
  const std::string* stamp = nullptr;  // event.timestamp
  const std::string* project = nullptr;
  const std::string* tool = nullptr;
  const std::string* tool_use_id = nullptr;
  const std::string* success = nullptr;
  const std::string* duration_ms = nullptr;
  const std::string* error = nullptr;
  const std::string* error_type = nullptr;
};

std::string_view view_of(const std::string* s) {
  return s != nullptr ? std::string_view(*s) : std::string_view();
}

std::optional<bool> bool_text(const std::string* v) {
  if (v == nullptr) {
    return std::nullopt;
  }
  if (*v == "true" || *v == "True" || *v == "TRUE" || *v == "1") {
    return true;
  }
  if (*v == "false" || *v == "False" || *v == "FALSE" || *v == "0") {
    return false;
  }
  return std::nullopt;
}

std::optional<std::int64_t> int_text(const std::string* v) {
  if (v == nullptr || v->empty()) {
    return std::nullopt;
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
  if (ec != std::errc() || ptr != v->data() + v->size() || !std::isfinite(d) ||
      std::abs(d) >= 9.2e18) {
    return std::nullopt;
  }
  return std::llround(d);
}

// Reads the columns and writes the `attributes` JSON (attributes_json(attributes, true)) into
// `json`.
EventColumns event_columns(const Attributes& attributes, std::string& json) {
  struct Slot {
    std::string_view key;
    const std::string* EventColumns::*column;
  };
  static constexpr Slot kSlots[] = {
      {"event.timestamp", &EventColumns::stamp}, {"project", &EventColumns::project},
      {"tool_name", &EventColumns::tool},        {"tool_use_id", &EventColumns::tool_use_id},
      {"success", &EventColumns::success},       {"duration_ms", &EventColumns::duration_ms},
      {"error", &EventColumns::error},           {"error_type", &EventColumns::error_type}};
  EventColumns c;
  json.assign("{");
  bool first = true;
  for (const auto& [key_text, value] : attributes) {
    std::string_view key = key_text;
    for (const Slot& slot : kSlots) {
      if (key == slot.key) {
        if (c.*slot.column == nullptr) {
          c.*slot.column = &value;
        }
        break;
      }
    }
    if (has_column(key)) {
      continue;
    }
    json.append(first ? "\"" : ",\"");
    first = false;
    json_escape_to(json, key);
    json.append("\":\"");
    json_escape_to(json, value);
    json.push_back('"');
  }
  json.push_back('}');
  return c;
}

}  // namespace

std::string otlp_event_key(const TelemetryEvent& e) {
  std::string key;
  append_event_key(key, e, find_attribute(e.attributes, "event.timestamp"));
  return key;
}

TelemetryWriter::TelemetryWriter(Statement insert_origin, Statement find_origin,
                                 Statement insert_event, Statement insert_events,
                                 Statement insert_point)
    : insert_origin_(std::move(insert_origin)),
      find_origin_(std::move(find_origin)),
      insert_event_(std::move(insert_event)),
      insert_events_(std::move(insert_events)),
      insert_point_(std::move(insert_point)) {}

Result<TelemetryWriter> TelemetryWriter::prepare(Database& db) {
  auto insert_origin = db.prepare(kInsertOrigin);
  auto find_origin = db.prepare("SELECT id FROM origins WHERE key = ?1");
  auto insert_event = db.prepare(insert_events_sql(1));
  auto insert_events = db.prepare(insert_events_sql(kEventsPerInsert));
  auto insert_point = db.prepare(kInsertPoint);
  for (auto* r : {&insert_origin, &find_origin, &insert_event, &insert_events, &insert_point}) {
    if (!*r) {
      return tl::unexpected(r->error());
    }
  }
  return TelemetryWriter(std::move(*insert_origin), std::move(*find_origin),
                         std::move(*insert_event), std::move(*insert_events),
                         std::move(*insert_point));
}

Result<std::int64_t> TelemetryWriter::origin_id(const TelemetryOrigin& o) {
  if (last_origin_ && *last_origin_ == o) {
    return last_origin_id_;
  }
  auto id = lookup_origin(o);
  if (id) {
    last_origin_ = o;
    last_origin_id_ = *id;
  }
  return id;
}

Result<std::int64_t> TelemetryWriter::origin_id(
    const std::shared_ptr<const TelemetryOrigin>& origin) {
  if (origin != last_shared_origin_) {
    auto id = origin_id(*origin);
    if (!id) {
      return id;
    }
    last_shared_origin_ = origin;
    last_shared_origin_id_ = *id;
  }
  return last_shared_origin_id_;
}

Result<std::int64_t> TelemetryWriter::lookup_origin(const TelemetryOrigin& o) {
  scratch_.clear();
  for (std::string_view piece : {std::string_view(o.service_name), std::string_view(o.service_version),
                                 std::string_view(o.host), std::string_view(o.user_id),
                                 std::string_view(o.user_email), std::string_view(o.user_account_uuid),
                                 std::string_view(o.organization_id),
                                 std::string_view(o.terminal_type)}) {
    append_piece(scratch_, piece);
  }
  for (const auto& [key, value] : o.resource) {
    append_piece(scratch_, key);
    append_piece(scratch_, value);
  }
  if (auto it = origin_ids_.find(scratch_); it != origin_ids_.end()) {
    return it->second;
  }
  std::string resource = attributes_json(o.resource, false);
  insert_origin_.bind(1, scratch_)
      .bind(2, o.service_name)
      .bind(3, o.service_version)
      .bind(4, o.host)
      .bind(5, o.user_id)
      .bind(6, o.user_email)
      .bind(7, o.user_account_uuid)
      .bind(8, o.organization_id)
      .bind(9, o.terminal_type)
      .bind(10, resource);
  if (auto s = insert_origin_.run(); !s) {
    return tl::unexpected(s.error());
  }
  find_origin_.bind(1, scratch_);
  auto step = find_origin_.step();
  if (!step || *step != Statement::StepResult::kRow) {
    find_origin_.reset();
    return step ? fail(Errc::kInternal, "origin row missing after insert")
                : tl::unexpected(step.error());
  }
  std::int64_t id = find_origin_.column_int(0);
  find_origin_.reset();
  origin_ids_.emplace(scratch_, id);
  return id;
}

Result<std::int64_t> TelemetryWriter::write_events(Database& db,
                                                   const std::vector<TelemetryEvent>& events) {
  static const TelemetryOrigin kUnknown;
  std::int64_t inserted = 0;
  // Bound text must live until its statement ran: one key and one JSON text per row.
  key_scratch_.resize(kEventsPerInsert);
  json_scratch_.resize(kEventsPerInsert);
  std::size_t done = 0;
  while (done < events.size()) {
    bool chunk = events.size() - done >= static_cast<std::size_t>(kEventsPerInsert);
    Statement& insert = chunk ? insert_events_ : insert_event_;
    int rows = chunk ? kEventsPerInsert : 1;
    for (int row = 0; row < rows; ++row) {
      const TelemetryEvent& e = events[done + static_cast<std::size_t>(row)];
      const TelemetryOrigin& o = e.origin != nullptr ? *e.origin : kUnknown;
      std::optional<std::int64_t> origin;
      if (e.origin != nullptr) {
        auto id = origin_id(e.origin);
        if (!id) {
          insert.reset();
          return tl::unexpected(id.error());
        }
        origin = *id;
      }
      std::string& key = key_scratch_[static_cast<std::size_t>(row)];
      std::string& json = json_scratch_[static_cast<std::size_t>(row)];
      EventColumns c = event_columns(e.attributes, json);
      key.clear();
      append_event_key(key, e, c.stamp);
      std::string_view error = view_of(c.error);
      if (error.empty()) {
        error = view_of(c.error_type);
      }
      std::optional<bool> success = bool_text(c.success);
      int at = row * kEventColumns;
      insert.bind(at + 1, std::string_view(key))
          .bind(at + 2, to_epoch_ms(e.instant))
          .bind(at + 3, e.name)
          .bind(at + 4, e.session_id)
          .bind(at + 5, view_of(c.project))
          .bind(at + 6, o.host)
          .bind(at + 7, user_of(o))
          .bind(at + 8, view_of(c.tool))
          .bind(at + 9, view_of(c.tool_use_id))
          .bind(at + 10, success ? std::optional<std::int64_t>(*success ? 1 : 0) : std::nullopt)
          .bind(at + 11, int_text(c.duration_ms))
          .bind(at + 12, error)
          .bind(at + 13, std::string_view(json))
          .bind(at + 14, origin)
          .bind(at + 15, e.model)
          .bind(at + 16, e.prompt_id);
    }
    if (auto s = insert.run(); !s) {
      return tl::unexpected(s.error());
    }
    inserted += db.changes();
    done += static_cast<std::size_t>(rows);
  }
  return inserted;
}

Status TelemetryWriter::write_metric_points(const std::vector<MetricPoint>& points) {
  for (const MetricPoint& p : points) {
    auto origin = origin_id(p.origin);
    if (!origin) {
      return tl::unexpected(origin.error());
    }
    std::string_view type = text_of(p.attributes, "type");
    std::string_view project = text_of(p.attributes, "project");
    std::string attributes = attributes_json(p.attributes, true);
    insert_point_.bind(1, to_epoch_ms(p.instant))
        .bind(2, to_epoch_ms(p.start))
        .bind(3, p.name)
        .bind(4, p.unit)
        .bind(5, std::int64_t{p.kind == MetricKind::kGauge ? 1 : 0})
        .bind(6, p.value)
        .bind(7, p.session_id)
        .bind(8, p.model)
        .bind(9, type)
        .bind(10, project)
        .bind(11, p.origin.host)
        .bind(12, user_of(p.origin))
        .bind(13, *origin)
        .bind(14, attributes);
    if (auto s = insert_point_.run(); !s) {
      return s;
    }
  }
  return {};
}

}  // namespace ccgauge::ledger

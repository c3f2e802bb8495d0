// OTLP/JSON (research: telemetry.md §2.4) with simdjson On-Demand, straight into decode.h's
// types. Objects are read field by field in whatever order they come; keys we do not know are
// skipped.

#include "ingest/otlp/decode.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

#include "ingest/otlp/value_text.h"

namespace ccgauge::ingest::otlp {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

#define CCG_OTLP_TRY(expr)        \
  do {                            \
    if (error_code e_ = (expr)) { \
      return e_;                  \
    }                             \
  } while (false)

// OTLP/JSON keys are lowerCamelCase; proto field names (snake_case) are accepted too.
bool key_is(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}

// The two names of a repeated field of the request (the same for one-word names).
struct ListKey {
  std::string_view camel;
  std::string_view snake;
};

// The lists that nest in one signal's request: resources, their scopes, the scopes' items.
struct SignalKeys {
  ListKey resources;
  ListKey scopes;
  ListKey items;
};

constexpr SignalKeys kLogsKeys{.resources = {"resourceLogs", "resource_logs"},
                               .scopes = {"scopeLogs", "scope_logs"},
                               .items = {"logRecords", "log_records"}};
constexpr SignalKeys kMetricsKeys{.resources = {"resourceMetrics", "resource_metrics"},
                                  .scopes = {"scopeMetrics", "scope_metrics"},
                                  .items = {"metrics", "metrics"}};
constexpr SignalKeys kTracesKeys{.resources = {"resourceSpans", "resource_spans"},
                                 .scopes = {"scopeSpans", "scope_spans"},
                                 .items = {"spans", "spans"}};

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Decimal digits only (an optional leading '-' when `allow_sign`), as proto3 JSON writes 64-bit
// integers.
template <class Int>
bool parse_integer_text(std::string_view s, Int& out) {
  if (s.empty()) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool parse_double_text(std::string_view s, double& out) {
  if (s == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s == "Infinity") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "-Infinity") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (s.empty()) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Four hex digits at raw[i..i+4), or -1.
std::int32_t hex4(std::string_view raw, std::size_t i) {
  if (i + 4 > raw.size()) {
    return -1;
  }
  std::int32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    int d = hex_digit(raw[i + k]);
    if (d < 0) {
      return -1;
    }
    v = v * 16 + d;
  }
  return v;
}

// Unescapes the raw JSON string token `raw` (quotes included, trailing whitespace allowed) into
// `out`, replacing unpaired surrogates with U+FFFD. False when the token is not a string.
bool unescape_lenient(std::string_view raw, std::string& out) {
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r')) {
    raw.remove_suffix(1);
  }
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') {
    return false;
  }
  raw = raw.substr(1, raw.size() - 2);
  constexpr std::uint32_t kReplacement = 0xFFFD;
  out.clear();
  std::size_t i = 0;
  while (i < raw.size()) {
    char c = raw[i];
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= raw.size()) {
      return false;
    }
    char esc = raw[i + 1];
    i += 2;
    switch (esc) {
      case '"':
        out += '"';
        continue;
      case '\\':
        out += '\\';
        continue;
      case '/':
        out += '/';
        continue;
      case 'b':
        out += '\b';
        continue;
      case 'f':
        out += '\f';
        continue;
      case 'n':
        out += '\n';
        continue;
      case 'r':
        out += '\r';
        continue;
      case 't':
        out += '\t';
        continue;
      case 'u':
        break;
      default:
        return false;
    }
    std::int32_t unit = hex4(raw, i);
    if (unit < 0) {
      return false;
    }
    i += 4;
    if (unit >= 0xD800 && unit <= 0xDBFF && i + 6 <= raw.size() && raw[i] == '\\' &&
        raw[i + 1] == 'u') {
      std::int32_t low = hex4(raw, i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        i += 6;
        append_utf8(out, 0x10000 + ((static_cast<std::uint32_t>(unit) - 0xD800) << 10) +
                             (static_cast<std::uint32_t>(low) - 0xDC00));
        continue;
      }
    }
    bool lone_surrogate = unit >= 0xD800 && unit <= 0xDFFF;
    append_utf8(out, lone_surrogate ? kReplacement : static_cast<std::uint32_t>(unit));
  }
  return true;
}

// Enum names of OTLP/JSON, for senders that write names instead of numbers.
bool severity_from_name(std::string_view name, std::int32_t& out) {
  constexpr std::string_view kPrefix = "SEVERITY_NUMBER_";
  if (name.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  name.remove_prefix(kPrefix.size());
  if (name == "UNSPECIFIED") {
    out = 0;
    return true;
  }
  static constexpr std::string_view kLevels[] = {"TRACE", "DEBUG", "INFO",
                                                 "WARN",  "ERROR", "FATAL"};
  for (std::size_t level = 0; level < std::size(kLevels); ++level) {
    std::string_view base = kLevels[level];
    if (name.substr(0, base.size()) != base) {
      continue;
    }
    std::string_view rest = name.substr(base.size());
    int step = 0;
    if (rest.size() == 1 && rest[0] >= '2' && rest[0] <= '4') {
      step = rest[0] - '1';
    } else if (!rest.empty()) {
      continue;
    }
    out = static_cast<std::int32_t>(level * 4 + 1) + step;
    return true;
  }
  return false;
}

struct EnumName {
  std::string_view name;
  std::int32_t value;
};

constexpr EnumName kTemporalityNames[] = {{"AGGREGATION_TEMPORALITY_UNSPECIFIED", 0},
                                          {"AGGREGATION_TEMPORALITY_DELTA", 1},
                                          {"AGGREGATION_TEMPORALITY_CUMULATIVE", 2}};
constexpr EnumName kSpanKindNames[] = {{"SPAN_KIND_UNSPECIFIED", 0}, {"SPAN_KIND_INTERNAL", 1},
                                       {"SPAN_KIND_SERVER", 2},      {"SPAN_KIND_CLIENT", 3},
                                       {"SPAN_KIND_PRODUCER", 4},    {"SPAN_KIND_CONSUMER", 5}};
constexpr EnumName kStatusCodeNames[] = {
    {"STATUS_CODE_UNSET", 0}, {"STATUS_CODE_OK", 1}, {"STATUS_CODE_ERROR", 2}};

// Reads one request. Functions return simdjson error codes; a shape error of our own sets
// `message_` first. The first error ends the read.
class Reader {
 public:
  // The error for the caller: our own message, or simdjson's with the key being read.
  Error error(error_code e, std::string_view what) const {
    if (!message_.empty()) {
      return {Errc::kInvalidInput, fmt::format("OTLP/JSON {} request: {}", what, message_)};
    }
    return {Errc::kInvalidInput,
            fmt::format("OTLP/JSON {} request: {}{}", what, simdjson::error_message(e),
                        key_.empty() ? std::string() : fmt::format(" at '{}'", key_))};
  }

  // ---- structure

  // Calls fn(key, value) for each field of an object. Null reads as an empty object.
  template <class Fn>
  error_code for_each_field(od::value v, Fn&& fn) {
    if (is_null(v)) {
      return SUCCESS;
    }
    od::object object;
    if (v.get_object().get(object) != SUCCESS) {
      return shape("an object");
    }
    for (auto field_result : object) {
      od::field field;
      CCG_OTLP_TRY(std::move(field_result).get(field));
      std::string_view key;
      CCG_OTLP_TRY(field.unescaped_key().get(key));
      key_ = key;
      CCG_OTLP_TRY(fn(key, field.value()));
    }
    return SUCCESS;
  }

  // Calls fn(value) for each element of an array. Null reads as an empty array.
  template <class Fn>
  error_code for_each_element(od::value v, Fn&& fn) {
    if (is_null(v)) {
      return SUCCESS;
    }
    od::array array;
    if (v.get_array().get(array) != SUCCESS) {
      return shape("an array");
    }
    for (auto element_result : array) {
      od::value element;
      CCG_OTLP_TRY(std::move(element_result).get(element));
      CCG_OTLP_TRY(fn(element));
    }
    return SUCCESS;
  }

  // Reads each element of an array into a new entry of `items` with read_item(value, entry).
  template <class Item, class ReadItem>
  error_code read_list(od::value v, std::vector<Item>& items, ReadItem&& read_item) {
    return for_each_element(
        v, [&](od::value element) { return read_item(element, items.emplace_back()); });
  }

  // ---- scalars (null reads as the default value)

  // A string. simdjson refuses an escaped lone surrogate ("\ud83d", what JSON.stringify writes
  // for half an emoji); such a string is unescaped here with U+FFFD in its place instead.
  error_code read_string(od::value v, std::string& out) {
    if (is_null(v)) {
      return SUCCESS;
    }
    std::string_view raw = v.raw_json_token();
    std::string_view s;
    error_code e = v.get_string().get(s);
    if (e == SUCCESS) {
      out.assign(s);
      return SUCCESS;
    }
    if (e == simdjson::STRING_ERROR && unescape_lenient(raw, out)) {
      return SUCCESS;
    }
    return shape("a string");
  }

  // fixed64 / uint64 / uint32: a non-negative integer, as a number or decimal text.
  error_code read_u64(od::value v, std::uint64_t& out) {
    od::json_type type;
    CCG_OTLP_TRY(v.type().get(type));
    switch (type) {
      case od::json_type::null:
        return SUCCESS;
      case od::json_type::number: {
        if (v.get_uint64().get(out) == SUCCESS) {
          return SUCCESS;
        }
        double d;
        if (v.get_double().get(d) == SUCCESS && d >= 0 && d < 1.8e19 && d == std::floor(d)) {
          out = static_cast<std::uint64_t>(d);
          return SUCCESS;
        }
        return shape("a non-negative integer");
      }
      case od::json_type::string: {
        std::string_view s;
        CCG_OTLP_TRY(v.get_string().get(s));
        return parse_integer_text(s, out) ? SUCCESS : shape("a non-negative integer");
      }
      default:
        return shape("a non-negative integer");
    }
  }

  error_code read_u32(od::value v, std::uint32_t& out) {
    std::uint64_t wide = 0;
    CCG_OTLP_TRY(read_u64(v, wide));
    if (wide > std::numeric_limits<std::uint32_t>::max()) {
      return shape("a 32-bit integer");
    }
    out = static_cast<std::uint32_t>(wide);
    return SUCCESS;
  }

  // int64 / sfixed64: an integer, as a number or decimal text. An integral double is accepted.
  error_code read_i64(od::value v, std::int64_t& out) {
    od::json_type type;
    CCG_OTLP_TRY(v.type().get(type));
    switch (type) {
      case od::json_type::null:
        return SUCCESS;
      case od::json_type::number: {
        if (v.get_int64().get(out) == SUCCESS) {
          return SUCCESS;
        }
        double d;
        if (v.get_double().get(d) == SUCCESS && std::abs(d) < 9.2e18 && d == std::floor(d)) {
          out = static_cast<std::int64_t>(d);
          return SUCCESS;
        }
        return shape("a 64-bit integer");
      }
      case od::json_type::string: {
        std::string_view s;
        CCG_OTLP_TRY(v.get_string().get(s));
        return parse_integer_text(s, out) ? SUCCESS : shape("a 64-bit integer");
      }
      default:
        return shape("a 64-bit integer");
    }
  }

  // double: a number, numeric text, or "NaN" / "Infinity" / "-Infinity".
  error_code read_double(od::value v, double& out) {
    od::json_type type;
    CCG_OTLP_TRY(v.type().get(type));
    switch (type) {
      case od::json_type::null:
        return SUCCESS;
      case od::json_type::number:
        return v.get_double().get(out) == SUCCESS ? SUCCESS : shape("a number");
      case od::json_type::string: {
        std::string_view s;
        CCG_OTLP_TRY(v.get_string().get(s));
        return parse_double_text(s, out) ? SUCCESS : shape("a number");
      }
      default:
        return shape("a number");
    }
  }

  // bool: true/false, or the text "true"/"false".
  error_code read_bool(od::value v, bool& out) {
    od::json_type type;
    CCG_OTLP_TRY(v.type().get(type));
    switch (type) {
      case od::json_type::null:
        return SUCCESS;
      case od::json_type::boolean:
        return v.get_bool().get(out);
      case od::json_type::string: {
        std::string_view s;
        CCG_OTLP_TRY(v.get_string().get(s));
        if (s == "true" || s == "false") {
          out = s == "true";
          return SUCCESS;
        }
        return shape("a boolean");
      }
      default:
        return shape("a boolean");
    }
  }

  // An enum: its number, or its name from `names` (severity has its own name rule).
  template <std::size_t N>
  error_code read_enum(od::value v, const EnumName (&names)[N], std::int32_t& out) {
    return read_enum_with(v, out, [&](std::string_view s, std::int32_t& value) {
      for (const EnumName& n : names) {
        if (n.name == s) {
          value = n.value;
          return true;
        }
      }
      return false;
    });
  }

  error_code read_severity(od::value v, std::int32_t& out) {
    return read_enum_with(v, out, severity_from_name);
  }

  // A trace or span id: hex text (either case), kept as lowercase hex. OTLP/JSON differs from
  // proto3 JSON here, which would use base64.
  error_code read_hex_id(od::value v, std::string& out) {
    std::string text;
    CCG_OTLP_TRY(read_string(v, text));
    if (text.size() % 2 != 0) {
      return shape("hex text");
    }
    for (char& c : text) {
      if (hex_digit(c) < 0) {
        return shape("hex text");
      }
      if (c >= 'A' && c <= 'F') {
        c = static_cast<char>(c - 'A' + 'a');
      }
    }
    out = std::move(text);
    return SUCCESS;
  }

  // ---- OTLP common

  // An AnyValue: {"stringValue": ...} and its siblings; {} or null is empty.
  error_code read_any(od::value v, ValueText& out, int depth = 0) {
    out = {};
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key_is(key, "stringValue", "string_value")) {
        out.kind = ValueKind::kString;
        return read_string(field, out.text);
      }
      if (key_is(key, "boolValue", "bool_value")) {
        bool b = false;
        CCG_OTLP_TRY(read_bool(field, b));
        out = {ValueKind::kBool, bool_text(b)};
        return SUCCESS;
      }
      if (key_is(key, "intValue", "int_value")) {
        std::int64_t i = 0;
        CCG_OTLP_TRY(read_i64(field, i));
        out = {ValueKind::kInt, int_text(i)};
        return SUCCESS;
      }
      if (key_is(key, "doubleValue", "double_value")) {
        double d = 0;
        CCG_OTLP_TRY(read_double(field, d));
        out = {ValueKind::kDouble, double_text(d)};
        return SUCCESS;
      }
      if (key_is(key, "bytesValue", "bytes_value")) {
        out.kind = ValueKind::kBytes;
        return read_string(field, out.text);  // base64 as sent
      }
      if (key_is(key, "arrayValue", "array_value")) {
        return read_array_value(field, out, depth);
      }
      if (key_is(key, "kvlistValue", "kvlist_value")) {
        return read_kvlist_value(field, out, depth);
      }
      return SUCCESS;
    });
  }

  // [{"key": ..., "value": AnyValue}, ...]
  error_code read_attributes(od::value v, Attributes& out) {
    return for_each_element(v, [&](od::value element) -> error_code {
      std::string key;
      ValueText value;
      CCG_OTLP_TRY(read_key_value(element, key, value, 0));
      out.emplace_back(std::move(key), std::move(value.text));
      return SUCCESS;
    });
  }

  error_code read_resource(od::value v, Attributes& out) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      return key == "attributes" ? read_attributes(field, out) : SUCCESS;
    });
  }

  error_code read_scope(od::value v, Scope& out) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key == "name") {
        return read_string(field, out.name);
      }
      if (key == "version") {
        return read_string(field, out.version);
      }
      return SUCCESS;
    });
  }

  // ---- the three signals: one request shape under different names

  // {"resourceLogs": [{"resource": ..., "scopeLogs": [{"scope": ..., "logRecords": [...]}]}]},
  // and the same for metrics and traces under the names in `keys`. Each item goes into the
  // scope's list `items` (e.g. &ScopeLogs::records) through ReadItem. Other keys are skipped.
  template <auto ReadItem, class Decoded, class ScopeT, class Item>
  error_code read_signal(od::value root, const SignalKeys& keys, std::vector<Item> ScopeT::*items,
                         Decoded& out) {
    return for_each_field(root, [&](std::string_view key, od::value field) -> error_code {
      if (!key_is(key, keys.resources.camel, keys.resources.snake)) {
        return SUCCESS;
      }
      return read_list(field, out.resources, [&](od::value element, auto& resource) {
        return read_resource_scopes<ReadItem>(element, keys, items, resource);
      });
    });
  }

  error_code read_logs(od::value root, DecodedLogs& out) {
    return read_signal<&Reader::read_log_record>(root, kLogsKeys, &ScopeLogs::records, out);
  }

  error_code read_metrics(od::value root, DecodedMetrics& out) {
    return read_signal<&Reader::read_metric>(root, kMetricsKeys, &ScopeMetrics::metrics, out);
  }

  error_code read_traces(od::value root, DecodedTraces& out) {
    return read_signal<&Reader::read_span>(root, kTracesKeys, &ScopeSpans::spans, out);
  }

 private:
  // {"resource": ..., "<scopes>": [...]}: a ResourceLogs / ResourceMetrics / ResourceSpans.
  template <auto ReadItem, class Resource, class ScopeT, class Item>
  error_code read_resource_scopes(od::value v, const SignalKeys& keys,
                                  std::vector<Item> ScopeT::*items, Resource& out) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key == "resource") {
        return read_resource(field, out.resource);
      }
      if (key_is(key, keys.scopes.camel, keys.scopes.snake)) {
        return read_list(field, out.scopes, [&](od::value element, ScopeT& scope) {
          return read_scope_items<ReadItem>(element, keys.items, items, scope);
        });
      }
      return SUCCESS;
    });
  }

  // {"scope": ..., "<items>": [...]}: a ScopeLogs / ScopeMetrics / ScopeSpans.
  template <auto ReadItem, class ScopeT, class Item>
  error_code read_scope_items(od::value v, ListKey items_key, std::vector<Item> ScopeT::*items,
                              ScopeT& out) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key == "scope") {
        return read_scope(field, out.scope);
      }
      if (key_is(key, items_key.camel, items_key.snake)) {
        return read_list(field, out.*items, [&](od::value element, Item& item) {
          return (this->*ReadItem)(element, item);
        });
      }
      return SUCCESS;
    });
  }

  static bool is_null(od::value& v) {
    od::json_type type;
    return v.type().get(type) == SUCCESS && type == od::json_type::null;
  }

  // A value of the wrong shape for the key being read.
  error_code shape(std::string_view expected) {
    if (message_.empty()) {
      message_ = fmt::format("'{}' is not {}", key_, expected);
    }
    return simdjson::INCORRECT_TYPE;
  }

  template <class FromName>
  error_code read_enum_with(od::value v, std::int32_t& out, FromName&& from_name) {
    od::json_type type;
    CCG_OTLP_TRY(v.type().get(type));
    switch (type) {
      case od::json_type::null:
        return SUCCESS;
      case od::json_type::number: {
        std::int64_t n = 0;
        if (v.get_int64().get(n) != SUCCESS || n < std::numeric_limits<std::int32_t>::min() ||
            n > std::numeric_limits<std::int32_t>::max()) {
          return shape("an enum number or name");
        }
        out = static_cast<std::int32_t>(n);
        return SUCCESS;
      }
      case od::json_type::string: {
        std::string_view s;
        CCG_OTLP_TRY(v.get_string().get(s));
        if (from_name(s, out) || parse_integer_text(s, out)) {
          return SUCCESS;
        }
        return shape("an enum number or name");
      }
      default:
        return shape("an enum number or name");
    }
  }

  error_code enter(int depth) {
    if (depth >= kMaxValueDepth) {
      if (message_.empty()) {
        message_ = fmt::format("value nested deeper than {} levels", kMaxValueDepth);
      }
      return simdjson::DEPTH_ERROR;
    }
    return SUCCESS;
  }

  // {"key": ..., "value": AnyValue}, fields in any order.
  error_code read_key_value(od::value v, std::string& key_out, ValueText& value, int depth) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key == "key") {
        return read_string(field, key_out);
      }
      if (key == "value") {
        return read_any(field, value, depth);
      }
      return SUCCESS;
    });
  }

  // {"values": [AnyValue, ...]} as a JSON array.
  error_code read_array_value(od::value v, ValueText& out, int depth) {
    CCG_OTLP_TRY(enter(depth));
    JsonWriter json(JsonWriter::Style::kCompact);
    json.begin_array();
    CCG_OTLP_TRY(for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key != "values") {
        return SUCCESS;
      }
      return for_each_element(field, [&](od::value element) -> error_code {
        ValueText item;
        CCG_OTLP_TRY(read_any(element, item, depth + 1));
        append_json(json, item);
        return SUCCESS;
      });
    }));
    json.end_array();
    out = {ValueKind::kArray, json.take()};
    return SUCCESS;
  }

  // {"values": [{"key": ..., "value": AnyValue}, ...]} as a JSON object.
  error_code read_kvlist_value(od::value v, ValueText& out, int depth) {
    CCG_OTLP_TRY(enter(depth));
    JsonWriter json(JsonWriter::Style::kCompact);
    json.begin_object();
    CCG_OTLP_TRY(for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key != "values") {
        return SUCCESS;
      }
      return for_each_element(field, [&](od::value element) -> error_code {
        std::string item_key;
        ValueText item;
        CCG_OTLP_TRY(read_key_value(element, item_key, item, depth + 1));
        json.key(item_key);
        append_json(json, item);
        return SUCCESS;
      });
    }));
    json.end_object();
    out = {ValueKind::kKvlist, json.take()};
    return SUCCESS;
  }

  error_code read_log_record(od::value v, LogRecord& out) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key_is(key, "timeUnixNano", "time_unix_nano")) {
        return read_u64(field, out.time_unix_nano);
      }
      if (key_is(key, "observedTimeUnixNano", "observed_time_unix_nano")) {
        return read_u64(field, out.observed_time_unix_nano);
      }
      if (key_is(key, "severityNumber", "severity_number")) {
        return read_severity(field, out.severity_number);
      }
      if (key_is(key, "severityText", "severity_text")) {
        return read_string(field, out.severity_text);
      }
      if (key == "body") {
        ValueText body;
        CCG_OTLP_TRY(read_any(field, body));
        out.body_kind = body.kind;
        out.body = std::move(body.text);
        return SUCCESS;
      }
      if (key == "attributes") {
        return read_attributes(field, out.attributes);
      }
      if (key_is(key, "traceId", "trace_id")) {
        return read_hex_id(field, out.trace_id);
      }
      if (key_is(key, "spanId", "span_id")) {
        return read_hex_id(field, out.span_id);
      }
      if (key_is(key, "eventName", "event_name")) {
        return read_string(field, out.event_name);
      }
      return SUCCESS;
    });
  }

  static bool metric_data_from_key(std::string_view key, MetricData& data) {
    if (key == "gauge") {
      data = MetricData::kGauge;
    } else if (key == "sum") {
      data = MetricData::kSum;
    } else if (key == "histogram") {
      data = MetricData::kHistogram;
    } else if (key_is(key, "exponentialHistogram", "exponential_histogram")) {
      data = MetricData::kExponentialHistogram;
    } else if (key == "summary") {
      data = MetricData::kSummary;
    } else {
      return false;
    }
    return true;
  }

  error_code read_metric(od::value v, Metric& out) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key == "name") {
        return read_string(field, out.name);
      }
      if (key == "description") {
        return read_string(field, out.description);
      }
      if (key == "unit") {
        return read_string(field, out.unit);
      }
      MetricData data;
      if (metric_data_from_key(key, data)) {
        out.data = data;
        return read_metric_data(field, out);
      }
      return SUCCESS;
    });
  }

  // The body of gauge / sum / histogram / exponentialHistogram / summary.
  error_code read_metric_data(od::value v, Metric& out) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key_is(key, "dataPoints", "data_points")) {
        return for_each_element(field, [&](od::value element) {
          return read_data_point(element, out.data, out.points.emplace_back());
        });
      }
      if (key_is(key, "aggregationTemporality", "aggregation_temporality")) {
        std::int32_t t = 0;
        CCG_OTLP_TRY(read_enum(field, kTemporalityNames, t));
        out.temporality =
            t == 1 || t == 2 ? static_cast<MetricTemporality>(t) : MetricTemporality::kUnspecified;
        return SUCCESS;
      }
      if (key_is(key, "isMonotonic", "is_monotonic")) {
        return read_bool(field, out.monotonic);
      }
      return SUCCESS;
    });
  }

  error_code read_data_point(od::value v, MetricData data, DataPoint& out) {
    bool aggregate = data == MetricData::kHistogram || data == MetricData::kExponentialHistogram ||
                     data == MetricData::kSummary;
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key == "attributes") {
        return read_attributes(field, out.attributes);
      }
      if (key_is(key, "startTimeUnixNano", "start_time_unix_nano")) {
        return read_u64(field, out.start_time_unix_nano);
      }
      if (key_is(key, "timeUnixNano", "time_unix_nano")) {
        return read_u64(field, out.time_unix_nano);
      }
      if (key == "flags") {
        return read_u32(field, out.flags);
      }
      if (!aggregate && key_is(key, "asDouble", "as_double")) {
        out.has_value = true;
        return read_double(field, out.value);
      }
      if (!aggregate && key_is(key, "asInt", "as_int")) {
        std::int64_t i = 0;
        CCG_OTLP_TRY(read_i64(field, i));
        out.has_value = true;
        out.value = static_cast<double>(i);
        return SUCCESS;
      }
      if (aggregate && key == "sum") {
        out.has_value = true;
        return read_double(field, out.value);
      }
      if (aggregate && key == "count") {
        return read_u64(field, out.count);
      }
      return SUCCESS;
    });
  }

  error_code read_span(od::value v, Span& out) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key_is(key, "traceId", "trace_id")) {
        return read_hex_id(field, out.trace_id);
      }
      if (key_is(key, "spanId", "span_id")) {
        return read_hex_id(field, out.span_id);
      }
      if (key_is(key, "parentSpanId", "parent_span_id")) {
        return read_hex_id(field, out.parent_span_id);
      }
      if (key == "name") {
        return read_string(field, out.name);
      }
      if (key == "kind") {
        return read_enum(field, kSpanKindNames, out.kind);
      }
      if (key_is(key, "startTimeUnixNano", "start_time_unix_nano")) {
        return read_u64(field, out.start_time_unix_nano);
      }
      if (key_is(key, "endTimeUnixNano", "end_time_unix_nano")) {
        return read_u64(field, out.end_time_unix_nano);
      }
      if (key == "attributes") {
        return read_attributes(field, out.attributes);
      }
      if (key == "status") {
        return read_status(field, out);
      }
      return SUCCESS;
    });
  }

  error_code read_status(od::value v, Span& out) {
    return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
      if (key == "message") {
        return read_string(field, out.status_message);
      }
      if (key == "code") {
        return read_enum(field, kStatusCodeNames, out.status_code);
      }
      return SUCCESS;
    });
  }

  std::string_view key_;  // the key being read; points into the parser's string buffer
  std::string message_;   // our own description of the first error, if we found it
};

// Parses `json` as one object and hands its root to `read`. Blank input is an empty request.
template <class Decoded, class ReadFn>
Result<Decoded> decode_json(std::string_view json, std::string_view what, ReadFn&& read) {
  Decoded out;
  if (is_blank(json)) {
    return out;
  }
  simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  Reader reader;
  if (error_code e = parser.iterate(padded).get(doc)) {
    return tl::unexpected(reader.error(e, what));
  }
  od::value root;
  od::json_type type;
  if (error_code e = doc.get_value().get(root)) {
    return tl::unexpected(reader.error(e, what));
  }
  if (error_code e = root.type().get(type)) {
    return tl::unexpected(reader.error(e, what));
  }
  if (type != od::json_type::object) {
    return fail(Errc::kInvalidInput,
                fmt::format("OTLP/JSON {} request is not a JSON object", what));
  }
  if (error_code e = read(reader, root, out)) {
    return tl::unexpected(reader.error(e, what));
  }
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
    return fail(Errc::kInvalidInput,
                fmt::format("OTLP/JSON {} request has content after its object", what));
  }
  return out;
}

#undef CCG_OTLP_TRY

}  // namespace

Result<DecodedLogs> decode_logs_json(std::string_view json) {
  return decode_json<DecodedLogs>(json, "logs", [](Reader& r, od::value root, DecodedLogs& out) {
    return r.read_logs(root, out);
  });
}

Result<DecodedMetrics> decode_metrics_json(std::string_view json) {
  return decode_json<DecodedMetrics>(
      json, "metrics",
      [](Reader& r, od::value root, DecodedMetrics& out) { return r.read_metrics(root, out); });
}

Result<DecodedTraces> decode_traces_json(std::string_view json) {
  return decode_json<DecodedTraces>(
      json, "traces",
      [](Reader& r, od::value root, DecodedTraces& out) { return r.read_traces(root, out); });
}

}  // namespace ccgauge::ingest::otlp

#include "core/json_value.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ccgauge {

namespace {

bool in_range(unsigned byte, unsigned lo, unsigned hi) { return byte >= lo && byte <= hi; }

// Length of the UTF-8 sequence that starts at s[pos] (Unicode Table 3-7: no overlong forms,
// nothing above U+10FFFF), or 0 when the bytes there are not one. With kAllowSurrogates the
// 3-byte forms of U+D800..U+DFFF count too (generalized UTF-8, how a lone "\ud800" is held).
enum class Surrogates { kReject, kAllow };
std::size_t utf8_sequence_length(std::string_view s, std::size_t pos, Surrogates surrogates) {
  auto at = [&](std::size_t offset) -> unsigned {
    return pos + offset < s.size() ? static_cast<unsigned char>(s[pos + offset]) : 0;
  };
  unsigned lead = at(0);
  if (lead < 0x80) {
    return 1;
  }
  if (in_range(lead, 0xC2, 0xDF)) {
    return in_range(at(1), 0x80, 0xBF) ? 2 : 0;
  }
  if (in_range(lead, 0xE0, 0xEF)) {
    unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;
    unsigned hi = lead == 0xED && surrogates == Surrogates::kReject ? 0x9F : 0xBF;
    return in_range(at(1), lo, hi) && in_range(at(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in_range(lead, 0xF0, 0xF4)) {
    unsigned lo = lead == 0xF0 ? 0x90 : 0x80;
    unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;
    return in_range(at(1), lo, hi) && in_range(at(2), 0x80, 0xBF) && in_range(at(3), 0x80, 0xBF)
               ? 4
               : 0;
  }
  return 0;
}

// Appends code point cp (which may be a lone surrogate) in (generalized) UTF-8.
void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the JSON number (RFC 8259 section 6) at the start of s, or 0 with *problem set.
std::size_t scan_number(std::string_view s, const char** problem) {
  std::size_t pos = 0;
  auto digits = [&] {
    std::size_t start = pos;
    while (pos < s.size() && is_digit(s[pos])) {
      ++pos;
    }
    return pos - start;
  };
  if (pos < s.size() && s[pos] == '-') {
    ++pos;
  }
  if (pos < s.size() && s[pos] == '0') {
    ++pos;
    if (pos < s.size() && is_digit(s[pos])) {
      *problem = "invalid number: a leading zero must stand alone";
      return 0;
    }
  } else if (digits() == 0) {
    *problem = "invalid number: expected a digit";
    return 0;
  }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    if (digits() == 0) {
      *problem = "invalid number: expected a digit after '.'";
      return 0;
    }
  }
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
      ++pos;
    }
    if (digits() == 0) {
      *problem = "invalid number: expected a digit in the exponent";
      return 0;
    }
  }
  return pos;
}

void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t pos = 0; pos < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[pos]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
          break;
        }
        std::size_t length = utf8_sequence_length(s, pos, Surrogates::kAllow);
        if (length == 0) {
          // Only a tree built by hand can hold bytes that are not UTF-8; like JsonWriter, write
          // U+FFFD rather than invalid JSON text.
          out += "\xEF\xBF\xBD";
          ++pos;
          continue;
        }
        if (length == 3 && c == 0xED && static_cast<unsigned char>(s[pos + 1]) >= 0xA0) {
          std::uint32_t cp = 0xD000 | ((static_cast<unsigned char>(s[pos + 1]) & 0x3F) << 6) |
                             (static_cast<unsigned char>(s[pos + 2]) & 0x3F);
          out += fmt::format("\\u{:04x}", cp);  // A lone surrogate, as JSON.stringify writes it.
        } else {
          out.append(s, pos, length);
        }
        pos += length;
        continue;
    }
    ++pos;
  }
  out += '"';
}

void newline_indent(std::string& out, int level) {
  out += '\n';
  out.append(static_cast<std::size_t>(level) * 2, ' ');
}

}  // namespace

// Recursive descent over one JSON text (a friend of JsonValue, to keep string sources). Depth is
// bounded by kMaxJsonDepth, so recursion is too.
class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Result<JsonValue> parse_document() {
    Result<JsonValue> value = parse_value(0);
    if (!value) {
      return value;
    }
    skip_whitespace();
    if (pos_ < text_.size()) {
      return error("unexpected text after the JSON value");
    }
    return value;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\n' || peek() == '\r' || peek() == '\t')) {
      ++pos_;
    }
  }

  // An error at the current position: "line L, column C: what".
  tl::unexpected<Error> error(std::string_view what) const { return error_at(pos_, what); }

  tl::unexpected<Error> error_at(std::size_t pos, std::string_view what) const {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < pos && i < text_.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(text_[i]);
      if (c == '\n') {
        ++line;
        column = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++column;  // Continuation bytes do not start a new character.
      }
    }
    return fail(Errc::kInvalidInput, fmt::format("line {}, column {}: {}", line, column, what));
  }

  tl::unexpected<Error> unexpected_character(std::string_view expected) const {
    if (at_end()) {
      return error(fmt::format("unexpected end of input, expected {}", expected));
    }
    char c = peek();
    if (c > ' ' && c < 0x7F) {
      return error(fmt::format("unexpected '{}', expected {}", c, expected));
    }
    return error(fmt::format("unexpected character, expected {}", expected));
  }

  Result<JsonValue> parse_value(int depth) {
    skip_whitespace();
    if (at_end()) {
      return unexpected_character("a value");
    }
    switch (peek()) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        return parse_string_value();
      case 't':
        return parse_literal("true", JsonValue(true));
      case 'f':
        return parse_literal("false", JsonValue(false));
      case 'n':
        return parse_literal("null", JsonValue());
      default:
        if (peek() == '-' || is_digit(peek())) {
          return parse_number();
        }
        return unexpected_character("a value");
    }
  }

  Result<JsonValue> parse_literal(std::string_view word, JsonValue value) {
    if (text_.substr(pos_, word.size()) != word) {
      return error("invalid literal (expected true, false or null)");
    }
    pos_ += word.size();
    return value;
  }

  Result<JsonValue> parse_number() {
    const char* problem = "";
    std::size_t length = scan_number(text_.substr(pos_), &problem);
    if (length == 0) {
      return error(problem);
    }
    std::optional<JsonValue> number = JsonValue::number_from_text(text_.substr(pos_, length));
    pos_ += length;
    return std::move(*number);
  }

  Status check_depth(int depth) const {
    if (depth > kMaxJsonDepth) {
      return error(fmt::format("nesting deeper than {} levels", kMaxJsonDepth));
    }
    return {};
  }

  Result<JsonValue> parse_array(int depth) {
    if (Status ok = check_depth(depth); !ok) {
      return tl::unexpected(ok.error());
    }
    ++pos_;  // '['
    JsonValue::Array items;
    skip_whitespace();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return JsonValue(std::move(items));
    }
    for (;;) {
      skip_whitespace();
      if (!at_end() && peek() == ']') {
        return error("trailing comma before ']'");
      }
      Result<JsonValue> item = parse_value(depth);
      if (!item) {
        return item;
      }
      items.push_back(std::move(*item));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      if (!at_end() && peek() == ']') {
        ++pos_;
        return JsonValue(std::move(items));
      }
      return unexpected_character("',' or ']'");
    }
  }

  Result<JsonValue> parse_object(int depth) {
    if (Status ok = check_depth(depth); !ok) {
      return tl::unexpected(ok.error());
    }
    ++pos_;  // '{'
    JsonValue::Object members;
    skip_whitespace();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return JsonValue(std::move(members));
    }
    for (;;) {
      skip_whitespace();
      if (!at_end() && peek() == '}') {
        return error("trailing comma before '}'");
      }
      if (at_end() || peek() != '"') {
        return unexpected_character("a member name in double quotes");
      }
      Result<std::string> key = parse_string();
      if (!key) {
        return tl::unexpected(key.error());
      }
      skip_whitespace();
      if (at_end() || peek() != ':') {
        return unexpected_character("':' after the member name");
      }
      ++pos_;
      Result<JsonValue> value = parse_value(depth);
      if (!value) {
        return value;
      }
      members.emplace_back(std::move(*key), std::move(*value));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      if (!at_end() && peek() == '}') {
        ++pos_;
        return JsonValue(std::move(members));
      }
      return unexpected_character("',' or '}'");
    }
  }

  // Four hex digits at pos_, or nullopt.
  std::optional<std::uint32_t> hex4() const {
    if (pos_ + 4 > text_.size()) {
      return std::nullopt;
    }
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, value, 16);
    if (ec != std::errc() || end != text_.data() + pos_ + 4) {
      return std::nullopt;
    }
    return value;
  }

  // At "\u": appends the code point (a surrogate pair joined into one) and moves past it.
  Status parse_unicode_escape(std::string& out) {
    std::size_t start = pos_;
    pos_ += 2;
    std::optional<std::uint32_t> cp = hex4();
    if (!cp) {
      return error_at(start, "invalid \\u escape: expected four hex digits");
    }
    pos_ += 4;
    if (*cp >= 0xD800 && *cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
      pos_ += 2;
      std::optional<std::uint32_t> low = hex4();
      if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
        pos_ += 4;
        append_utf8(out, 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00));
        return {};
      }
      pos_ -= 2;  // Not a low surrogate: the high one stands alone; the next escape is its own.
    }
    append_utf8(out, *cp);
    return {};
  }

  Status parse_escape(std::string& out) {
    if (pos_ + 1 >= text_.size()) {
      return error("unterminated string");
    }
    char c = text_[pos_ + 1];
    if (c == 'u') {
      return parse_unicode_escape(out);
    }
    static constexpr std::string_view kFrom = "\"\\/bfnrt";
    static constexpr std::string_view kTo = "\"\\/\b\f\n\r\t";
    std::size_t which = kFrom.find(c);
    if (which == std::string_view::npos) {
      return error("invalid escape in string");
    }
    out += kTo[which];
    pos_ += 2;
    return {};
  }

  // A string value, keeping its source text when dump() would escape it differently.
  Result<JsonValue> parse_string_value() {
    std::size_t start = pos_ + 1;
    Result<std::string> value = parse_string();
    if (!value) {
      return tl::unexpected(value.error());
    }
    std::string_view source = text_.substr(start, pos_ - 1 - start);
    std::string canonical;
    append_escaped(canonical, *value);
    if (std::string_view(canonical).substr(1, canonical.size() - 2) == source) {
      return JsonValue(JsonValue::String{std::move(*value), {}});
    }
    return JsonValue(JsonValue::String{std::move(*value), std::string(source)});
  }

  Result<std::string> parse_string() {
    ++pos_;  // '"'
    std::string out;
    while (!at_end()) {
      unsigned char c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        if (Status ok = parse_escape(out); !ok) {
          return tl::unexpected(ok.error());
        }
        continue;
      }
      if (c < 0x20) {
        return error("control character in a string (it must be escaped)");
      }
      std::size_t length = utf8_sequence_length(text_, pos_, Surrogates::kReject);
      if (length == 0) {
        return error("invalid UTF-8 in a string");
      }
      out.append(text_, pos_, length);
      pos_ += length;
    }
    return error("unterminated string");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

JsonValue::JsonValue(const JsonValue& other) = default;
JsonValue::JsonValue(JsonValue&& other) noexcept = default;
JsonValue& JsonValue::operator=(const JsonValue& other) = default;
JsonValue& JsonValue::operator=(JsonValue&& other) noexcept = default;
JsonValue::~JsonValue() = default;

Result<JsonValue> JsonValue::parse(std::string_view text) {
  return JsonParser(text).parse_document();
}

std::optional<JsonValue> JsonValue::number_from_text(std::string_view text) {
  const char* problem = "";
  if (text.empty() || scan_number(text, &problem) != text.size()) {
    return std::nullopt;
  }
  return JsonValue(Number{std::string(text)});
}

JsonValue JsonValue::from_double(double d) {
  if (!std::isfinite(d)) {
    return JsonValue();
  }
  if (d == 0) {
    return JsonValue(Number{"0"});
  }
  return JsonValue(Number{fmt::format("{}", d)});
}

void JsonValue::dump_to(std::string& out, Style style, int level) const {
  bool pretty = style == Style::kPretty;
  switch (type()) {
    case Type::kNull:
      out += "null";
      return;
    case Type::kBool:
      out += as_bool() ? "true" : "false";
      return;
    case Type::kNumber:
      out += number_text();
      return;
    case Type::kString:
      if (const String& s = std::get<String>(value_); !s.source.empty()) {
        out += '"';
        out += s.source;
        out += '"';
      } else {
        append_escaped(out, s.value);
      }
      return;
    case Type::kArray: {
      const Array& array = items();
      out += '[';
      for (std::size_t i = 0; i < array.size(); ++i) {
        out += i == 0 ? "" : ",";
        if (pretty) {
          newline_indent(out, level + 1);
        }
        array[i].dump_to(out, style, level + 1);
      }
      if (pretty && !array.empty()) {
        newline_indent(out, level);
      }
      out += ']';
      return;
    }
    case Type::kObject: {
      const Object& object = members();
      out += '{';
      for (std::size_t i = 0; i < object.size(); ++i) {
        out += i == 0 ? "" : ",";
        if (pretty) {
          newline_indent(out, level + 1);
        }
        append_escaped(out, object[i].first);
        out += pretty ? ": " : ":";
        object[i].second.dump_to(out, style, level + 1);
      }
      if (pretty && !object.empty()) {
        newline_indent(out, level);
      }
      out += '}';
      return;
    }
  }
}

std::string JsonValue::dump(Style style) const {
  std::string out;
  dump_to(out, style, 0);
  if (style == Style::kPretty) {
    out += '\n';
  }
  return out;
}

std::optional<std::int64_t> JsonValue::to_int64() const {
  if (!is_number()) {
    return std::nullopt;
  }
  const std::string& text = number_text();
  if (text.find_first_of(".eE") != std::string::npos) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return n;
}

std::optional<double> JsonValue::to_double() const {
  if (!is_number()) {
    return std::nullopt;
  }
  const std::string& text = number_text();
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return d;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  const Object& object = members();
  for (auto it = object.rbegin(); it != object.rend(); ++it) {
    if (it->first == key) {
      return &it->second;
    }
  }
  return nullptr;
}

JsonValue* JsonValue::find(std::string_view key) {
  return const_cast<JsonValue*>(std::as_const(*this).find(key));
}

void JsonValue::set(std::string_view key, JsonValue value) {
  Object& object = members();
  auto last = std::find_if(object.rbegin(), object.rend(),
                           [&](const Member& member) { return member.first == key; });
  if (last == object.rend()) {
    object.emplace_back(std::string(key), std::move(value));
    return;
  }
  last->second = std::move(value);
  // Drop earlier duplicates: JSON.parse ignored them, and keeping them would be confusing.
  auto keep_end = std::prev(last.base());
  object.erase(std::remove_if(object.begin(), keep_end,
                              [&](const Member& member) { return member.first == key; }),
               keep_end);
}

bool JsonValue::erase(std::string_view key) {
  Object& object = members();
  auto old_size = object.size();
  object.erase(std::remove_if(object.begin(), object.end(),
                              [&](const Member& member) { return member.first == key; }),
               object.end());
  return object.size() != old_size;
}

bool JsonValue::operator==(const JsonValue& other) const { return value_ == other.value_; }

const char* JsonValue::type_name(Type type) {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "a boolean";
    case Type::kNumber:
      return "a number";
    case Type::kString:
      return "a string";
    case Type::kArray:
      return "an array";
    case Type::kObject:
      return "an object";
  }
  return "unknown";
}

}  // namespace ccgauge

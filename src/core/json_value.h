#pragma once
// JsonValue: an order-preserving JSON document tree, for files ccgauge edits in place on behalf of
// the user (Claude Code's settings.json). Reading and writing back a document keeps what a user
// would notice:
//   - object members stay in file order; duplicate keys are kept as they were (lookups see the
//     last one, as JavaScript's JSON.parse does);
//   - numbers keep their exact source text (12345678901234567890, 1.50 and 1E5 come back as
//     written), so no value is rounded through a double;
//   - strings are decoded to UTF-8, and a string value written with escapes other than the ones
//     dump() would choose ("\u00e9", "\/") is written back with its original escapes;
//   - a lone UTF-16 surrogate escape ("\ud800"), which has no UTF-8 form, is held as its 3-byte
//     generalized UTF-8 (WTF-8) form and written back as the same escape.
// Member names are decoded the same way but always written in dump()'s form.
// Parsing is strict RFC 8259 (no comments, no trailing commas, UTF-8 only) and rejects nesting
// deeper than kMaxJsonDepth with an error instead of exhausting the stack. Errors name the line
// and column (both 1-based; columns count characters, not bytes).
//
// A JsonValue is a plain value: copyable, movable, no shared state.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace ccgauge {

// Containers nested deeper than this are rejected by JsonValue::parse.
inline constexpr int kMaxJsonDepth = 512;

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  enum class Style {
    kPretty,   // Two-space indentation as JSON.stringify(value, null, 2) writes it, plus "\n".
    kCompact,  // No whitespace at all, no trailing newline.
  };
  using Member = std::pair<std::string, JsonValue>;
  using Array = std::vector<JsonValue>;
  using Object = std::vector<Member>;

  // null.
  JsonValue() = default;
  // Defined out of line: keeps the variant's copy and move code in one place (and clear of a
  // g++ 12 -Wmaybe-uninitialized false positive when inlined into callers).
  JsonValue(const JsonValue& other);
  JsonValue(JsonValue&& other) noexcept;
  JsonValue& operator=(const JsonValue& other);
  JsonValue& operator=(JsonValue&& other) noexcept;
  ~JsonValue();
  JsonValue(std::nullptr_t) {}
  JsonValue(bool b) : value_(b) {}
  template <std::integral I>
  requires(!std::same_as<I, bool>) JsonValue(I n) : value_(Number{std::to_string(n)}) {}
  // A non-finite double becomes null (JSON has no NaN or infinity); -0 becomes 0. Otherwise the
  // shortest text that reads back as the same double.
  template <std::floating_point F>
  JsonValue(F d) : JsonValue(from_double(static_cast<double>(d))) {}
  JsonValue(std::string s) : value_(String{std::move(s), {}}) {}
  JsonValue(std::string_view s) : JsonValue(std::string(s)) {}
  JsonValue(const char* s) : JsonValue(std::string(s)) {}

  static JsonValue array() { return JsonValue(Array{}); }
  static JsonValue object() { return JsonValue(Object{}); }
  JsonValue(Array items) : value_(std::move(items)) {}
  JsonValue(Object members) : value_(std::move(members)) {}

  // Parses one JSON text (surrounding whitespace allowed). On failure the error is kInvalidInput
  // with a message of the form "line 3, column 12: <what was wrong>".
  static Result<JsonValue> parse(std::string_view text);

  // A number with exactly this text, if it is a valid JSON number; nullopt otherwise.
  static std::optional<JsonValue> number_from_text(std::string_view text);

  // Serializes the tree. Strings are escaped as JSON.stringify does: quote, backslash and control
  // characters only (and lone surrogates); other characters are written as UTF-8. A string value
  // that was parsed keeps its own escapes. parse(dump()) == *this for every tree; for a tree
  // parse() produced from dump()-formatted text, dump() gives back that text byte for byte.
  std::string dump(Style style = Style::kPretty) const;

  Type type() const { return static_cast<Type>(value_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_number() const { return type() == Type::kNumber; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Typed access. Calling one on a value of another type is a bug (std::bad_variant_access).
  bool as_bool() const { return std::get<bool>(value_); }
  const std::string& as_string() const { return std::get<String>(value_).value; }
  // The number's text exactly as parsed or built.
  const std::string& number_text() const { return std::get<Number>(value_).text; }
  const Array& items() const { return std::get<Array>(value_); }
  Array& items() { return std::get<Array>(value_); }
  const Object& members() const { return std::get<Object>(value_); }
  Object& members() { return std::get<Object>(value_); }

  // The number as an int64 when it is an integer (no fraction, no exponent) that fits; nullopt
  // for anything else, including non-numbers.
  std::optional<std::int64_t> to_int64() const;
  // The number as the nearest double; nullopt for non-numbers and for magnitudes beyond double.
  std::optional<double> to_double() const;

  // Object access; calling these on a non-object is a bug. find() returns the last member named
  // `key` (JSON.parse semantics) or nullptr.
  const JsonValue* find(std::string_view key) const;
  JsonValue* find(std::string_view key);
  // Replaces the value of `key` where it stands (earlier duplicates of the key are dropped), or
  // appends the member when the key is new.
  void set(std::string_view key, JsonValue value);
  // Removes every member named `key`; returns whether there was one.
  bool erase(std::string_view key);

  // Equal when of the same type with, recursively, the same contents in the same order. Numbers
  // compare by text (1.0 and 1 differ); strings by their decoded value ("\u00e9" equals "é").
  bool operator==(const JsonValue& other) const;

  // Name of a type for messages: "null", "a boolean", "a number", "a string", "an array",
  // "an object".
  static const char* type_name(Type type);

 private:
  struct Number {
    std::string text;
    bool operator==(const Number&) const = default;
  };
  struct String {
    std::string value;
    // The escaped text between the quotes as parsed, when it differs from what dump() would
    // write for `value`; empty otherwise.
    std::string source;
    bool operator==(const String& other) const { return value == other.value; }
  };
  explicit JsonValue(Number n) : value_(std::move(n)) {}
  explicit JsonValue(String s) : value_(std::move(s)) {}
  friend class JsonParser;  // Builds strings with their source text.

  void dump_to(std::string& out, Style style, int level) const;
  static JsonValue from_double(double d);

  // Alternative order matches Type.
  std::variant<std::monostate, bool, Number, String, Array, Object> value_;
};

}  // namespace ccgauge

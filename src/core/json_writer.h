#pragma once
// A small streaming JSON writer over std::string: objects, arrays, strings (escaped), integers,
// doubles (shortest round-trip form, never -0), booleans and null. Pretty-prints with two-space
// indentation when asked, as ccusage does. The caller pairs begin/end calls correctly; a mismatch
// is a bug and asserts in debug builds.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ccgauge {

class JsonWriter {
 public:
  enum class Style { kCompact, kPretty };
  explicit JsonWriter(Style style = Style::kPretty) : style_(style) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // Writes a key inside an object; the next call writes its value.
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& value(double d);
  JsonWriter& value(bool b);
  JsonWriter& null();
  // Inserts already-serialized JSON as a value.
  JsonWriter& raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  JsonWriter& close(char bracket);
  void newline_indent();

  Style style_;
  std::string out_;
  // One entry per open container: the number of elements written so far.
  std::vector<int> counts_;
  bool after_key_ = false;
};

// Appends s to out with JSON string escaping (no quotes added).
void json_escape_to(std::string& out, std::string_view s);

}  // namespace ccgauge

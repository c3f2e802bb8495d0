#pragma once
// Internal to ingest/otlp: how an OTLP AnyValue becomes text (core/telemetry.h, Attributes).
// Shared by the protobuf and the JSON decoder so that both give the same text for the same
// value.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_writer.h"
#include "ingest/otlp/decode.h"

namespace ccgauge::ingest::otlp {

// Arrays and key-value lists nested deeper than this are an error (the protobuf parser stops at
// 100 message levels anyway; JSON has no such limit of its own that we want to rely on).
inline constexpr int kMaxValueDepth = 32;

// A decoded AnyValue: its kind and its text. Scalars are plain text; arrays and key-value lists
// are compact JSON in which each element keeps its type.
struct ValueText {
  ValueKind kind = ValueKind::kEmpty;
  std::string text;
};

std::string int_text(std::int64_t value);
// Shortest round-trip form; "NaN", "Infinity", "-Infinity"; never "-0".
std::string double_text(double value);
inline std::string bool_text(bool value) { return value ? "true" : "false"; }
std::string base64_encode(std::string_view bytes);
std::string hex_encode(std::string_view bytes);  // lowercase

// Writes `value` as one JSON value inside an array or object that `out` is building: strings
// and bytes quoted, numbers and booleans bare (non-finite doubles quoted), arrays and lists as
// they are, empty as null.
void append_json(JsonWriter& out, const ValueText& value);

// `text` with every byte sequence that is not UTF-8 replaced by U+FFFD. The JSON decoder's
// input is validated whole; protobuf strings are not, and ledger and JSON writers need UTF-8.
std::string valid_utf8(std::string_view text);

}  // namespace ccgauge::ingest::otlp

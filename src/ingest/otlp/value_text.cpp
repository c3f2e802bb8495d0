#include "ingest/otlp/value_text.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace ccgauge::ingest::otlp {

std::string int_text(std::int64_t value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

std::string double_text(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "Infinity" : "-Infinity";
  }
  if (value == 0) {
    return "0";
  }
  return fmt::format("{}", value);
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
             static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
             static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) {
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += rest == 2 ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

void append_json(JsonWriter& out, const ValueText& value) {
  switch (value.kind) {
    case ValueKind::kEmpty:
      out.null();
      return;
    case ValueKind::kString:
    case ValueKind::kBytes:
      out.value(std::string_view(value.text));
      return;
    case ValueKind::kDouble:
      if (value.text == "NaN" || value.text == "Infinity" || value.text == "-Infinity") {
        out.value(std::string_view(value.text));
      } else {
        out.raw(value.text);
      }
      return;
    case ValueKind::kBool:
    case ValueKind::kInt:
    case ValueKind::kArray:
    case ValueKind::kKvlist:
      out.raw(value.text);
      return;
  }
}

namespace {

// The length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    return 1;
  }
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    lo = b0 == 0xE0 ? 0xA0 : 0x80;
    hi = b0 == 0xED ? 0x9F : 0xBF;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    lo = b0 == 0xF0 ? 0x90 : 0x80;
    hi = b0 == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  if (byte(i + 1) < lo || byte(i + 1) > hi) {
    return 0;
  }
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return len;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  // Nearly all text is valid: find the first bad byte before copying anything piecewise.
  std::size_t valid = 0;
  while (valid < text.size()) {
    // Eight ASCII bytes at a time.
    if (valid + 8 <= text.size()) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + valid, sizeof(word));
      if ((word & 0x8080808080808080ULL) == 0) {
        valid += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(text[valid]) < 0x80) {
      ++valid;
      continue;
    }
    std::size_t len = utf8_sequence_length(text, valid);
    if (len == 0) {
      break;
    }
    valid += len;
  }
  if (valid == text.size()) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size() + 8);
  out.append(text.substr(0, valid));
  std::size_t i = valid;
  while (i < text.size()) {
    std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace ccgauge::ingest::otlp

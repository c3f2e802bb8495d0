#include "core/json_writer.h"

#include <fmt/format.h>

#include <cassert>
#include <cmath>
#include <cstddef>

namespace ccgauge {

namespace {

// Length of the well-formed UTF-8 sequence that starts at s[pos] (Unicode Table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t pos) {
  auto at = [&](std::size_t offset) -> unsigned {
    return pos + offset < s.size() ? static_cast<unsigned char>(s[pos + offset]) : 0;
  };
  auto in = [](unsigned byte, unsigned lo, unsigned hi) { return byte >= lo && byte <= hi; };
  unsigned lead = at(0);
  if (in(lead, 0xC2, 0xDF)) {
    return in(at(1), 0x80, 0xBF) ? 2 : 0;
  }
  if (in(lead, 0xE0, 0xEF)) {
    unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;
    unsigned hi = lead == 0xED ? 0x9F : 0xBF;
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(lead, 0xF0, 0xF4)) {
    unsigned lo = lead == 0xF0 ? 0x90 : 0x80;
    unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

}  // namespace

void json_escape_to(std::string& out, std::string_view s) {
  for (std::size_t pos = 0; pos < s.size(); ++pos) {
    // Runs of printable ASCII that need no escape go in one append.
    std::size_t plain = pos;
    while (plain < s.size() && static_cast<unsigned char>(s[plain]) >= 0x20 &&
           static_cast<unsigned char>(s[plain]) < 0x80 && s[plain] != '"' && s[plain] != '\\') {
      ++plain;
    }
    if (plain > pos) {
      out.append(s.data() + pos, plain - pos);
      pos = plain - 1;
      continue;
    }
    char c = s[pos];
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
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
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else if (static_cast<unsigned char>(c) < 0x80) {
          out += c;
        } else if (std::size_t length = utf8_sequence_length(s, pos); length > 0) {
          out.append(s, pos, length);
          pos += length - 1;
        } else {
          // JSON text must be UTF-8 (RFC 8259 8.1); a stray byte from a file path or a torn
          // line becomes U+FFFD, as Rust's to_string_lossy does for ccusage.
          out += "\xEF\xBF\xBD";
        }
    }
  }
}

void JsonWriter::newline_indent() {
  if (style_ != Style::kPretty) {
    return;
  }
  out_ += '\n';
  out_.append(counts_.size() * 2, ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!counts_.empty()) {
    if (counts_.back() > 0) {
      out_ += ',';
    }
    ++counts_.back();
    newline_indent();
  }
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  counts_.push_back(0);
  return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
  assert(!counts_.empty());
  int count = counts_.back();
  counts_.pop_back();
  if (count > 0) {
    newline_indent();
  }
  out_ += bracket;
  return *this;
}

JsonWriter& JsonWriter::end_object() { return close('}'); }

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  counts_.push_back(0);
  return *this;
}

JsonWriter& JsonWriter::end_array() { return close(']'); }

JsonWriter& JsonWriter::key(std::string_view k) {
  before_value();
  out_ += '"';
  json_escape_to(out_, k);
  out_ += style_ == Style::kPretty ? "\": " : "\":";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  out_ += '"';
  json_escape_to(out_, s);
  out_ += '"';
  return *this;
}

JsonWriter& JsonWriter::value(std::int64_t n) {
  before_value();
  out_ += fmt::format("{}", n);
  return *this;
}

JsonWriter& JsonWriter::value(double d) {
  before_value();
  if (!std::isfinite(d)) {
    out_ += "null";
  } else if (d == 0) {
    out_ += '0';  // Never -0.
  } else {
    out_ += fmt::format("{}", d);
  }
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  before_value();
  out_ += json;
  return *this;
}

}  // namespace ccgauge

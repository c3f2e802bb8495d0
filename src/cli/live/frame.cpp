#include "cli/live/frame.h"

#include <algorithm>
#include <cstddef>

namespace ccgauge::cli::live {
namespace {

// One decoded character: its code point (or -1 for an invalid byte) and its length in bytes.
struct Decoded {
  std::int32_t code = -1;
  std::size_t length = 1;
};

Decoded decode(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) {
    return {lead, 1};
  }
  std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || lead > 0xF4 || i + length > s.size()) {
    return {};
  }
  std::int32_t code = lead & (0x3F >> (length - 1));
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return {};
    }
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr std::int32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kMinimum[length] || (code >= 0xD800 && code <= 0xDFFF)) {
    return {};  // overlong or a surrogate
  }
  return {code, length};
}

bool in(std::int32_t c, std::int32_t lo, std::int32_t hi) { return c >= lo && c <= hi; }

int char_width(std::int32_t c) {
  if (c < 0) {
    return 1;
  }
  if (in(c, 0x0300, 0x036F) || in(c, 0x200B, 0x200F) || in(c, 0x20D0, 0x20FF) ||
      in(c, 0xFE00, 0xFE0F) || in(c, 0x1AB0, 0x1AFF) || in(c, 0x1DC0, 0x1DFF)) {
    return 0;
  }
  if (in(c, 0x1100, 0x115F) || in(c, 0x2E80, 0x303E) || in(c, 0x3041, 0x33FF) ||
      in(c, 0x3400, 0x4DBF) || in(c, 0x4E00, 0x9FFF) || in(c, 0xA000, 0xA4CF) ||
      in(c, 0xAC00, 0xD7A3) || in(c, 0xF900, 0xFAFF) || in(c, 0xFE30, 0xFE4F) ||
      in(c, 0xFF00, 0xFF60) || in(c, 0xFFE0, 0xFFE6) || in(c, 0x1F300, 0x1F64F) ||
      in(c, 0x1F900, 0x1F9FF) || in(c, 0x20000, 0x3FFFD)) {
    return 2;
  }
  return 1;
}

bool is_control(std::int32_t c) { return (c >= 0 && c < 0x20) || in(c, 0x7F, 0x9F); }

const char* sgr(Style style) {
  switch (style) {
    case Style::kNormal:
      return "";
    case Style::kBold:
      return "1";
    case Style::kDim:
      return "2";
    case Style::kGood:
      return "32";
    case Style::kWarn:
      return "33";
    case Style::kBad:
      return "1;31";
    case Style::kAccent:
      return "36";
    case Style::kTab:
      return "2";
    case Style::kTabActive:
      return "1;7";
  }
  return "";
}

}  // namespace

Line& Line::add(std::string_view piece, Style style) {
  if (piece.empty()) {
    return *this;
  }
  auto begin = static_cast<std::uint32_t>(text.size());
  text.append(piece);
  if (style != Style::kNormal) {
    auto end = static_cast<std::uint32_t>(text.size());
    if (!spans.empty() && spans.back().end == begin && spans.back().style == style) {
      spans.back().end = end;
    } else {
      spans.push_back(Span{begin, end, style});
    }
  }
  return *this;
}

Line& Line::pad_to(int column) {
  int w = width();
  if (w < column) {
    text.append(static_cast<std::size_t>(column - w), ' ');
  }
  return *this;
}

int Line::width() const { return display_width(text); }

int display_width(std::string_view utf8) {
  int width = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    Decoded d = decode(utf8, i);
    width += char_width(d.code);
    i += d.length;
  }
  return width;
}

std::string_view prefix_fitting(std::string_view utf8, int columns) {
  int width = 0;
  std::size_t i = 0;
  while (i < utf8.size()) {
    Decoded d = decode(utf8, i);
    int w = char_width(d.code);
    if (width + w > columns) {
      break;
    }
    width += w;
    i += d.length;
  }
  return utf8.substr(0, i);
}

std::string fit(std::string_view utf8, int columns, std::string_view ellipsis) {
  if (columns <= 0) {
    return {};
  }
  if (display_width(utf8) <= columns) {
    return std::string(utf8);
  }
  std::string out(prefix_fitting(utf8, columns - 1));
  out += ellipsis;
  return out;
}

Line clip(const Line& line, int columns, bool ascii) {
  Line out;
  int width = 0;
  std::size_t span = 0;
  const std::string& text = line.text;
  for (std::size_t i = 0; i < text.size();) {
    Decoded d = decode(text, i);
    bool replace = d.code < 0 || is_control(d.code) || (ascii && d.code >= 0x80);
    int w = replace ? 1 : char_width(d.code);
    if (width + w > columns) {
      break;
    }
    while (span < line.spans.size() && line.spans[span].end <= i) {
      ++span;
    }
    Style style = span < line.spans.size() && line.spans[span].begin <= i ? line.spans[span].style
                                                                          : Style::kNormal;
    out.add(replace ? std::string_view("?") : std::string_view(text).substr(i, d.length), style);
    width += w;
    i += d.length;
  }
  return out;
}

std::string frame_text(const Frame& frame, bool ansi) {
  std::string out;
  for (const Line& line : frame.lines) {
    // Trailing spaces go (scripts compare lines); a styled run is never trimmed inside.
    std::size_t end = line.text.find_last_not_of(' ');
    end = end == std::string::npos ? 0 : end + 1;
    std::size_t at = 0;
    for (const Span& s : line.spans) {
      if (s.begin >= end) {
        break;
      }
      out.append(line.text, at, s.begin - at);
      std::size_t stop = std::min<std::size_t>(s.end, end);
      if (ansi && *sgr(s.style) != '\0') {
        out += "\033[";
        out += sgr(s.style);
        out += 'm';
        out.append(line.text, s.begin, stop - s.begin);
        out += "\033[0m";
      } else {
        out.append(line.text, s.begin, stop - s.begin);
      }
      at = stop;
    }
    if (at < end) {
      out.append(line.text, at, end - at);
    }
    out += '\n';
  }
  return out;
}

}  // namespace ccgauge::cli::live

#pragma once
// A frame of `ccgauge live`: lines of UTF-8 text with styled spans, measured in terminal
// columns. The views render into frames (pure); the ncurses screen and `--once` print them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ccgauge::cli::live {

// What a span of text means; each surface maps it to attributes (ANSI codes, ncurses pairs).
enum class Style : std::uint8_t {
  kNormal,
  kBold,
  kDim,
  kGood,       // under 70 % of a limit, "lasts until the reset", active markers
  kWarn,       // 70 % .. 90 %
  kBad,        // 90 % and over, "runs out", limit reached
  kAccent,     // sparklines and cost bars
  kTab,        // an inactive view name in the header
  kTabActive,  // the view on screen
};

struct Span {
  std::uint32_t begin = 0;  // byte offsets into Line::text, [begin, end)
  std::uint32_t end = 0;
  Style style = Style::kNormal;
  friend bool operator==(const Span&, const Span&) = default;
};

// One row of the screen. Spans are ordered and do not overlap; text outside them is kNormal.
struct Line {
  std::string text;
  std::vector<Span> spans;

  // Appends text in a style.
  Line& add(std::string_view piece, Style style = Style::kNormal);
  // Appends spaces until the line is `column` columns wide (nothing if it is wider).
  Line& pad_to(int column);
  int width() const;
  friend bool operator==(const Line&, const Line&) = default;
};

struct Frame {
  std::vector<Line> lines;
  // How far the view's list could scroll at this size (the shell clamps its offset to it).
  int max_scroll = 0;
};

// Terminal columns of UTF-8 text: East Asian wide and fullwidth characters count 2, combining
// marks and zero-width characters 0, everything else 1. Invalid bytes count 1 each.
int display_width(std::string_view utf8);

// The longest prefix of `utf8` that fits in `columns`, never splitting a character.
std::string_view prefix_fitting(std::string_view utf8, int columns);

// `utf8` cut to at most `columns`, ending with `ellipsis` (one column wide) when it was cut.
std::string fit(std::string_view utf8, int columns, std::string_view ellipsis);

// `line` cut to at most `columns` (spans cut with it), with control characters replaced by '?'
// and, in ASCII mode, every non-ASCII character too, so that no data (a project path, a model
// name) can move the cursor or show stray bytes in a non-UTF-8 locale.
Line clip(const Line& line, int columns, bool ascii);

// The frame as text, one '\n' after each line and no trailing spaces. With `ansi`, styles become
// SGR escape codes (colours, bold, dim, reverse); without, it is plain text.
std::string frame_text(const Frame& frame, bool ansi);

}  // namespace ccgauge::cli::live

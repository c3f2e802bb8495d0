#pragma once
// The views of `ccgauge live`, rendered as frames: pure functions from the model and a screen
// size to lines of text. The ncurses screen and `--once` print the same frames.
//
// Every frame has a header (the view tabs, the clock) and a footer (the keys, where data comes
// from). Under kCompactBelow columns the views switch to a compact layout; every line is cut to
// the width, so no size gives garbage (below kMinWidth x kMinHeight a frame only asks for a larger
// terminal).

#include "cli/live/frame.h"
#include "cli/live/model.h"

namespace ccgauge::cli::live {

inline constexpr int kCompactBelow = 60;
inline constexpr int kMinWidth = 24;
inline constexpr int kMinHeight = 6;

struct Layout {
  int width = 100;
  // Rows of the screen; 0: as many as the content needs (`--once`).
  int height = 0;
  // UTF-8 box and block characters; false: ASCII only (the locale is not UTF-8).
  bool unicode = true;
  // First row of the view's list shown (the shell keeps it per view; clamped here).
  int scroll = 0;
};

Frame render_frame(const LiveModel& model, View view, const Layout& layout);

}  // namespace ccgauge::cli::live

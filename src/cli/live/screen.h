#pragma once
// The terminal under `ccgauge live`: ncurses (wide) set up and torn down, frames drawn without
// flicker, keys read. No ncurses types here: they stay in screen.cpp.
//
// Drawing: the screen keeps the last frame it drew; draw() rewrites only the rows that changed,
// into ncurses' virtual screen, then sends the difference in one wnoutrefresh/doupdate. After
// a resize the whole screen is repainted once.
//
// Signals: SIGWINCH, SIGINT, SIGTERM and SIGHUP are the caller's (see SignalPipe): installing
// them before the screen opens makes ncurses leave them alone, so a resize or Ctrl-C wakes the
// caller's poll() instead of racing it.

#include <memory>
#include <optional>
#include <vector>

#include "cli/live/frame.h"
#include "cli/live/model.h"
#include "core/result.h"

namespace ccgauge::cli::live {

// What a key asks for.
enum class Command {
  kQuit,
  kShowView,  // with Input::view
  kNextView,
  kPreviousView,
  kScrollUp,
  kScrollDown,
  kPageUp,
  kPageDown,
  kTop,
  kBottom,
  kReload,
  kResize,
};

struct Input {
  Command command;
  View view = View::kCurrent;
};

// Turns SIGWINCH, SIGINT, SIGTERM and SIGHUP into bytes (the signal numbers) on a pipe. One per
// process; the handlers are restored when it goes.
class SignalPipe {
 public:
  SignalPipe();
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int fd() const;
  // The signals received since the last call, oldest first.
  std::vector<int> drain();
};

class Screen {
 public:
  // Takes over the terminal on stdin/stdout. `color`: use colours if the terminal has them.
  static Result<std::unique_ptr<Screen>> open(bool color);
  // Gives the terminal back as it was.
  ~Screen();
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  int width() const;
  int height() const;

  // Draws a frame of height() lines (shorter frames leave the rest blank).
  void draw(const Frame& frame);

  // The terminal's size changed: reads it, and repaints everything at the next draw().
  void resize();

  // The keys waiting on stdin, as commands (unknown keys are skipped); never blocks.
  std::vector<Input> read_input();

 private:
  Screen() = default;
  std::vector<Line> shown_;  // what the terminal shows, row by row
  bool full_repaint_ = true;
};

}  // namespace ccgauge::cli::live

// The ncurses side of `ccgauge live`.

#include "cli/live/screen.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

// Last, and as functions: curses' function-like macros (clear(), move(), ...) would otherwise
// rewrite member calls such as std::vector::clear().
#define NCURSES_NOMACROS
#include <curses.h>

namespace ccgauge::cli::live {
namespace {

// The write end of the signal pipe; -1 while there is none. Read by the signal handler.
volatile int g_signal_write_fd = -1;

constexpr int kSignals[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
struct sigaction g_saved[std::size(kSignals)];
int g_pipe[2] = {-1, -1};

void on_signal(int signo) {
  int saved_errno = errno;
  unsigned char byte = static_cast<unsigned char>(signo);
  if (g_signal_write_fd >= 0) {
    (void)!::write(g_signal_write_fd, &byte, 1);
  }
  errno = saved_errno;
}

// Colour pairs.
constexpr short kGreen = 1;
constexpr short kYellow = 2;
constexpr short kRed = 3;
constexpr short kCyan = 4;

bool g_color = false;
SCREEN* g_screen = nullptr;

attr_t attributes(Style style) {
  auto pair = [](short p) { return g_color ? static_cast<attr_t>(COLOR_PAIR(p)) : A_NORMAL; };
  switch (style) {
    case Style::kNormal:
      return A_NORMAL;
    case Style::kBold:
      return A_BOLD;
    case Style::kDim:
      return A_DIM;
    case Style::kGood:
      return pair(kGreen);
    case Style::kWarn:
      return g_color ? pair(kYellow) : A_BOLD;
    case Style::kBad:
      return pair(kRed) | A_BOLD;
    case Style::kAccent:
      return pair(kCyan);
    case Style::kTab:
      return A_DIM;
    case Style::kTabActive:
      return A_REVERSE | A_BOLD;
  }
  return A_NORMAL;
}

void put(std::string_view text, attr_t attr) {
  if (text.empty()) {
    return;
  }
  attrset(attr);
  // The last cell of the last row cannot advance the cursor: ncurses writes it and reports ERR,
  // which changes nothing here.
  (void)waddnstr(stdscr, text.data(), static_cast<int>(text.size()));
}

void draw_line(int row, const Line& line) {
  move(row, 0);
  std::size_t end = line.text.find_last_not_of(' ');
  end = end == std::string::npos ? 0 : end + 1;
  std::string_view text(line.text);
  std::size_t at = 0;
  for (const Span& s : line.spans) {
    if (s.begin >= end) {
      break;
    }
    put(text.substr(at, s.begin - at), A_NORMAL);
    std::size_t stop = std::min<std::size_t>(s.end, end);
    put(text.substr(s.begin, stop - s.begin), attributes(s.style));
    at = stop;
  }
  if (at < end) {
    put(text.substr(at, end - at), A_NORMAL);
  }
  attrset(A_NORMAL);
  // A line as wide as the screen leaves the cursor on the next row: clearing "to the end of the
  // line" there would blank the row below.
  int y = 0;
  int x = 0;
  getyx(stdscr, y, x);
  if (y == row) {
    clrtoeol();
  }
}

std::optional<Input> input_for(int ch) {
  if (ch >= '1' && ch < '1' + kViewCount) {
    return Input{Command::kShowView, static_cast<View>(ch - '1')};
  }
  switch (ch) {
    case 'q':
    case 'Q':
      return Input{Command::kQuit};
    case '\t':
    case KEY_RIGHT:
    case 'l':
      return Input{Command::kNextView};
    case KEY_BTAB:
    case KEY_LEFT:
    case 'h':
      return Input{Command::kPreviousView};
    case KEY_UP:
    case 'k':
      return Input{Command::kScrollUp};
    case KEY_DOWN:
    case 'j':
      return Input{Command::kScrollDown};
    case KEY_PPAGE:
      return Input{Command::kPageUp};
    case KEY_NPAGE:
    case ' ':
      return Input{Command::kPageDown};
    case KEY_HOME:
    case 'g':
      return Input{Command::kTop};
    case KEY_END:
    case 'G':
      return Input{Command::kBottom};
    case 'r':
      return Input{Command::kReload};
    case KEY_RESIZE:
    case 12 /* Ctrl-L */:
      return Input{Command::kResize};
    default:
      return std::nullopt;
  }
}

}  // namespace

SignalPipe::SignalPipe() {
  if (::pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    g_pipe[0] = g_pipe[1] = -1;
    return;
  }
  g_signal_write_fd = g_pipe[1];
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < std::size(kSignals); ++i) {
    ::sigaction(kSignals[i], &action, &g_saved[i]);
  }
}

SignalPipe::~SignalPipe() {
  if (g_pipe[0] < 0) {
    return;
  }
  for (std::size_t i = 0; i < std::size(kSignals); ++i) {
    ::sigaction(kSignals[i], &g_saved[i], nullptr);
  }
  g_signal_write_fd = -1;
  ::close(g_pipe[0]);
  ::close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
}

int SignalPipe::fd() const { return g_pipe[0]; }

std::vector<int> SignalPipe::drain() {
  std::vector<int> out;
  unsigned char buffer[64];
  ssize_t n = 0;
  while (g_pipe[0] >= 0 && (n = ::read(g_pipe[0], buffer, sizeof(buffer))) > 0) {
    out.insert(out.end(), buffer, buffer + n);
  }
  return out;
}

Result<std::unique_ptr<Screen>> Screen::open(bool color) {
  if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDOUT_FILENO) != 1) {
    return fail(Errc::kInvalidInput, "ccgauge live needs a terminal (use --once for one frame)");
  }
  // newterm, unlike initscr, returns an error instead of exiting on an unknown $TERM.
  g_screen = newterm(nullptr, stdout, stdin);
  if (g_screen == nullptr) {
    return fail(Errc::kUnavailable, "cannot use the terminal (is $TERM set right?)");
  }
  set_term(g_screen);
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  leaveok(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  g_color = color && has_colors() == TRUE;
  if (g_color) {
    start_color();
    use_default_colors();
    init_pair(kGreen, COLOR_GREEN, -1);
    init_pair(kYellow, COLOR_YELLOW, -1);
    init_pair(kRed, COLOR_RED, -1);
    init_pair(kCyan, COLOR_CYAN, -1);
  }
  return std::unique_ptr<Screen>(new Screen());
}

Screen::~Screen() {
  curs_set(1);
  endwin();
  if (g_screen != nullptr) {
    delscreen(g_screen);
    g_screen = nullptr;
  }
}

int Screen::width() const { return COLS; }
int Screen::height() const { return LINES; }

void Screen::draw(const Frame& frame) {
  auto rows = static_cast<std::size_t>(std::max(LINES, 0));
  if (full_repaint_) {
    clearok(curscr, TRUE);
    shown_.clear();
  }
  shown_.resize(rows);
  static const Line kBlank;
  for (std::size_t row = 0; row < rows; ++row) {
    const Line& line = row < frame.lines.size() ? frame.lines[row] : kBlank;
    if (!full_repaint_ && shown_[row] == line) {
      continue;
    }
    draw_line(static_cast<int>(row), line);
    shown_[row] = line;
  }
  wnoutrefresh(stdscr);
  doupdate();
  full_repaint_ = false;
}

void Screen::resize() {
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
    resize_term(ws.ws_row, ws.ws_col);
  }
  full_repaint_ = true;
}

std::vector<Input> Screen::read_input() {
  std::vector<Input> out;
  for (int ch = getch(); ch != ERR; ch = getch()) {
    if (auto input = input_for(ch)) {
      out.push_back(*input);
    }
  }
  return out;
}

}  // namespace ccgauge::cli::live

// `ccgauge live`: the full-screen monitor and `--once`.
//
// Where live data comes from: when a daemon (`ccgauge serve`) answers on its WebSocket, every
// event it sends (a request, a session starting or ending, a limit or alert) means the ledger
// changed, and the visible view is read again from the ledger, read-only (the daemon commits
// before it publishes). Without a daemon this process follows the transcripts itself: an inotify
// watcher names the files that changed, those are caught up into the ledger, and the view is
// read again. If the daemon goes away, the monitor switches to following the transcripts.

#include <fmt/format.h>
#include <langinfo.h>
#include <poll.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <optional>

#include "cli/commands.h"
#include "cli/environment.h"
#include "cli/live/daemon_client.h"
#include "cli/live/data.h"
#include "cli/live/follower.h"
#include "cli/live/screen.h"
#include "cli/live/view.h"
#include "ingest/transcripts/discovery.h"
#include "ledger/events.h"
#include "ledger/ledger.h"

namespace ccgauge::cli {
namespace {

using namespace live;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long the daemon has to answer (connect, upgrade, snapshot) before live watches the
// transcripts itself.
constexpr milliseconds kDaemonTimeout{700};
// Bursts of events (a catch-up publishing many requests) cost one reload per this interval.
constexpr milliseconds kReloadGap{100};
// The busy screen of a long first catch-up is redrawn at most this often.
constexpr milliseconds kProgressGap{100};

void print_error(std::string_view message) {
  fmt::print(stderr, "ccgauge live: error: {}\n", message);
}

// Sets the character type from the environment (LC_ALL, LC_CTYPE, LANG) and says whether it is
// UTF-8. Only LC_CTYPE: number formatting and parsing stay in the C locale. A UTF-8 locale named
// in the environment but not installed falls back to C.UTF-8.
bool use_utf8_locale() {
  if (std::setlocale(LC_CTYPE, "") == nullptr) {
    std::string wanted = env_or("LC_ALL", env_or("LC_CTYPE", env_or("LANG", "")));
    bool utf8 =
        wanted.find("UTF-8") != std::string::npos || wanted.find("utf8") != std::string::npos ||
        wanted.find("UTF8") != std::string::npos || wanted.find("utf-8") != std::string::npos;
    if (!utf8 || std::setlocale(LC_CTYPE, "C.UTF-8") == nullptr) {
      return false;
    }
  }
  const char* codeset = nl_langinfo(CODESET);
  return codeset != nullptr &&
         (::strcasecmp(codeset, "UTF-8") == 0 || ::strcasecmp(codeset, "utf8") == 0);
}

int stdout_columns() {
  struct winsize ws {};
  if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
      ws.ws_col > 0) {
    return ws.ws_col;
  }
  return 100;
}

// What both modes share: the zone, prices, plan and where the data is.
struct Setup {
  TimeZone zone = TimeZone::utc();
  pricing::PriceTable prices;
  analytics::PlanLimits plan;
  std::vector<std::string> config_dirs;
  std::string ledger_path;
  View view = View::kCurrent;
  bool unicode = true;
};

Result<Setup> make_setup(const LiveOptions& o) {
  Setup s;
  auto view = parse_view(o.view);
  if (!view) {
    return fail(Errc::kInvalidInput, fmt::format("--view '{}': expected current, daily, "
                                                 "sessions, blocks or tools",
                                                 o.view));
  }
  s.view = *view;
  if (!(o.refresh_seconds >= 0.2)) {
    return fail(Errc::kInvalidInput, "--refresh must be at least 0.2 seconds");
  }
  if (o.width < 0) {
    return fail(Errc::kInvalidInput, "--width must be positive");
  }
  auto zone = TimeZone::locate(o.timezone);
  if (!zone) {
    return tl::unexpected(zone.error());
  }
  s.zone = *zone;
  auto prices = load_price_table();
  if (!prices) {
    return tl::unexpected(prices.error());
  }
  s.prices = std::move(*prices);
  auto plan = load_plan(o.plan);
  if (!plan) {
    return tl::unexpected(plan.error());
  }
  s.plan = std::move(*plan);
  auto dirs = ingest::find_config_dirs(ingest::Environment::from_process());
  if (!dirs) {
    return tl::unexpected(dirs.error());
  }
  s.config_dirs = std::move(*dirs);
  s.ledger_path = o.ledger_path.empty() ? ledger::Ledger::default_path() : o.ledger_path;
  s.unicode = use_utf8_locale() && !o.ascii;
  return s;
}

LiveModel base_model(const Setup& s) {
  LiveModel model;
  model.zone = s.zone;
  model.plan = s.plan.name;
  model.now = now_instant();
  return model;
}

int run_once(const LiveOptions& o, const Setup& s) {
  auto ledger = ledger::Ledger::open(s.ledger_path, s.prices);
  if (!ledger) {
    print_error(ledger.error().message);
    return 1;
  }
  if (!s.config_dirs.empty()) {
    ingest::CatchUpOptions options;
    options.config_dirs = s.config_dirs;
    options.threads = o.threads;
    auto stats = ingest::catch_up(*ledger, options);
    if (!stats) {
      print_error(stats.error().message);
      return 1;
    }
    if (stats->malformed_lines > 0) {
      fmt::print(stderr, "ccgauge live: skipped {} malformed line(s) (see `ccgauge doctor`)\n",
                 stats->malformed_lines);
    }
  }
  if (s.view == View::kTools) {
    // Hook events that found the ledger busy wait in the spool (ledger/events.h).
    if (auto drained = ledger::drain_spool(*ledger); !drained) {
      fmt::print(stderr, "ccgauge live: warning: spooled hook events not moved in yet: {}\n",
                 drained.error().message);
    }
  }
  LiveModel model = base_model(s);
  load_view(*ledger, s.view, s.plan, model);
  Layout layout;
  layout.width = o.width > 0 ? o.width : stdout_columns();
  layout.unicode = s.unicode;
  std::string text = frame_text(render_frame(model, s.view, layout), o.color.value_or(false));
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (!model.error.empty()) {
    print_error(model.error);
    return 1;
  }
  return 0;
}

// The full-screen monitor: one thread, one poll() over the keyboard, the signal pipe and the
// live source.
class Monitor {
 public:
  Monitor(const LiveOptions& options, Setup setup)
      : options_(options), setup_(std::move(setup)), model_(base_model(setup_)) {
    view_ = setup_.view;
  }

  int run() {
    SignalPipe signals;  // before the screen: ncurses then leaves these signals to us
    if (auto s = open_source(); !s) {
      print_error(s.error().message);
      return 1;
    }
    auto screen = Screen::open(options_.color.value_or(env_or("NO_COLOR", "").empty()));
    if (!screen) {
      print_error(screen.error().message);
      return 1;
    }
    screen_ = screen->get();
    if (follower_) {
      if (auto s = first_catch_up(); !s) {
        screen_ = nullptr;
        screen->reset();
        print_error(s.error().message);
        return 1;
      }
    }
    int code = loop(signals);
    screen_ = nullptr;
    return code;
  }

 private:
  // Follows the daemon if one answers, else the transcripts.
  Status open_source() {
    std::string note;
    if (!options_.no_daemon) {
      std::string url = options_.daemon_url.empty() ? env_or("CCGAUGE_URL", "127.0.0.1:8321")
                                                    : options_.daemon_url;
      auto endpoint = parse_daemon_url(url);
      if (!endpoint) {
        return tl::unexpected(endpoint.error());
      }
      endpoint->token = env_or("CCGAUGE_TOKEN", "");
      auto client = DaemonClient::connect(*endpoint, kDaemonTimeout);
      if (client) {
        auto reader = ledger::Ledger::open_reader(setup_.ledger_path, setup_.prices);
        if (!reader) {
          return tl::unexpected(reader.error());
        }
        ledger_.emplace(std::move(*reader));
        daemon_ = std::move(*client);
        model_.source = "daemon " + endpoint->name();
        return {};
      }
      if (client.error().code == Errc::kInvalidInput) {
        note = " (daemon refused the token)";
      }
    }
    return follow_transcripts(note);
  }

  Status follow_transcripts(const std::string& note) {
    follower_.reset();
    ledger_.reset();
    auto ledger = ledger::Ledger::open(setup_.ledger_path, setup_.prices);
    if (!ledger) {
      return tl::unexpected(ledger.error());
    }
    ledger_.emplace(std::move(*ledger));
    follower_ =
        std::make_unique<TranscriptFollower>(*ledger_, setup_.config_dirs, options_.threads);
    model_.source = follower_->status() + note;
    return {};
  }

  // The backlog, with its progress on screen.
  Status first_catch_up() {
    auto last = SteadyClock::now() - kProgressGap;
    show_busy("Reading transcripts...");
    auto changed = follower_->catch_up_all([&](const ingest::CatchUpProgress& p) {
      if (SteadyClock::now() - last < kProgressGap) {
        return;
      }
      last = SteadyClock::now();
      show_busy(fmt::format("Reading transcripts: {}/{} files, {}/{} MB", p.files_done,
                            p.files_total, p.bytes_done >> 20, p.bytes_total >> 20));
    });
    model_.error.clear();
    if (!changed) {
      return tl::unexpected(changed.error());
    }
    return {};
  }

  void show_busy(const std::string& message) {
    LiveModel busy = model_;
    busy.error.clear();
    busy.current.reset();
    busy.daily.reset();
    busy.sessions.reset();
    busy.blocks.reset();
    busy.tools.reset();
    Frame frame = render_frame(busy, view_, layout());
    if (frame.lines.size() > 2) {
      frame.lines[2] =
          clip(Line().add(" " + message, Style::kDim), screen_->width(), !setup_.unicode);
    }
    screen_->draw(frame);
  }

  Layout layout() const {
    Layout l;
    l.width = screen_->width();
    l.height = screen_->height();
    l.unicode = setup_.unicode;
    l.scroll = scroll_[static_cast<std::size_t>(view_)];
    return l;
  }

  void reload() {
    model_.now = now_instant();
    if (follower_ && view_ == View::kTools) {
      // Hook events spooled while the ledger was busy; with a daemon, the daemon moves them in.
      // A failure leaves them for the next reload.
      (void)ledger::drain_spool(*ledger_);
    }
    load_view(*ledger_, view_, setup_.plan, model_);
    last_load_ = SteadyClock::now();
    stale_ = false;
    dirty_ = true;
  }

  void redraw() {
    Frame frame = render_frame(model_, view_, layout());
    int& scroll = scroll_[static_cast<std::size_t>(view_)];
    max_scroll_ = frame.max_scroll;
    if (scroll > max_scroll_) {
      scroll = max_scroll_;
    }
    screen_->draw(frame);
    dirty_ = false;
  }

  // Applies one key; false to quit.
  bool apply(const Input& input) {
    int& scroll = scroll_[static_cast<std::size_t>(view_)];
    int page = std::max(1, screen_->height() - 6);
    switch (input.command) {
      case Command::kQuit:
        return false;
      case Command::kShowView:
        switch_to(input.view);
        break;
      case Command::kNextView:
        switch_to(next_view(view_));
        break;
      case Command::kPreviousView:
        switch_to(previous_view(view_));
        break;
      case Command::kScrollUp:
        scroll = std::max(0, scroll - 1);
        break;
      case Command::kScrollDown:
        scroll = std::min(max_scroll_, scroll + 1);
        break;
      case Command::kPageUp:
        scroll = std::max(0, scroll - page);
        break;
      case Command::kPageDown:
        scroll = std::min(max_scroll_, scroll + page);
        break;
      case Command::kTop:
        scroll = 0;
        break;
      case Command::kBottom:
        scroll = max_scroll_;
        break;
      case Command::kReload:
        stale_ = true;
        break;
      case Command::kResize:
        screen_->resize();
        break;
    }
    dirty_ = true;
    return true;
  }

  void switch_to(View view) {
    if (view != view_) {
      view_ = view;
      stale_ = true;
      last_load_ = SteadyClock::time_point{};  // a view switch never waits
    }
  }

  // The daemon's events, or its going away.
  void on_daemon() {
    DaemonClient::Drained drained = daemon_->drain();
    for (const DaemonEvent& event : drained.events) {
      if (event.type != "heartbeat") {
        stale_ = true;
      }
    }
    if (drained.closed) {
      daemon_.reset();
      if (auto s = follow_transcripts(" (daemon gone: " + drained.reason + ")"); !s) {
        model_.error = s.error().message;
        dirty_ = true;
        return;
      }
      if (auto s = first_catch_up(); !s) {
        model_.error = s.error().message;
      }
      stale_ = true;
    }
  }

  void on_changed(const Result<bool>& changed) {
    if (!changed) {
      model_.error = changed.error().message;
      dirty_ = true;
    } else if (*changed) {
      stale_ = true;
    }
  }

  int source_fd() const {
    if (daemon_) {
      return daemon_->fd();
    }
    return follower_ ? follower_->fd() : -1;
  }

  // Milliseconds until the next thing that must happen without input.
  int wait_ms(SteadyClock::time_point next_tick) const {
    auto now = SteadyClock::now();
    auto until = next_tick;
    if (stale_) {
      until = std::min(until, last_load_ + kReloadGap);
    }
    if (follower_ && follower_->next_timer()) {
      until = std::min(until, *follower_->next_timer());
    }
    auto ms = std::chrono::duration_cast<milliseconds>(until - now).count();
    return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 60'000));
  }

  int loop(SignalPipe& signals) {
    auto refresh = milliseconds(static_cast<std::int64_t>(options_.refresh_seconds * 1000));
    auto next_tick = SteadyClock::now() + refresh;
    stale_ = true;
    for (;;) {
      auto now = SteadyClock::now();
      if (now >= next_tick) {
        next_tick = now + refresh;
        stale_ = true;  // clocks, countdowns and rates move with time
      }
      if (follower_ && follower_->next_timer() && now >= *follower_->next_timer()) {
        on_changed(follower_->on_timer());
      }
      if (stale_ && now >= last_load_ + kReloadGap) {
        reload();
      }
      if (dirty_) {
        redraw();
      }
      pollfd fds[3] = {
          {STDIN_FILENO, POLLIN, 0}, {signals.fd(), POLLIN, 0}, {source_fd(), POLLIN, 0}};
      int ready = ::poll(fds, 3, wait_ms(next_tick));
      if (ready <= 0) {
        continue;  // a timeout, or EINTR from a signal whose byte is waiting in the pipe
      }
      if ((fds[1].revents & POLLIN) != 0) {
        for (int signo : signals.drain()) {
          if (signo != SIGWINCH) {
            return 0;
          }
          screen_->resize();
          dirty_ = true;
        }
      }
      if ((fds[0].revents & (POLLIN | POLLHUP)) != 0) {
        if ((fds[0].revents & POLLHUP) != 0) {
          return 0;  // the terminal went away
        }
        for (const Input& input : screen_->read_input()) {
          if (!apply(input)) {
            return 0;
          }
        }
      }
      if ((fds[2].revents & POLLIN) != 0) {
        if (daemon_) {
          on_daemon();
        } else if (follower_) {
          on_changed(follower_->on_readable());
        }
      }
    }
  }

  const LiveOptions& options_;
  Setup setup_;
  LiveModel model_;
  View view_ = View::kCurrent;
  std::array<int, kViewCount> scroll_{};
  int max_scroll_ = 0;
  bool stale_ = true;  // the visible view's data must be read again
  bool dirty_ = true;  // the screen must be drawn again
  SteadyClock::time_point last_load_{};
  Screen* screen_ = nullptr;  // owned by run()
  std::optional<ledger::Ledger> ledger_;
  std::unique_ptr<DaemonClient> daemon_;
  std::unique_ptr<TranscriptFollower> follower_;  // refers to *ledger_
};

}  // namespace

int run_live(const LiveOptions& options) {
  auto setup = make_setup(options);
  if (!setup) {
    print_error(setup.error().message);
    return 1;
  }
  if (options.once) {
    return run_once(options, *setup);
  }
  Monitor monitor(options, std::move(*setup));
  return monitor.run();
}

}  // namespace ccgauge::cli

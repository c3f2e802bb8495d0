// The client side of statusline.h: building a job in the caller's environment, encoding it, and
// asking the daemon. The `ccgauge` launcher links this file, so it uses nothing that needs
// SQLite, simdjson or the tz database.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "cli/statusline.h"
#include "core/json_writer.h"
#include "core/time.h"

namespace ccgauge::cli {
namespace {

// How long the caller waits for the daemon before the command does the work itself.
constexpr auto kDaemonWait = std::chrono::milliseconds(1000);

JsonWriter& optional_value(JsonWriter& w, const char* key, const auto& v) {
  w.key(key);
  return v ? w.value(*v) : w.null();
}

// Opens a job's settings line: its kind and the caller's instant.
JsonWriter settings_line(const char* kind, Instant now) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  w.key("kind").value(kind);
  w.key("now").value(static_cast<std::int64_t>(to_epoch_ms(now)));
  return w;
}

}  // namespace

StatusLineJob statusline_job(const StatusLineOptions& o, std::string input) {
  StatusLineJob job;
  job.now = now_instant();
  // The zone this process means (its $TZ), not whatever the daemon's environment says.
  job.timezone = TimeZone::requested_name(o.timezone);
  job.colour = o.color.value_or(env_or("NO_COLOR", "").empty());
  job.format = o.format.empty() ? env_or("CCGAUGE_STATUSLINE_FORMAT", "") : o.format;
  job.plan = with_plan_from_environment(o.plan);
  job.plan_file = plan_config_file();
  job.input = std::move(input);
  return job;
}

HookJob hook_job(const HookCommandOptions& o, std::string input) {
  HookJob job;
  job.now = now_instant();
  job.tool_input = o.tool_input || env_or("CCGAUGE_HOOK_TOOL_INPUT", "") == "1";
  job.input = std::move(input);
  return job;
}

std::string encode_job(const StatusLineJob& job) {
  JsonWriter w = settings_line("statusline", job.now);
  w.key("timezone").value(job.timezone);
  w.key("colour").value(job.colour);
  w.key("format").value(job.format);
  w.key("plan").begin_object();
  optional_value(w, "name", job.plan.plan);
  optional_value(w, "tokens_5h", job.plan.tokens_5h);
  optional_value(w, "cost_5h", job.plan.cost_5h);
  optional_value(w, "tokens_7d", job.plan.tokens_7d);
  optional_value(w, "cost_7d", job.plan.cost_7d);
  w.key("file").value(job.plan_file);
  w.end_object();
  w.end_object();
  return w.take() + "\n" + job.input;
}

std::string encode_job(const HookJob& job) {
  JsonWriter w = settings_line("hook", job.now);
  w.key("tool_input").value(job.tool_input);
  w.end_object();
  return w.take() + "\n" + job.input;
}

std::optional<std::string> ask_daemon(const std::string& socket_path, const std::string& request) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return std::nullopt;
  }
  addr.sun_family = AF_UNIX;
  std::copy(socket_path.begin(), socket_path.end(), addr.sun_path);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return std::nullopt;
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(kDaemonWait).count();
  timeval wait{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof(wait));
  std::string answer;
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  for (std::size_t sent = 0; ok && sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    ok = n > 0;
    sent += ok ? static_cast<std::size_t>(n) : 0;
  }
  ok = ok && ::shutdown(fd, SHUT_WR) == 0;
  char buf[4096];
  while (ok) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  constexpr std::string_view kOk = "ok\n";
  if (!ok || !answer.starts_with(kOk)) {
    return std::nullopt;
  }
  return answer.substr(kOk.size());
}

}  // namespace ccgauge::cli

#include "cli/serve_statusline.h"

#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ccgauge::cli {
namespace {

// A job is a settings line and Claude Code's status line or hook JSON (the launcher sends at
// most 1 MiB).
constexpr std::size_t kMaxJobBytes = (1 << 20) + (64 << 10);
// A client that connected gets this long to send its job.
constexpr int kReadTimeoutMs = 1000;

}  // namespace

Result<std::unique_ptr<StatusLineServer>> StatusLineServer::start(const std::string& socket_path,
                                                                  Handler handler) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return fail(Errc::kInvalidInput,
                fmt::format("status line socket path too long for a Unix socket: {}", socket_path));
  }
  addr.sun_family = AF_UNIX;
  std::copy(socket_path.begin(), socket_path.end(), addr.sun_path);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(socket_path).parent_path(), ec);
  // Only this daemon (it holds the spool claim) listens here: a socket left by one that died is
  // replaced.
  ::unlink(socket_path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return fail(Errc::kIo, fmt::format("status line socket: {}", std::strerror(errno)));
  }
  // Owner only before listen(): nobody can connect in between. The answers show the owner's
  // spending, and a job writes to the ledger.
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::chmod(socket_path.c_str(), 0600) != 0 || ::listen(fd, 64) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    ::unlink(socket_path.c_str());
    return fail(Errc::kIo, fmt::format("cannot listen on {}: {}", socket_path, why));
  }
  int stop = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop < 0) {
    ::close(fd);
    ::unlink(socket_path.c_str());
    return fail(Errc::kIo, fmt::format("status line socket: {}", std::strerror(errno)));
  }
  return std::unique_ptr<StatusLineServer>(
      new StatusLineServer(socket_path, fd, stop, std::move(handler)));
}

StatusLineServer::StatusLineServer(std::string path, int listen_fd, int stop_fd, Handler handler)
    : path_(std::move(path)), listen_fd_(listen_fd), stop_fd_(stop_fd), handler_(std::move(handler)) {
  thread_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "ccg-statusline");
    run();
  });
}

StatusLineServer::~StatusLineServer() {
  std::uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof(one));
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_fd_);
  ::unlink(path_.c_str());
}

void StatusLineServer::run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      return;
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      serve(fd);
      ::close(fd);
    }
  }
}

void StatusLineServer::serve(int fd) {
  std::string job;
  char buf[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kReadTimeoutMs) <= 0) {
      return;  // a client that sends nothing in time gets nothing
    }
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    job.append(buf, static_cast<std::size_t>(n));
    if (job.size() > kMaxJobBytes) {
      return;
    }
  }
  auto line = handler_(std::move(job));
  std::string answer = line ? "ok\n" + *line : "error\n" + line.error().message;
  for (std::size_t sent = 0; sent < answer.size();) {
    ssize_t n = ::send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace ccgauge::cli

#include "cli/otlp_sink.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ccgauge::cli {

Result<std::unique_ptr<OtlpSink>> OtlpSink::create(std::size_t max_pending_items) {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) {
    return fail(Errc::kIo, std::string("eventfd: ") + std::strerror(errno));
  }
  return std::unique_ptr<OtlpSink>(new OtlpSink(fd, max_pending_items));
}

OtlpSink::~OtlpSink() { ::close(fd_); }

Status OtlpSink::submit(OtlpBatch batch) {
  std::size_t items = batch.items();
  if (items == 0) {
    return {};
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t pending = stats_.pending_items;
    if (pending > 0 && pending + items > max_pending_items_) {
      ++stats_.refused_batches;
      stats_.refused_items += items;
      return fail(Errc::kUnavailable,
                  "the ledger writer is behind (" + std::to_string(pending) +
                      " items pending); try again later");
    }
    pending_.push_back(std::move(batch));
    stats_.pending_items += items;
    ++stats_.accepted_batches;
    stats_.accepted_items += items;
  }
  std::uint64_t one = 1;
  (void)!::write(fd_, &one, sizeof(one));
  return {};
}

std::vector<OtlpBatch> OtlpSink::take() {
  std::uint64_t count = 0;
  (void)!::read(fd_, &count, sizeof(count));
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<OtlpBatch> out;
  out.swap(pending_);
  stats_.pending_items = 0;
  return out;
}

OtlpSinkStats OtlpSink::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace ccgauge::cli

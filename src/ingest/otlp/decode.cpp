#include "ingest/otlp/decode.h"

#include <algorithm>

#include <fmt/format.h>
#include <zlib.h>

namespace ccgauge::ingest::otlp {
namespace {

// Owns a zlib inflate stream.
class Inflater {
 public:
  Inflater() = default;
  ~Inflater() {
    if (ready_) {
      inflateEnd(&stream_);
    }
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // 15 + 32: a 32 KiB window, gzip or zlib header detected automatically.
  bool init() {
    ready_ = inflateInit2(&stream_, 15 + 32) == Z_OK;
    return ready_;
  }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ready_ = false;
};

constexpr std::size_t kFirstChunk = 64 * 1024;

}  // namespace

Result<std::string> gunzip(std::string_view compressed, std::size_t max_out) {
  Inflater inflater;
  if (!inflater.init()) {
    return fail(Errc::kInternal, "zlib inflateInit2 failed");
  }
  z_stream& z = inflater.stream();
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  std::string out;
  std::size_t produced = 0;
  std::size_t input_left = compressed.size();
  bool finished = false;
  while (true) {
    // Feed zlib at most 1 GiB at a time (avail_in is 32 bits).
    if (z.avail_in == 0 && input_left > 0) {
      z.avail_in = static_cast<uInt>(std::min<std::size_t>(input_left, 1u << 30));
      input_left -= z.avail_in;
    }
    // Room for one more byte than allowed, so that output past the limit is seen.
    if (produced == out.size()) {
      if (out.size() > max_out) {
        return fail(Errc::kInvalidInput,
                    fmt::format("gzip body inflates past the {} byte limit", max_out));
      }
      std::size_t grown = std::max(kFirstChunk, out.size() * 2);
      out.resize(std::min(grown, max_out + 1));
    }
    z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
    uInt room = z.avail_out;
    int rc = inflate(&z, Z_NO_FLUSH);
    produced += room - z.avail_out;
    if (produced > max_out) {
      return fail(Errc::kInvalidInput,
                  fmt::format("gzip body inflates past the {} byte limit", max_out));
    }
    if (rc == Z_STREAM_END) {
      finished = true;
      if (z.avail_in == 0 && input_left == 0) {
        break;
      }
      // Another gzip member follows (RFC 1952 allows several).
      if (inflateReset(&z) != Z_OK) {
        return fail(Errc::kInternal, "zlib inflateReset failed");
      }
      finished = false;
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && input_left == 0) {
      break;  // input ended inside the stream
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return fail(Errc::kInvalidInput,
                  fmt::format("gzip body is corrupt: {}", z.msg != nullptr ? z.msg : "error"));
    }
  }
  if (!finished) {
    return fail(Errc::kInvalidInput, "gzip body is truncated");
  }
  out.resize(produced);
  return out;
}

std::size_t DecodedLogs::record_count() const {
  std::size_t n = 0;
  for (const ResourceLogs& r : resources) {
    for (const ScopeLogs& s : r.scopes) {
      n += s.records.size();
    }
  }
  return n;
}

std::size_t DecodedMetrics::point_count() const {
  std::size_t n = 0;
  for (const ResourceMetrics& r : resources) {
    for (const ScopeMetrics& s : r.scopes) {
      for (const Metric& m : s.metrics) {
        n += m.points.size();
      }
    }
  }
  return n;
}

std::size_t DecodedTraces::span_count() const {
  std::size_t n = 0;
  for (const ResourceSpans& r : resources) {
    for (const ScopeSpans& s : r.scopes) {
      n += s.spans.size();
    }
  }
  return n;
}

}  // namespace ccgauge::ingest::otlp

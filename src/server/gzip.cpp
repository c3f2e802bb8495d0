#include "server/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>

namespace ccgauge::server {
namespace {

// windowBits 15 (32 KiB window) + 16 asks zlib for a gzip wrapper; + 32 accepts gzip or zlib.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kAutoDetectWindowBits = 15 + 32;
constexpr int kMemLevel = 8;
// zlib counts in uInt; feed huge inputs in pieces this size.
constexpr std::size_t kMaxChunk = 1U << 30;

}  // namespace

Result<std::string> gzip_compress(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, std::clamp(level, 1, 9), Z_DEFLATED, kGzipWindowBits, kMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return fail(Errc::kInternal, "gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(std::min(data.size(), kMaxChunk))) + 64);
  std::size_t produced = 0;
  std::size_t consumed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    std::size_t chunk = std::min(data.size() - consumed, kMaxChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
    zs.avail_in = static_cast<uInt>(chunk);
    if (produced == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min(out.size() - produced, kMaxChunk));
    std::size_t out_before = zs.avail_out;
    bool last = consumed + chunk == data.size();
    rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) {
      deflateEnd(&zs);
      return fail(Errc::kInternal, "gzip: deflate failed");
    }
    consumed += chunk - zs.avail_in;
    produced += out_before - zs.avail_out;
  }
  deflateEnd(&zs);
  out.resize(produced);
  return out;
}

Result<std::string> gzip_decompress(std::string_view data, std::size_t max_output) {
  z_stream zs{};
  if (inflateInit2(&zs, kAutoDetectWindowBits) != Z_OK) {
    return fail(Errc::kInternal, "gzip: inflateInit2 failed");
  }
  // The buffer grows up to one byte past the limit, so "exactly max_output" and "more" differ.
  const std::size_t capacity_limit = max_output == SIZE_MAX ? max_output : max_output + 1;
  std::string out;
  std::size_t produced = 0;
  std::size_t consumed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (produced == out.size()) {
      if (out.size() >= capacity_limit) {
        inflateEnd(&zs);
        return fail(Errc::kInvalidInput, "gzip: body inflates past the limit of " +
                                             std::to_string(max_output) + " bytes");
      }
      std::size_t first = std::clamp<std::size_t>(data.size() * 4, 256, std::size_t{1} << 20);
      out.resize(std::min(std::max(out.size() * 2, first), capacity_limit));
    }
    std::size_t chunk = std::min(data.size() - consumed, kMaxChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
    zs.avail_in = static_cast<uInt>(chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min(out.size() - produced, kMaxChunk));
    std::size_t out_before = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    consumed += chunk - zs.avail_in;
    produced += out_before - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    bool stalled = rc == Z_BUF_ERROR && zs.avail_out != 0;
    bool input_exhausted = consumed == data.size() && zs.avail_out != 0;
    if ((rc != Z_OK && rc != Z_BUF_ERROR) || stalled || input_exhausted) {
      std::string why = zs.msg != nullptr ? zs.msg : "truncated or corrupt data";
      inflateEnd(&zs);
      return fail(Errc::kInvalidInput, "gzip: " + why);
    }
  }
  inflateEnd(&zs);
  if (produced > max_output) {
    return fail(Errc::kInvalidInput,
                "gzip: body inflates past the limit of " + std::to_string(max_output) + " bytes");
  }
  out.resize(produced);
  return out;
}

}  // namespace ccgauge::server

#pragma once
// gzip (RFC 1952) through zlib, for response bodies the server compresses and for request bodies
// a receiver must inflate (OTLP/HTTP clients may gzip their payloads). Pure functions; safe on any
// thread.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ccgauge::server {

// Compresses `data` into a gzip member. Level 1 (fastest) to 9 (smallest); zlib's default is 6.
// Fails (kInternal) only if zlib does, e.g. out of memory.
Result<std::string> gzip_compress(std::string_view data, int level = 6);

// Inflates a gzip member, or zlib-wrapped deflate data (the header tells which). Fails with
// kInvalidInput on corrupt or truncated input, or when the output would exceed `max_output`
// bytes (a small body that inflates into gigabytes is refused, not allocated).
Result<std::string> gzip_decompress(std::string_view data, std::size_t max_output);

}  // namespace ccgauge::server

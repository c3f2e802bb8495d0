#pragma once
// Small, pure HTTP rules the server applies to every request and response: percent-decoding,
// query strings, strong ETags and If-None-Match, Accept-Encoding, bearer tokens, and which Host
// and Origin values count as this machine. No I/O, no Beast; each function is safe on any thread.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ccgauge::server {

// Decodes %XX escapes (either hex case). With kPlusIsSpace ('application/x-www-form-urlencoded',
// used for query strings) a '+' becomes a space. Returns nullopt on a malformed escape ("%4",
// "%zz").
enum class PlusRule { kKeep, kPlusIsSpace };
std::optional<std::string> percent_decode(std::string_view text, PlusRule plus = PlusRule::kKeep);

// Parses "a=1&b=x%20y&flag" into {a:"1", b:"x y", flag:""}. Keys and values are decoded with
// '+' as a space; empty pieces ("a=1&&b=2") are skipped; when a key repeats, the last value wins.
// Fails (kInvalidInput) on a malformed escape.
Result<std::map<std::string, std::string>> parse_query(std::string_view query);

// A strong entity tag for these bytes: a quoted 32-hex-digit digest (SHA-256, first 128 bits),
// e.g. "\"3a7bd3e2360a3d29eea436fcfb7e44c7\"". The same bytes always give the same tag.
std::string strong_etag(std::string_view body);

// The tag of the gzip-encoded representation of the body whose identity tag is `etag`: the
// same digest with "-gzip" appended inside the quotes. A strong tag must differ between content
// codings (RFC 9110 §8.8.3), and a client that cached one coding must not get 304 for the other.
std::string gzip_etag(std::string_view etag);

// True when an If-None-Match header value matches `etag`: "*", or any listed tag equal to it
// under the weak comparison of RFC 9110 §8.8.3.2 (a "W/" prefix on either side is ignored).
bool if_none_match_matches(std::string_view header_value, std::string_view etag);

// True when an Accept-Encoding header value accepts gzip ("gzip", "x-gzip" or "*", without
// ";q=0").
bool accepts_gzip(std::string_view accept_encoding);

// The token of an "Authorization: Bearer <token>" value (scheme case-insensitive), or nullopt.
std::optional<std::string_view> bearer_token(std::string_view authorization);

// Compares a presented token with the configured one in time independent of where they differ
// and of the presented token's length (both sides are hashed first, then compared with
// CRYPTO_memcmp). An empty `expected` never matches.
bool token_matches(std::string_view presented, std::string_view expected);

// True when a Host header value ("localhost:8321", "127.0.0.1", "[::1]:80") names this machine
// by a loopback name or address. Without a token the server answers only such hosts, which
// defeats DNS rebinding (a page on evil.example whose name now resolves to 127.0.0.1).
bool is_loopback_host(std::string_view host);

// True when an Origin header value ("http://localhost:5173") has a loopback host, or when its
// authority equals `host` (the page came from this server).
bool origin_allowed(std::string_view origin, std::string_view host);

}  // namespace ccgauge::server

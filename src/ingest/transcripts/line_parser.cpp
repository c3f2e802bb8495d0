#include "ingest/transcripts/line_parser.h"

#include <bit>
#include <cmath>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <simdjson.h>

#include "core/time.h"
#include "ingest/transcripts/limit_message.h"

namespace ccgauge::ingest {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// The key of a field as written, just past its opening quote. Keys are compared in place with
// key_is() rather than first scanned for their closing quote: with the word compares of
// key_is() and the switch on the first letter in parse_envelope, a typical usage line parses
// about 12% faster.
const char* raw_key(od::field& field) { return field.key().raw(); }

// True when the key at `key` (see raw_key) is exactly `name` (which has no escapes). Reads
// name's length + 1 bytes rounded up to 8, which are inside the line or its padding (a key is
// followed by at least its closing quote, a colon and a value, and a line by kLinePadding
// bytes). Compares 8 bytes at a time: memcmp of a length above 16 is a call, and this runs for
// every field of every line.
template <std::size_t N>
bool key_is(const char* key, const char (&name)[N]) {
  constexpr std::size_t kLength = N - 1;
  static_assert(kLength + 8 <= kLinePadding);
  std::size_t i = 0;
  for (; i + 8 <= kLength; i += 8) {
    std::uint64_t a;
    std::uint64_t b;
    std::memcpy(&a, key + i, 8);
    std::memcpy(&b, name + i, 8);
    if (a != b) {
      return false;
    }
  }
  // The rest of the name and the closing quote: at most 8 bytes, compared as one word.
  constexpr std::size_t kTail = kLength % 8 + 1;
  char expected[8] = {};
  for (std::size_t j = 0; j + 1 < kTail; ++j) {
    expected[j] = name[i + j];
  }
  expected[kTail - 1] = '"';
  std::uint64_t want;
  std::memcpy(&want, expected, 8);
  std::uint64_t have;
  std::memcpy(&have, key + i, 8);
  static_assert(std::endian::native == std::endian::little);  // the first bytes are the low ones
  constexpr std::uint64_t kMask = kTail == 8 ? ~0ULL : (1ULL << (kTail * 8)) - 1;
  return (have & kMask) == want;
}

bool is_null(od::value& v) {
  od::json_type type;
  return v.type().get(type) == simdjson::SUCCESS && type == od::json_type::null;
}

// A token count: an integer, a float with an integral value, or a numeric string. Null is 0.
// Anything else, or a negative number, is an error.
error_code read_count(od::value v, std::int64_t& out) {
  od::json_type type;
  if (auto e = v.type().get(type)) {
    return e;
  }
  switch (type) {
    case od::json_type::null:
      out = 0;
      return simdjson::SUCCESS;
    case od::json_type::number: {
      std::int64_t n;
      if (v.get_int64().get(n) == simdjson::SUCCESS) {
        out = n;
      } else {
        double d;
        if (auto e = v.get_double().get(d)) {
          return e;
        }
        if (!std::isfinite(d) || d > 9e18) {
          return simdjson::NUMBER_ERROR;
        }
        out = std::llround(d);
      }
      return out < 0 ? simdjson::NUMBER_ERROR : simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) {
        return e;
      }
      std::int64_t n = 0;
      if (s.empty() || s.size() > 18) {
        return simdjson::NUMBER_ERROR;
      }
      for (char c : s) {
        if (c < '0' || c > '9') {
          return simdjson::NUMBER_ERROR;
        }
        n = n * 10 + (c - '0');
      }
      out = n;
      return simdjson::SUCCESS;
    }
    default:
      return simdjson::INCORRECT_TYPE;
  }
}

// Strings: null reads as empty. The view points into the parser's string buffer and stays
// valid until the parser's next document.
error_code read_string(od::value v, std::string_view& out) {
  if (is_null(v)) {
    out = {};
    return simdjson::SUCCESS;
  }
  return v.get_string().get(out);
}

error_code read_bool(od::value v, bool& out) {
  if (is_null(v)) {
    out = false;
    return simdjson::SUCCESS;
  }
  return v.get_bool().get(out);
}

// What one envelope (a line, or the entry nested in a progress line) says. The views point
// into the parser's buffers (see read_string).
struct Envelope {
  std::string_view timestamp;
  std::string_view session_id;
  std::string_view request_id;
  std::string_view cwd;
  std::string_view model;
  std::string_view message_id;
  std::string_view speed;
  bool sidechain = false;
  bool api_error = false;
  bool has_usage = false;
  std::optional<double> cost_usd;
  TokenCounts tokens;
  bool has_cache_breakdown = false;
  std::int64_t cache_creation_total = 0;
};

// An object of counts (`cache_creation`, `server_tool_use`): the two named ones; other keys
// are skipped.
template <std::size_t N1, std::size_t N2>
error_code read_count_pair(od::value v, const char (&first_key)[N1], std::int64_t& first,
                           const char (&second_key)[N2], std::int64_t& second) {
  od::object object;
  if (auto e = v.get_object().get(object)) {
    return e;
  }
  for (auto field_result : object) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) {
      return e;
    }
    const char* key = raw_key(field);
    error_code e = simdjson::SUCCESS;
    if (key_is(key, first_key)) {
      e = read_count(field.value(), first);
    } else if (key_is(key, second_key)) {
      e = read_count(field.value(), second);
    }
    if (e) {
      return e;
    }
  }
  return simdjson::SUCCESS;
}

error_code parse_usage(od::object usage, Envelope& env) {
  env.has_usage = true;
  for (auto field_result : usage) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) {
      return e;
    }
    const char* key = raw_key(field);
    od::value v = field.value();
    error_code e = simdjson::SUCCESS;
    if (key_is(key, "input_tokens")) {
      e = read_count(v, env.tokens.input);
    } else if (key_is(key, "output_tokens")) {
      e = read_count(v, env.tokens.output);
    } else if (key_is(key, "cache_creation_input_tokens")) {
      e = read_count(v, env.cache_creation_total);
    } else if (key_is(key, "cache_read_input_tokens")) {
      e = read_count(v, env.tokens.cache_read);
    } else if (key_is(key, "cache_creation")) {
      if (is_null(v)) {
        continue;
      }
      env.has_cache_breakdown = true;
      e = read_count_pair(v, "ephemeral_5m_input_tokens", env.tokens.cache_write_5m,
                          "ephemeral_1h_input_tokens", env.tokens.cache_write_1h);
    } else if (key_is(key, "server_tool_use")) {
      if (is_null(v)) {
        continue;
      }
      e = read_count_pair(v, "web_search_requests", env.tokens.web_search_requests,
                          "web_fetch_requests", env.tokens.web_fetch_requests);
    } else if (key_is(key, "speed")) {
      e = read_string(v, env.speed);
    }
    if (e) {
      return e;
    }
  }
  return simdjson::SUCCESS;
}

error_code parse_message(od::object message, Envelope& env) {
  for (auto field_result : message) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) {
      return e;
    }
    const char* key = raw_key(field);
    od::value v = field.value();
    error_code e = simdjson::SUCCESS;
    if (key_is(key, "model")) {
      e = read_string(v, env.model);
    } else if (key_is(key, "id")) {
      e = read_string(v, env.message_id);
    } else if (key_is(key, "usage")) {
      if (is_null(v)) {
        continue;
      }
      od::object usage;
      if ((e = v.get_object().get(usage))) {
        return e;
      }
      e = parse_usage(usage, env);
    }
    if (e) {
      return e;
    }
  }
  return simdjson::SUCCESS;
}

error_code parse_envelope(od::object obj, Envelope& env, Envelope* nested, int depth);

// `data` of a progress line: Claude Code 2.x reports a running subagent's API message as
// data.message (an envelope of its own).
error_code parse_progress_data(od::object data, Envelope& nested) {
  for (auto field_result : data) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) {
      return e;
    }
    if (!key_is(raw_key(field), "message")) {
      continue;
    }
    od::value v = field.value();
    if (is_null(v)) {
      continue;
    }
    od::object inner;
    if (auto e = v.get_object().get(inner)) {
      // data.message may be a string in other progress kinds: not ours.
      return e == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : e;
    }
    return parse_envelope(inner, nested, nullptr, 1);
  }
  return simdjson::SUCCESS;
}

error_code parse_envelope(od::object obj, Envelope& env, Envelope* nested, int depth) {
  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) {
      return e;
    }
    const char* key = raw_key(field);
    od::value v = field.value();
    error_code e = simdjson::SUCCESS;
    // A line has a dozen top-level fields and we want a few: the first letter rules out most.
    switch (key[0]) {
      case 'm':
        if (key_is(key, "message")) {
          if (is_null(v)) {
            continue;
          }
          od::object message;
          e = v.get_object().get(message);
          if (e == simdjson::INCORRECT_TYPE) {
            continue;  // a user line's message may be a plain string
          }
          if (!e) {
            e = parse_message(message, env);
          }
        }
        break;
      case 't':
        if (key_is(key, "timestamp")) {
          e = read_string(v, env.timestamp);
        }
        break;
      case 's':
        if (key_is(key, "sessionId")) {
          e = read_string(v, env.session_id);
        }
        break;
      case 'r':
        if (key_is(key, "requestId")) {
          e = read_string(v, env.request_id);
        }
        break;
      case 'c':
        if (key_is(key, "cwd")) {
          e = read_string(v, env.cwd);
        } else if (key_is(key, "costUSD")) {
          if (!is_null(v)) {
            double d;
            e = v.get_double().get(d);
            if (!e) {
              env.cost_usd = d;
            }
          }
        }
        break;
      case 'i':
        if (key_is(key, "isSidechain")) {
          e = read_bool(v, env.sidechain);
        } else if (key_is(key, "isApiErrorMessage")) {
          e = read_bool(v, env.api_error);
        }
        break;
      case 'd':
        if (key_is(key, "data") && nested != nullptr && depth == 0) {
          od::object data;
          e = v.get_object().get(data);
          if (e == simdjson::INCORRECT_TYPE) {
            continue;
          }
          if (!e) {
            e = parse_progress_data(data, *nested);
          }
        }
        break;
      default:
        break;
    }
    if (e) {
      return e;
    }
  }
  return simdjson::SUCCESS;
}

// The system's zone, for limit messages that give a clock time without naming a zone. Looked
// up on first use: such lines are rare.
const TimeZone& local_zone() {
  static const TimeZone zone = TimeZone::locate("local").value_or(TimeZone::utc());
  return zone;
}

void set_malformed(ParsedLine& out, std::string_view what, error_code e) {
  out.kind = LineKind::kMalformed;
  out.error.assign(what);
  if (e != simdjson::SUCCESS) {
    out.error += ": ";
    out.error += simdjson::error_message(e);
  }
}

// Fills `out.record` from an envelope that has usage. Returns false (and marks the line
// malformed) when the usage cannot be trusted.
bool fill_record(const Envelope& env, const Envelope& outer, bool nested, ParsedLine& out) {
  std::optional<Instant> when = parse_timestamp(env.timestamp);
  if (!when && nested) {
    when = parse_timestamp(outer.timestamp);
  }
  if (!when) {
    set_malformed(out,
                  env.timestamp.empty()
                      ? std::string("usage line without a timestamp")
                      : "unreadable timestamp '" + std::string(env.timestamp) + "'",
                  simdjson::SUCCESS);
    return false;
  }
  UsageRecord& r = out.record;
  r.instant = *when;
  r.message_id.assign(env.message_id);
  r.request_id.assign(env.request_id);
  r.session_id.assign(!env.session_id.empty() ? env.session_id : outer.session_id);
  r.model.assign(env.model);
  r.tokens = env.tokens;
  if (!env.has_cache_breakdown) {
    r.tokens.cache_write_5m = env.cache_creation_total;
    r.tokens.cache_write_1h = 0;
  }
  r.speed = env.speed == "fast" ? Speed::kFast : Speed::kStandard;
  r.sidechain = env.sidechain || nested;
  r.agent = r.sidechain ? Agent::kSubagent : Agent::kMain;
  if (env.cost_usd) {
    r.reported_cost = static_cast<Nanodollars>(std::llround(*env.cost_usd * 1e9));
  } else {
    r.reported_cost.reset();
  }
  r.limit_reset_epoch_s.reset();
  return true;
}

}  // namespace

namespace {

constexpr char kUsageNeedle[] = "\"usage\"";
constexpr std::size_t kUsageNeedleLength = sizeof(kUsageNeedle) - 1;

const char* find_usage_key_memmem(const char* begin, const char* end) {
  return static_cast<const char*>(
      ::memmem(begin, static_cast<std::size_t>(end - begin), kUsageNeedle, kUsageNeedleLength));
}

#if defined(__x86_64__)
// Muła's generic SIMD search: compare two needle bytes ('u' at 1 and 'g' at 4) at 32 positions
// at once; only where both match is the whole needle compared. Letters are rarer than the quotes
// that open and close the needle. Compiled for AVX2 whatever the build's -march, and called only
// on CPUs that have it (the build targets baseline x86-64, where memmem is 4x slower).
__attribute__((target("avx2"))) const char* find_usage_key_avx2(const char* begin,
                                                                 const char* end) {
  const char* p = begin;
  const __m256i u = _mm256_set1_epi8('u');
  const __m256i g = _mm256_set1_epi8('g');
  while (p + 32 + kUsageNeedleLength <= end) {
    __m256i at_u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 1));
    __m256i at_g = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 4));
    auto mask = static_cast<std::uint32_t>(_mm256_movemask_epi8(
        _mm256_and_si256(_mm256_cmpeq_epi8(at_u, u), _mm256_cmpeq_epi8(at_g, g))));
    while (mask != 0) {
      int bit = __builtin_ctz(mask);
      if (std::memcmp(p + bit, kUsageNeedle, kUsageNeedleLength) == 0) {
        return p + bit;
      }
      mask &= mask - 1;
    }
    p += 32;
  }
  return find_usage_key_memmem(p, end);
}
#endif

using FindUsageKey = const char* (*)(const char*, const char*);

FindUsageKey pick_find_usage_key() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) {
    return find_usage_key_avx2;
  }
#endif
  return find_usage_key_memmem;
}

}  // namespace

const char* find_usage_key(const char* begin, const char* end) {
  static const FindUsageKey find = pick_find_usage_key();
  return find(begin, end);
}

bool may_carry_usage(std::string_view line) {
  return find_usage_key(line.data(), line.data() + line.size()) != nullptr;
}

struct LineParser::Impl {
  od::parser parser;
  Envelope env;
  Envelope nested;
};

LineParser::LineParser() : impl_(std::make_unique<Impl>()) {}
LineParser::~LineParser() = default;

void LineParser::parse(std::string_view line, ParsedLine& out) {
  out.kind = LineKind::kNoUsage;
  out.error.clear();
  out.cwd.clear();
  out.limit_reset_epoch_s.reset();
  out.limit_window.clear();
  Envelope& env = impl_->env;
  Envelope& nested = impl_->nested;
  env = Envelope{};
  nested = Envelope{};

  // Trailing whitespace (a CRLF file) is fine; simdjson would call it trailing content.
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  od::document doc;
  if (auto e =
          impl_->parser.iterate(line.data(), line.size(), line.size() + kLinePadding).get(doc)) {
    set_malformed(out, "not JSON", e);
    return;
  }
  od::object root;
  if (auto e = doc.get_object().get(root)) {
    set_malformed(out, "not a JSON object", e);
    return;
  }
  if (auto e = parse_envelope(root, env, &nested, 0)) {
    set_malformed(out, "malformed JSON", e);
    return;
  }
  out.cwd.assign(env.cwd);
  bool is_nested = !env.has_usage && nested.has_usage;
  const Envelope& source = is_nested ? nested : env;
  if (!source.has_usage) {
    return;
  }
  if (source.model == "<synthetic>") {
    out.kind = LineKind::kSynthetic;
    if (auto when = parse_timestamp(env.timestamp)) {
      out.record.instant = *when;
    }
    if (env.api_error) {
      if (auto hit = parse_limit_message(line, out.record.instant, local_zone())) {
        out.limit_window = std::move(hit->window);
        out.limit_reset_epoch_s = hit->resets_at_epoch_s;
      }
    }
    out.record.session_id.assign(env.session_id);
    return;
  }
  if (fill_record(source, env, is_nested, out)) {
    out.kind = LineKind::kUsage;
  }
}

}  // namespace ccgauge::ingest

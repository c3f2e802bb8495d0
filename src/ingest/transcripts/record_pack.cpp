#include "ingest/transcripts/record_pack.h"

#include <cstdint>
#include <cstring>

namespace ccgauge::ingest {
namespace {

// The fixed-size part of a packed record; the five strings follow, each as a 32-bit length and
// its bytes.
struct Fixed {
  std::int64_t instant_ms;
  TokenCounts tokens;
  std::int64_t reported_cost;
  std::int64_t limit_reset;
  std::uint8_t speed;
  std::uint8_t agent;
  std::uint8_t sidechain;
  std::uint8_t has_reported_cost;
  std::uint8_t has_limit_reset;
};

void put_string(const std::string& s, std::string& out) {
  auto size = static_cast<std::uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&size), sizeof(size));
  out.append(s);
}

void get_string(const char*& pos, std::string& s) {
  std::uint32_t size = 0;
  std::memcpy(&size, pos, sizeof(size));
  pos += sizeof(size);
  s.assign(pos, size);
  pos += size;
}

}  // namespace

void pack_record(const UsageRecord& r, std::string& out) {
  Fixed f{};
  f.instant_ms = to_epoch_ms(r.instant);
  f.tokens = r.tokens;
  f.reported_cost = r.reported_cost.value_or(0);
  f.limit_reset = r.limit_reset_epoch_s.value_or(0);
  f.speed = static_cast<std::uint8_t>(r.speed);
  f.agent = static_cast<std::uint8_t>(r.agent);
  f.sidechain = r.sidechain ? 1 : 0;
  f.has_reported_cost = r.reported_cost ? 1 : 0;
  f.has_limit_reset = r.limit_reset_epoch_s ? 1 : 0;
  out.append(reinterpret_cast<const char*>(&f), sizeof(f));
  put_string(r.message_id, out);
  put_string(r.request_id, out);
  put_string(r.session_id, out);
  put_string(r.project, out);
  put_string(r.model, out);
}

void unpack_record(const char*& pos, UsageRecord& r) {
  Fixed f;
  std::memcpy(&f, pos, sizeof(f));
  pos += sizeof(f);
  r.instant = from_epoch_ms(f.instant_ms);
  r.tokens = f.tokens;
  r.reported_cost =
      f.has_reported_cost ? std::optional<Nanodollars>(f.reported_cost) : std::nullopt;
  r.limit_reset_epoch_s =
      f.has_limit_reset ? std::optional<std::int64_t>(f.limit_reset) : std::nullopt;
  r.speed = static_cast<Speed>(f.speed);
  r.agent = static_cast<Agent>(f.agent);
  r.sidechain = f.sidechain != 0;
  get_string(pos, r.message_id);
  get_string(pos, r.request_id);
  get_string(pos, r.session_id);
  get_string(pos, r.project);
  get_string(pos, r.model);
}

}  // namespace ccgauge::ingest

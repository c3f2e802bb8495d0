#include "ledger/request_writer.h"

#include <fmt/format.h>

#include <deque>
#include <memory>
#include <unordered_map>

#include "ledger/hash_index.h"

namespace ccgauge::ledger {
namespace {

constexpr std::int64_t kBucketMs = 900'000;  // a UTC quarter hour

#define CCG_PROBE_COLUMNS                                                              \
  "SELECT id, key, output, sidechain, ts, project, model, speed, input, output, "      \
  "cache_write_5m, cache_write_1h, cache_read, web_search, web_fetch, reported_cost, " \
  "computed_cost, priced FROM requests "
constexpr const char* kProbe = CCG_PROBE_COLUMNS "WHERE key_hash = ?1";
constexpr const char* kProbeById = CCG_PROBE_COLUMNS "WHERE id = ?1";
#undef CCG_PROBE_COLUMNS

constexpr const char* kCreateIndexes =
    "CREATE INDEX IF NOT EXISTS requests_key_hash ON requests(key_hash);"
    "CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);";

constexpr const char* kInsert = R"sql(
INSERT INTO requests(key_hash, key, message_id, request_id, ts, session, project, model, agent,
  sidechain, speed, source, input, output, cache_write_5m, cache_write_1h, cache_read, web_search,
  web_fetch, reported_cost, computed_cost, priced, limit_reset)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
  ?21, ?22, ?23)
)sql";

// The same columns as kInsert (bound the same way), for the row with id ?24.
constexpr const char* kUpdate = R"sql(
UPDATE requests SET key_hash = ?1, key = ?2, message_id = ?3, request_id = ?4, ts = ?5,
  session = ?6, project = ?7, model = ?8, agent = ?9, sidechain = ?10, speed = ?11, source = ?12,
  input = ?13, output = ?14, cache_write_5m = ?15, cache_write_1h = ?16, cache_read = ?17,
  web_search = ?18, web_fetch = ?19, reported_cost = ?20, computed_cost = ?21, priced = ?22,
  limit_reset = ?23
WHERE id = ?24
)sql";

constexpr const char* kRollupAdd = R"sql(
INSERT INTO usage_rollup VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
  ?16, ?17, ?18)
ON CONFLICT(bucket, project, model, speed) DO UPDATE SET
  requests = requests + excluded.requests, input = input + excluded.input,
  output = output + excluded.output, cache_write_5m = cache_write_5m + excluded.cache_write_5m,
  cache_write_1h = cache_write_1h + excluded.cache_write_1h,
  cache_read = cache_read + excluded.cache_read, web_search = web_search + excluded.web_search,
  web_fetch = web_fetch + excluded.web_fetch,
  computed_cost = computed_cost + excluded.computed_cost,
  auto_cost = auto_cost + excluded.auto_cost, display_cost = display_cost + excluded.display_cost,
  unpriced = unpriced + excluded.unpriced, first_ts = min(first_ts, excluded.first_ts),
  last_ts = max(last_ts, excluded.last_ts)
)sql";

bool wins(std::int64_t output, bool sidechain, std::int64_t kept_output, bool kept_sidechain) {
  return output > kept_output || (output == kept_output && !sidechain && kept_sidechain);
}

// A request's contribution to its rollup row. The views must outlive the batch's flush.
struct Contribution {
  std::int64_t ts = 0;
  std::string_view project;
  std::string_view model;
  std::int64_t speed = 0;
  TokenCounts tokens;
  Nanodollars computed_cost = 0;
  std::optional<Nanodollars> reported_cost;
  bool priced = true;
};

// The views point into the batch's records or into RequestWriter::Impl::old_strings, which
// live until the batch's rollup is flushed.
struct RollupKey {
  std::int64_t bucket;
  std::string_view project;
  std::string_view model;
  std::int64_t speed;
  friend bool operator==(const RollupKey&, const RollupKey&) = default;
};

struct RollupKeyHash {
  std::size_t operator()(const RollupKey& k) const {
    std::size_t h = std::hash<std::int64_t>()(k.bucket * 4 + k.speed);
    h ^= std::hash<std::string_view>()(k.project) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= std::hash<std::string_view>()(k.model) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
  }
};

struct RollupDelta {
  std::int64_t requests = 0;
  TokenCounts tokens;
  Nanodollars computed_cost = 0;
  Nanodollars auto_cost = 0;
  Nanodollars display_cost = 0;
  std::int64_t unpriced = 0;
  std::int64_t first_ts = INT64_MAX;
  std::int64_t last_ts = INT64_MIN;
};

void scale_add(TokenCounts& into, const TokenCounts& t, std::int64_t sign) {
  into.input += sign * t.input;
  into.output += sign * t.output;
  into.cache_write_5m += sign * t.cache_write_5m;
  into.cache_write_1h += sign * t.cache_write_1h;
  into.cache_read += sign * t.cache_read;
  into.web_search_requests += sign * t.web_search_requests;
  into.web_fetch_requests += sign * t.web_fetch_requests;
}

}  // namespace

PricedCost price_request(const pricing::PriceTable& prices, std::string_view model,
                         const TokenCounts& tokens, Speed speed) {
  if (model.empty()) {
    return {};
  }
  const pricing::ModelPrice* price = prices.find(model);
  if (price == nullptr) {
    return {0, false};
  }
  return {pricing::cost_of(*price, tokens, speed), true};
}

std::int64_t key_hash(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  // Finalize (FNV alone mixes the last bytes poorly), then keep it positive.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<std::int64_t>(h >> 1);
}

Status rebuild_rollup(Database& db) {
  if (auto s = db.exec("DELETE FROM usage_rollup"); !s) {
    return s;
  }
  return db.exec(fmt::format(
      "INSERT INTO usage_rollup SELECT ts / {0}, project, model, speed, count(*), sum(input), "
      "sum(output), sum(cache_write_5m), sum(cache_write_1h), sum(cache_read), sum(web_search), "
      "sum(web_fetch), sum(computed_cost), sum(coalesce(reported_cost, computed_cost)), "
      "sum(coalesce(reported_cost, 0)), sum(1 - priced), min(ts), max(ts) FROM requests "
      "GROUP BY ts / {0}, project, model, speed",
      kBucketMs));
}

struct RequestWriter::Impl {
  Database* db = nullptr;             // set for the duration of each public call
  const pricing::PriceTable* prices;  // not owned
  Statement probe;
  Statement probe_by_id;
  Statement max_id;
  Statement insert;
  Statement update;
  Statement rollup;
  std::unordered_map<RollupKey, RollupDelta, RollupKeyHash> deltas;
  std::deque<std::string> old_strings;  // project and model of replaced rows, for `deltas`
  // Bulk mode: every stored row's key hash -> its id, and the id this writer inserted last.
  bool bulk = false;
  HashIndex ids_by_hash;
  // The rollup row the last request went to: consecutive requests mostly share it.
  RollupDelta* last_delta = nullptr;
  RollupKey last_rollup_key{};
  std::int64_t last_id = 0;

  Status check_still_alone();

  enum class Found { kAbsent, kStays, kReplaces, kError };
  Found find_in(Statement& q, const UsageRecord& r, std::string_view key, std::int64_t& id,
                Contribution& old, Error& error);
  Found find_stored(const UsageRecord& r, std::string_view key, std::int64_t hash, std::int64_t& id,
                    Contribution& old, Error& error);

  void account(const Contribution& c, std::int64_t sign) {
    RollupKey key{c.ts / kBucketMs, c.project, c.model, c.speed};
    if (last_delta == nullptr || !(key == last_rollup_key)) {
      last_delta = &deltas[key];  // unordered_map references stay valid as it grows
      last_rollup_key = key;
    }
    RollupDelta& d = *last_delta;
    d.requests += sign;
    scale_add(d.tokens, c.tokens, sign);
    d.computed_cost += sign * c.computed_cost;
    d.auto_cost += sign * c.reported_cost.value_or(c.computed_cost);
    d.display_cost += sign * c.reported_cost.value_or(0);
    d.unpriced += sign * (c.priced ? 0 : 1);
    if (sign > 0) {
      d.first_ts = std::min(d.first_ts, c.ts);
      d.last_ts = std::max(d.last_ts, c.ts);
    }
  }

  Status write_one(SourcedRecord& sr, const std::string& key);
  Status flush_rollup();
};

// Steps `q` (a probe) over its rows and looks for `key`. kStays: the stored row beats `r`;
// kReplaces: `id` and `old` describe the stored row `r` replaces; kAbsent: no row has the key.
RequestWriter::Impl::Found RequestWriter::Impl::find_in(Statement& q, const UsageRecord& r,
                                                        std::string_view key, std::int64_t& id,
                                                        Contribution& old, Error& error) {
  for (;;) {
    auto step = q.step();
    if (!step) {
      error = step.error();
      return Found::kError;
    }
    if (*step == Statement::StepResult::kDone) {
      return Found::kAbsent;
    }
    if (q.column_text(1) != key) {
      continue;  // A different key with the same hash.
    }
    if (!wins(r.tokens.output, r.sidechain, q.column_int(2), q.column_int(3) != 0)) {
      return Found::kStays;
    }
    id = q.column_int(0);
    old.ts = q.column_int(4);
    old.project = old_strings.emplace_back(q.column_text(5));
    old.model = old_strings.emplace_back(q.column_text(6));
    old.speed = q.column_int(7);
    old.tokens = read_tokens(q, 8);
    old.reported_cost =
        q.column_is_null(15) ? std::nullopt : std::optional<Nanodollars>(q.column_int(15));
    old.computed_cost = q.column_int(16);
    old.priced = q.column_int(17) != 0;
    return Found::kReplaces;
  }
}

// Finds the stored row holding `key`: through the key-hash index, or in bulk mode through the
// ids kept in memory.
RequestWriter::Impl::Found RequestWriter::Impl::find_stored(const UsageRecord& r,
                                                            std::string_view key, std::int64_t hash,
                                                            std::int64_t& id, Contribution& old,
                                                            Error& error) {
  if (!bulk) {
    probe.bind(1, hash);
    Found found = find_in(probe, r, key, id, old, error);
    probe.reset();
    return found;
  }
  Found found = Found::kAbsent;
  ids_by_hash.find(hash, [&](std::int64_t candidate) {
    probe_by_id.bind(1, candidate);
    found = find_in(probe_by_id, r, key, id, old, error);
    probe_by_id.reset();
    return found == Found::kAbsent;  // keep looking only while nothing was found
  });
  return found;
}

Status RequestWriter::Impl::write_one(SourcedRecord& sr, const std::string& key) {
  const UsageRecord& r = sr.record;
  std::int64_t hash = sr.key_hash;
  std::int64_t existing_id = 0;
  Contribution old;
  Error error;
  Found found = find_stored(r, key, hash, existing_id, old, error);
  if (found == Found::kError) {
    return tl::unexpected(error);
  }
  if (found == Found::kStays) {
    sr.outcome = WriteOutcome::kKept;
    return {};
  }
  bool replaces = found == Found::kReplaces;
  sr.outcome = replaces ? WriteOutcome::kReplaced : WriteOutcome::kInserted;
  PricedCost p = price_request(*prices, r.model, r.tokens, r.speed);
  Statement& stmt = replaces ? update : insert;
  stmt.bind(1, hash)
      .bind(2, key)
      .bind(3, r.message_id)
      .bind(4, r.request_id)
      .bind(5, to_epoch_ms(r.instant))
      .bind(6, r.session_id)
      .bind(7, r.project)
      .bind(8, r.model)
      .bind(9, static_cast<std::int64_t>(r.agent))
      .bind(10, std::int64_t{r.sidechain})
      .bind(11, static_cast<std::int64_t>(r.speed))
      .bind(12, sr.source);
  bind_tokens(stmt, 13, r.tokens)
      .bind(20, r.reported_cost)
      .bind(21, p.cost)
      .bind(22, std::int64_t{p.priced})
      .bind(23, r.limit_reset_epoch_s);
  if (replaces) {
    stmt.bind(24, existing_id);
  }
  if (auto s = stmt.run(); !s) {
    return s;
  }
  if (replaces) {
    account(old, -1);
  } else if (bulk) {
    last_id = db->last_insert_rowid();
    ids_by_hash.insert(hash, last_id);
  }
  account(
      Contribution{to_epoch_ms(r.instant), r.project, r.model, static_cast<std::int64_t>(r.speed),
                   r.tokens, p.cost, r.reported_cost, p.priced},
      +1);
  return {};
}

// In bulk mode, the memory map must know every row: if a row this writer did not insert
// appeared (another process), leave bulk mode.
Status RequestWriter::Impl::check_still_alone() {
  auto step = max_id.step();
  if (!step) {
    max_id.reset();
    return tl::unexpected(step.error());
  }
  std::int64_t max = max_id.column_is_null(0) ? 0 : max_id.column_int(0);
  max_id.reset();
  if (max == last_id) {
    return {};
  }
  bulk = false;
  ids_by_hash = HashIndex();
  return db->exec(std::string(kCreateIndexes) +
                  "PRAGMA wal_autocheckpoint=256;");
}

Status RequestWriter::Impl::flush_rollup() {
  for (const auto& [key, d] : deltas) {
    rollup.bind(1, key.bucket)
        .bind(2, key.project)
        .bind(3, key.model)
        .bind(4, key.speed)
        .bind(5, d.requests);
    bind_tokens(rollup, 6, d.tokens)
        .bind(13, d.computed_cost)
        .bind(14, d.auto_cost)
        .bind(15, d.display_cost)
        .bind(16, d.unpriced)
        .bind(17, d.first_ts == INT64_MAX ? key.bucket * kBucketMs : d.first_ts)
        .bind(18, d.last_ts == INT64_MIN ? key.bucket * kBucketMs : d.last_ts);
    if (auto s = rollup.run(); !s) {
      return s;
    }
  }
  deltas.clear();
  return {};
}

Result<RequestWriter> RequestWriter::prepare(Database& db, const pricing::PriceTable& prices) {
  auto probe = db.prepare(kProbe);
  auto probe_by_id = db.prepare(kProbeById);
  auto max_id = db.prepare("SELECT max(id) FROM requests");
  auto insert = db.prepare(kInsert);
  auto update = db.prepare(kUpdate);
  auto rollup = db.prepare(kRollupAdd);
  for (auto* r : {&probe, &probe_by_id, &max_id, &insert, &update, &rollup}) {
    if (!*r) {
      return tl::unexpected(r->error());
    }
  }
  auto impl = std::unique_ptr<Impl>(new Impl{nullptr,
                                             &prices,
                                             std::move(*probe),
                                             std::move(*probe_by_id),
                                             std::move(*max_id),
                                             std::move(*insert),
                                             std::move(*update),
                                             std::move(*rollup),
                                             {},
                                             {},
                                             false,
                                             {},
                                             0});
  return RequestWriter(std::move(impl));
}

Status RequestWriter::write(Database& db, std::vector<SourcedRecord>& records) {
  impl_->db = &db;
  if (impl_->bulk) {
    if (auto s = impl_->check_still_alone(); !s) {
      return s;
    }
  }
  collapse_duplicates(records);
  impl_->deltas.clear();
  impl_->last_delta = nullptr;
  impl_->old_strings.clear();
  for (SourcedRecord& record : records) {
    if (auto s = impl_->write_one(record, record.key); !s) {
      return s;
    }
  }
  return impl_->flush_rollup();
}

Status RequestWriter::begin_bulk(Database& db) {
  impl_->db = &db;
  if (auto s = impl_->db->exec("DROP INDEX IF EXISTS requests_key_hash; "
                               "DROP INDEX IF EXISTS requests_ts; "
                               // A bulk load of an empty ledger does not checkpoint until
                               // it ends (end_bulk), so no page is written twice meanwhile.
                               "PRAGMA wal_autocheckpoint=0;");
      !s) {
    return s;
  }
  impl_->bulk = true;
  impl_->last_id = 0;
  return impl_->check_still_alone();
}

Status RequestWriter::end_bulk(Database& db) {
  impl_->db = &db;
  if (!impl_->bulk) {
    return {};
  }
  impl_->bulk = false;
  impl_->ids_by_hash = HashIndex();
  if (auto s = impl_->db->exec(std::string(kCreateIndexes) +
                               "PRAGMA wal_autocheckpoint=256;");
      !s) {
    return s;
  }
  // A bulk load leaves a WAL as large as the data; copy it into the database now, so that the
  // next small update does not pay for it.
  return impl_->db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

bool RequestWriter::bulk() const { return impl_->bulk; }

Status RequestWriter::ensure_indexes(Database& db) { return db.exec(kCreateIndexes); }

void collapse_duplicates(std::vector<SourcedRecord>& records) {
  for (SourcedRecord& r : records) {
    if (r.key.empty()) {
      dedupe_key_into(r.record, r.key);
      r.key_hash = key_hash(r.key);
    }
  }
  // key hash -> index of the record that holds the key so far
  thread_local HashIndex holder;
  holder.clear();
  thread_local std::vector<bool> lost;
  lost.assign(records.size(), false);
  bool any_lost = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::int64_t held = -1;
    holder.find(records[i].key_hash, [&](std::int64_t index) {
      if (records[static_cast<std::size_t>(index)].key == records[i].key) {
        held = index;
        return false;
      }
      return true;
    });
    if (held < 0) {
      holder.insert(records[i].key_hash, static_cast<std::int64_t>(i));
      continue;
    }
    SourcedRecord& kept = records[static_cast<std::size_t>(held)];
    SourcedRecord& candidate = records[i];
    any_lost = true;
    if (wins(candidate.record.tokens.output, candidate.record.sidechain, kept.record.tokens.output,
             kept.record.sidechain)) {
      // The winner takes the loser's place, so winners stay in first-seen order. Keys are
      // equal, so only the records move.
      std::swap(kept.record, candidate.record);
      std::swap(kept.source, candidate.source);
    }
    lost[i] = true;
  }
  if (!any_lost) {
    return;
  }
  std::size_t out = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (!lost[i]) {
      if (out != i) {
        std::swap(records[out], records[i]);  // keeps both sides' memory for reuse
      }
      ++out;
    }
  }
  records.resize(out);
}

RequestWriter::RequestWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RequestWriter::RequestWriter(RequestWriter&&) noexcept = default;
RequestWriter& RequestWriter::operator=(RequestWriter&&) noexcept = default;
RequestWriter::~RequestWriter() = default;

}  // namespace ccgauge::ledger

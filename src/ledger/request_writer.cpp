#include "ledger/request_writer.h"

#include <fmt/format.h>

#include <climits>
#include <cstdlib>
#include <deque>
#include <memory>
#include <unordered_map>

#include "ledger/hash_index.h"
#include "ledger/telemetry_writer.h"

namespace ccgauge::ledger {
namespace {

constexpr std::int64_t kBucketMs = 900'000;  // a UTC quarter hour

#define CCG_REQUEST_COLUMNS                                                            \
  "SELECT id, key, output, sidechain, ts, project, model, speed, input, output, "      \
  "cache_write_5m, cache_write_1h, cache_read, web_search, web_fetch, reported_cost, " \
  "computed_cost, priced"
#define CCG_PROBE_COLUMNS CCG_REQUEST_COLUMNS " FROM requests "
constexpr const char* kProbe = CCG_PROBE_COLUMNS "WHERE key_hash = ?1";
constexpr const char* kProbeById = CCG_PROBE_COLUMNS "WHERE id = ?1";

// The cross-source join (ledger.h). Columns as in the probes, then source (18) and origin (19).
#define CCG_JOIN_COLUMNS CCG_REQUEST_COLUMNS ", source, origin FROM requests "
// Rows of a request id. (No ORDER BY in these queries: a sorter costs more than the rows, 0 or
// 1 of them; first_row() picks.)
constexpr const char* kByRequestId =
    CCG_JOIN_COLUMNS "WHERE request_id = ?1";
// The same request by content: ?1 session, ?2..?3 the time window, ?4 model, ?5 input,
// ?6 output, ?7 cache read, ?8 cache creation.
#define CCG_SAME_CONTENT                                                                     \
  "session = ?1 AND ts BETWEEN ?2 AND ?3 AND model = ?4 AND input = ?5 AND output = ?6 AND " \
  "cache_read = ?7 AND cache_write_5m + cache_write_1h = ?8 "
// OTLP rows a transcript record without request id (?10 = '') joins, or any OTLP row without
// one.
constexpr const char* kOtlpNear = CCG_JOIN_COLUMNS "WHERE source = 'otlp' AND " CCG_SAME_CONTENT
                                                   "AND (?9 = '' OR request_id = '')";
// Transcript rows not joined yet, without a request id (for an OTLP record with one).
constexpr const char* kTranscriptNearUnkeyed =
    CCG_JOIN_COLUMNS "WHERE request_id = '' AND " CCG_SAME_CONTENT
                     "AND source != 'otlp' AND origin IS NULL";
// Transcript rows not joined yet, any (for an OTLP record without request id).
constexpr const char* kTranscriptNear =
    CCG_JOIN_COLUMNS "WHERE " CCG_SAME_CONTENT "AND source != 'otlp' AND origin IS NULL";
#undef CCG_SAME_CONTENT
#undef CCG_JOIN_COLUMNS
#undef CCG_PROBE_COLUMNS
#undef CCG_REQUEST_COLUMNS

// The OTLP sender of a row the join kept: lent to a transcript row that has none.
constexpr const char* kLendOrigin =
    "UPDATE requests SET host = ?2, user = ?3, origin = ?4 WHERE id = ?1 AND origin IS NULL";
constexpr const char* kDeleteRow = "DELETE FROM requests WHERE id = ?1";
constexpr const char* kAnyOtlp = "SELECT EXISTS(SELECT 1 FROM requests WHERE source = 'otlp')";

// Dropped in bulk mode and built again after it (and at the next open, if a bulk load was
// killed).
constexpr const char* kCreateIndexes =
    "CREATE INDEX IF NOT EXISTS requests_key_hash ON requests(key_hash);"
    "CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);";
// The cross-source join's lookup by request id. Built when the ledger gets its first OTLP row
// (ensure_join_index), not before: a ledger fed by transcripts alone never reads it, and
// building it after a bulk load cost about as much as the other two indexes together.
constexpr const char* kCreateJoinIndex =
    "CREATE INDEX IF NOT EXISTS requests_request_id ON requests(request_id, session, ts);";

constexpr const char* kInsert = R"sql(
INSERT INTO requests(key_hash, key, message_id, request_id, ts, session, project, model, agent,
  sidechain, speed, source, input, output, cache_write_5m, cache_write_1h, cache_read, web_search,
  web_fetch, reported_cost, computed_cost, priced, limit_reset, host, user, origin)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
  ?21, ?22, ?23, ?24, ?25, ?26)
)sql";

// OTLP rows are inserted kRowsPerInsert at a time (RequestWriter::Impl::defer_insert): one
// statement for many rows costs far less than one per row. OR IGNORE: no statement journal for
// the many-row statement (requests has no unique key to ignore; flush_deferred checks that every
// row went in).
constexpr int kRowsPerInsert = 32;
constexpr int kInsertColumns = 26;

std::string insert_many_sql() {
  std::string sql =
      "INSERT OR IGNORE INTO requests(key_hash, key, message_id, request_id, ts, session, "
      "project, model, agent, sidechain, speed, source, input, output, cache_write_5m, "
      "cache_write_1h, cache_read, web_search, web_fetch, reported_cost, computed_cost, priced, "
      "limit_reset, host, user, origin) VALUES";
  for (int row = 0; row < kRowsPerInsert; ++row) {
    sql += row == 0 ? "(" : ",(";
    for (int c = 1; c <= kInsertColumns; ++c) {
      sql += c == 1 ? "?" : ",?";
      sql += std::to_string(row * kInsertColumns + c);
    }
    sql += ")";
  }
  return sql;
}

// The first 23 columns of kInsert (bound the same way), for the row with id ?24. host, user and
// origin stay: a transcript record that takes over an OTLP row keeps who sent it.
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
  // The cross-source join.
  Statement by_request_id;
  Statement otlp_near;
  Statement transcript_near_unkeyed;
  Statement transcript_near;
  Statement lend_origin;
  Statement delete_row;
  Statement any_otlp;
  Statement insert_many;                 // kRowsPerInsert rows (insert_many_sql)
  TelemetryWriter* telemetry = nullptr;  // set for the duration of each write()
  bool has_otlp = false;                 // the ledger holds OTLP rows (checked per batch)
  bool join_index = false;               // requests_request_id exists (checked per batch)
  // synchronous=OFF since begin_bulk, until end_bulk (which cannot change it inside the
  // transaction where leave_bulk runs).
  bool sync_off = false;
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
  Status leave_bulk();
  // Builds the join's index unless this writer knows it exists. Call inside a transaction,
  // before the join's first lookup.
  Status ensure_join_index();

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

  // New OTLP rows, and in bulk mode new transcript rows, inserted kRowsPerInsert at a time. A
  // deferred row is already accounted for (rollup, outcome, and in bulk mode ids_by_hash under
  // the id it will get); it reaches the table before anything else reads it: flush_deferred()
  // runs before a transcript record is written while the ledger holds OTLP rows (the join looks
  // for them) and at the end of write(). The records of one batch never need each other's rows:
  // collapse_duplicates() made their keys distinct, and an OTLP record's join looks for
  // transcript rows only. In bulk mode this writer is the table's only writer (see
  // check_still_alone) and rowids come in order, so the ids are known before the insert.
  struct DeferredRow {
    const SourcedRecord* sr;
    const std::string* key;
    PricedCost price;
    std::optional<std::int64_t> origin;
  };
  std::vector<DeferredRow> deferred{};
  Status flush_deferred();
  // Bind `row` from ?(offset + 1): the 23 columns kInsert and kUpdate share, and kInsert's
  // host, user and origin (?24 to ?26).
  void bind_columns(Statement& stmt, int offset, const DeferredRow& row);
  void bind_origin(Statement& stmt, int offset, const DeferredRow& row);

  // The cross-source join (ledger.h).
  struct JoinRow {
    std::int64_t id = 0;
    bool otlp = false;
    bool has_origin = false;
    Contribution old;
  };
  // Steps `q` (bound by the caller) through its rows and keeps in `row` the best: a transcript
  // row before an OTLP row, then the nearest to near_ts, then the oldest. Resets q.
  Result<bool> first_row(Statement& q, JoinRow& row, std::int64_t near_ts);
  void bind_same_content(Statement& q, const UsageRecord& r);
  Result<bool> find_by_request_id(const UsageRecord& r, JoinRow& row);
  // An OTLP row the transcript record `r` is the same request as.
  Result<bool> find_otlp_twin(const UsageRecord& r, JoinRow& row);
  // A transcript row the OTLP record `r` is the same request as.
  Result<bool> find_transcript_twin(const UsageRecord& r, JoinRow& row);
  Status write_otlp(SourcedRecord& sr, const std::string& key);
  Status lend_origin_to(std::int64_t id, const SourcedRecord& sr);
  Status write_row(SourcedRecord& sr, const std::string& key, std::optional<std::int64_t> replaced_id,
                   const Contribution& old);
};

namespace {

// Fills `old` from a probe row (columns as in kProbe). The texts go to `strings`, which must
// outlive the batch's rollup flush.
void load_contribution(const Statement& q, Contribution& old, std::deque<std::string>& strings) {
  old.ts = q.column_int(4);
  old.project = strings.emplace_back(q.column_text(5));
  old.model = strings.emplace_back(q.column_text(6));
  old.speed = q.column_int(7);
  old.tokens = read_tokens(q, 8);
  old.reported_cost =
      q.column_is_null(15) ? std::nullopt : std::optional<Nanodollars>(q.column_int(15));
  old.computed_cost = q.column_int(16);
  old.priced = q.column_int(17) != 0;
}

}  // namespace

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
    load_contribution(q, old, old_strings);
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
  if (sr.source == kOtlpSource) {
    return write_otlp(sr, key);
  }
  if (has_otlp) {
    if (auto s = flush_deferred(); !s) {
      return s;
    }
  }
  const UsageRecord& r = sr.record;
  std::int64_t existing_id = 0;
  Contribution old;
  Error error;
  Found found = find_stored(r, key, sr.key_hash, existing_id, old, error);
  if (found == Found::kError) {
    return tl::unexpected(error);
  }
  if (found == Found::kStays) {
    sr.outcome = WriteOutcome::kKept;
    return {};
  }
  if (!has_otlp) {
    return write_row(sr, key, found == Found::kReplaces ? std::optional(existing_id) : std::nullopt,
                     old);
  }
  JoinRow twin;
  auto has_twin = find_otlp_twin(r, twin);
  if (!has_twin) {
    return tl::unexpected(has_twin.error());
  }
  if (found == Found::kAbsent) {
    if (!*has_twin) {
      return write_row(sr, key, std::nullopt, old);
    }
    // A new transcript record takes over the OTLP row of the same request, unless it is a
    // snapshot of the response with fewer output tokens than the event's final count: then the
    // row keeps the event's numbers until the transcript's final line comes.
    if (r.tokens.output < twin.old.tokens.output) {
      sr.outcome = WriteOutcome::kKept;
      return {};
    }
    return write_row(sr, key, twin.id, twin.old);
  }
  if (auto s = write_row(sr, key, existing_id, old); !s) {
    return s;
  }
  // The record replaced its own row with new numbers (a streamed response's final line), which
  // may now be those of an OTLP row: that row was this request all along.
  if (*has_twin) {
    delete_row.bind(1, twin.id);
    if (auto s = delete_row.run(); !s) {
      return s;
    }
    account(twin.old, -1);
  }
  return {};
}

Status RequestWriter::Impl::write_row(SourcedRecord& sr, const std::string& key,
                                      std::optional<std::int64_t> replaced_id,
                                      const Contribution& old) {
  const UsageRecord& r = sr.record;
  bool replaces = replaced_id.has_value();
  sr.outcome = replaces ? WriteOutcome::kReplaced : WriteOutcome::kInserted;
  PricedCost p = price_request(*prices, r.model, r.tokens, r.speed);
  DeferredRow row{&sr, &key, p, std::nullopt};
  if (!replaces && sr.origin != nullptr && telemetry != nullptr) {
    auto origin = telemetry->origin_id(sr.origin);
    if (!origin) {
      return tl::unexpected(origin.error());
    }
    row.origin = *origin;
  }
  bool defer = !replaces && (bulk ? !has_otlp : sr.source == kOtlpSource);
  if (defer) {
    if (bulk) {
      ids_by_hash.insert(sr.key_hash, ++last_id);
    }
    deferred.push_back(row);
    if (deferred.size() == static_cast<std::size_t>(kRowsPerInsert)) {
      if (auto s = flush_deferred(); !s) {
        return s;
      }
    }
  } else {
    Statement& stmt = replaces ? update : insert;
    bind_columns(stmt, 0, row);
    if (replaces) {
      stmt.bind(24, *replaced_id);
    } else {
      bind_origin(stmt, 0, row);
    }
    if (auto s = stmt.run(); !s) {
      return s;
    }
  }
  if (replaces) {
    account(old, -1);
  } else if (bulk && !defer) {
    last_id = db->last_insert_rowid();
    ids_by_hash.insert(sr.key_hash, last_id);
  }
  account(
      Contribution{to_epoch_ms(r.instant), r.project, r.model, static_cast<std::int64_t>(r.speed),
                   r.tokens, p.cost, r.reported_cost, p.priced},
      +1);
  return {};
}

void RequestWriter::Impl::bind_columns(Statement& stmt, int offset, const DeferredRow& row) {
  const SourcedRecord& sr = *row.sr;
  const UsageRecord& r = sr.record;
  stmt.bind(offset + 1, sr.key_hash)
      .bind(offset + 2, *row.key)
      .bind(offset + 3, r.message_id)
      .bind(offset + 4, r.request_id)
      .bind(offset + 5, to_epoch_ms(r.instant))
      .bind(offset + 6, r.session_id)
      .bind(offset + 7, r.project)
      .bind(offset + 8, r.model)
      .bind(offset + 9, static_cast<std::int64_t>(r.agent))
      .bind(offset + 10, std::int64_t{r.sidechain})
      .bind(offset + 11, static_cast<std::int64_t>(r.speed))
      .bind(offset + 12, sr.source);
  bind_tokens(stmt, offset + 13, r.tokens)
      .bind(offset + 20, r.reported_cost)
      .bind(offset + 21, row.price.cost)
      .bind(offset + 22, std::int64_t{row.price.priced})
      .bind(offset + 23, r.limit_reset_epoch_s);
}

void RequestWriter::Impl::bind_origin(Statement& stmt, int offset, const DeferredRow& row) {
  const SourcedRecord& sr = *row.sr;
  if (row.origin) {
    stmt.bind(offset + 24, std::string_view(sr.origin->host))
        .bind(offset + 25, user_of(*sr.origin))
        .bind(offset + 26, *row.origin);
  } else {
    stmt.bind(offset + 24, std::string_view())
        .bind(offset + 25, std::string_view())
        .bind_null(offset + 26);
  }
}

Status RequestWriter::Impl::flush_deferred() {
  if (deferred.empty()) {
    return {};
  }
  Status status;
  if (deferred.size() == static_cast<std::size_t>(kRowsPerInsert)) {
    for (int i = 0; i < kRowsPerInsert; ++i) {
      const DeferredRow& row = deferred[static_cast<std::size_t>(i)];
      bind_columns(insert_many, i * kInsertColumns, row);
      bind_origin(insert_many, i * kInsertColumns, row);
    }
    status = insert_many.run();
    if (status && db->changes() != kRowsPerInsert) {
      status = fail(Errc::kInternal, fmt::format("{} of {} request rows were not inserted",
                                                 kRowsPerInsert - db->changes(), kRowsPerInsert));
    }
  } else {
    for (const DeferredRow& row : deferred) {
      bind_columns(insert, 0, row);
      bind_origin(insert, 0, row);
      status = insert.run();
      if (!status) {
        break;
      }
    }
  }
  deferred.clear();
  if (status && bulk && db->last_insert_rowid() != last_id) {
    status = fail(Errc::kInternal,
                  fmt::format("bulk load: the last request row got id {}, not {}",
                              db->last_insert_rowid(), last_id));
  }
  return status;
}

Result<bool> RequestWriter::Impl::first_row(Statement& q, JoinRow& row, std::int64_t near_ts) {
  bool found = false;
  std::int64_t best_distance = INT64_MAX;
  std::int64_t best_id = 0;
  for (;;) {
    auto step = q.step();
    if (!step) {
      q.reset();
      return tl::unexpected(step.error());
    }
    if (*step == Statement::StepResult::kDone) {
      break;
    }
    // Transcript rows before OTLP rows, then the nearest in time.
    bool otlp = q.column_text(18) == kOtlpSource;
    std::int64_t distance = (otlp ? INT64_MAX / 2 : 0) + std::abs(q.column_int(4) - near_ts) / 2;
    if (found && (distance > best_distance ||
                  (distance == best_distance && q.column_int(0) > best_id))) {
      continue;
    }
    found = true;
    best_distance = distance;
    best_id = q.column_int(0);
    row.id = best_id;
    load_contribution(q, row.old, old_strings);
    row.otlp = otlp;
    row.has_origin = !q.column_is_null(19);
  }
  q.reset();
  return found;
}

void RequestWriter::Impl::bind_same_content(Statement& q, const UsageRecord& r) {
  std::int64_t ts = to_epoch_ms(r.instant);
  std::int64_t window = kJoinWindow.count();
  q.bind(1, r.session_id)
      .bind(2, ts - window)
      .bind(3, ts + window)
      .bind(4, r.model)
      .bind(5, r.tokens.input)
      .bind(6, r.tokens.output)
      .bind(7, r.tokens.cache_read)
      .bind(8, r.tokens.cache_creation());
}

Result<bool> RequestWriter::Impl::find_by_request_id(const UsageRecord& r, JoinRow& row) {
  if (r.request_id.empty()) {
    return false;
  }
  by_request_id.bind(1, r.request_id);
  return first_row(by_request_id, row, to_epoch_ms(r.instant));
}

Result<bool> RequestWriter::Impl::find_otlp_twin(const UsageRecord& r, JoinRow& row) {
  auto by_id = find_by_request_id(r, row);
  if (!by_id || (*by_id && row.otlp)) {
    return by_id;
  }
  bind_same_content(otlp_near, r);
  otlp_near.bind(9, r.request_id);
  return first_row(otlp_near, row, to_epoch_ms(r.instant));
}

Result<bool> RequestWriter::Impl::find_transcript_twin(const UsageRecord& r, JoinRow& row) {
  Statement& q = r.request_id.empty() ? transcript_near : transcript_near_unkeyed;
  bind_same_content(q, r);
  return first_row(q, row, to_epoch_ms(r.instant));
}

Status RequestWriter::Impl::lend_origin_to(std::int64_t id, const SourcedRecord& sr) {
  if (sr.origin == nullptr || telemetry == nullptr) {
    return {};
  }
  auto origin = telemetry->origin_id(sr.origin);
  if (!origin) {
    return tl::unexpected(origin.error());
  }
  lend_origin.bind(1, id)
      .bind(2, std::string_view(sr.origin->host))
      .bind(3, user_of(*sr.origin))
      .bind(4, *origin);
  return lend_origin.run();
}

Status RequestWriter::Impl::write_otlp(SourcedRecord& sr, const std::string& key) {
  if (bulk) {
    // The join needs the indexes, which a bulk load drops.
    if (auto s = leave_bulk(); !s) {
      return s;
    }
  }
  if (auto s = ensure_join_index(); !s) {
    return s;
  }
  const UsageRecord& r = sr.record;
  JoinRow row;
  // The ledger has this request already: from a transcript, or from an earlier export.
  auto known = find_by_request_id(r, row);
  if (known && !*known) {
    known = find_transcript_twin(r, row);
  }
  if (!known) {
    return tl::unexpected(known.error());
  }
  if (*known) {
    sr.outcome = WriteOutcome::kKept;
    return row.otlp || row.has_origin ? Status{} : lend_origin_to(row.id, sr);
  }
  // A record with a request id has the key "otlp:<id>", which no stored row has (the lookup
  // above found none with that id). One without: the same record sent again has its content key.
  std::int64_t existing_id = 0;
  Contribution old;
  Error error;
  Found found = r.request_id.empty()
                    ? find_stored(r, key, sr.key_hash, existing_id, old, error)
                    : Found::kAbsent;
  if (found == Found::kError) {
    return tl::unexpected(error);
  }
  if (found == Found::kStays) {
    sr.outcome = WriteOutcome::kKept;
    return {};
  }
  has_otlp = true;
  return write_row(sr, key, found == Found::kReplaces ? std::optional(existing_id) : std::nullopt,
                   old);
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
  return leave_bulk();
}

Status RequestWriter::Impl::ensure_join_index() {
  if (join_index) {
    return {};
  }
  if (auto s = db->exec(kCreateJoinIndex); !s) {
    return s;
  }
  join_index = true;
  return {};
}

Status RequestWriter::Impl::leave_bulk() {
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
  // Deferred: a status line call that writes one transcript line uses a few of these.
  auto impl = std::unique_ptr<Impl>(new Impl{nullptr,
                                             &prices,
                                             db.prepare_deferred(kProbe),
                                             db.prepare_deferred(kProbeById),
                                             db.prepare_deferred("SELECT max(id) FROM requests"),
                                             db.prepare_deferred(kInsert),
                                             db.prepare_deferred(kUpdate),
                                             db.prepare_deferred(kRollupAdd),
                                             db.prepare_deferred(kByRequestId),
                                             db.prepare_deferred(kOtlpNear),
                                             db.prepare_deferred(kTranscriptNearUnkeyed),
                                             db.prepare_deferred(kTranscriptNear),
                                             db.prepare_deferred(kLendOrigin),
                                             db.prepare_deferred(kDeleteRow),
                                             db.prepare_deferred(kAnyOtlp),
                                             db.prepare_deferred(insert_many_sql()),
                                             nullptr,
                                             false,
                                             false,
                                             false,
                                             {},
                                             {},
                                             false,
                                             {},
                                             0});
  return RequestWriter(std::move(impl));
}

Status RequestWriter::write(Database& db, std::vector<SourcedRecord>& records,
                            TelemetryWriter* telemetry) {
  impl_->db = &db;
  impl_->telemetry = telemetry;
  if (impl_->bulk) {
    if (auto s = impl_->check_still_alone(); !s) {
      return s;
    }
  }
  if (!impl_->has_otlp) {
    // Another process may have added OTLP rows since the last batch.
    auto step = impl_->any_otlp.step();
    impl_->has_otlp = step && *step == Statement::StepResult::kRow &&
                      impl_->any_otlp.column_int(0) != 0;
    impl_->any_otlp.reset();
    if (!step) {
      return tl::unexpected(step.error());
    }
  }
  impl_->join_index = false;  // a rolled-back batch may have created it
  if (impl_->has_otlp) {
    if (auto s = impl_->ensure_join_index(); !s) {
      return s;
    }
  }
  collapse_duplicates(records);
  impl_->deltas.clear();
  impl_->last_delta = nullptr;
  impl_->old_strings.clear();
  impl_->deferred.clear();
  constexpr std::size_t kPrefetchAhead = 8;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (impl_->bulk && i + kPrefetchAhead < records.size()) {
      impl_->ids_by_hash.prefetch(records[i + kPrefetchAhead].key_hash);
    }
    if (auto s = impl_->write_one(records[i], records[i].key); !s) {
      impl_->deferred.clear();
      return s;
    }
  }
  if (auto s = impl_->flush_deferred(); !s) {
    return s;
  }
  return impl_->flush_rollup();
}

Status RequestWriter::begin_bulk(Database& db) {
  impl_->db = &db;
  if (auto s = impl_->db->exec("DROP INDEX IF EXISTS requests_key_hash; "
                               "DROP INDEX IF EXISTS requests_ts; "
                               "DROP INDEX IF EXISTS requests_request_id; "
                               // Checkpoint in steps of 16 MiB, on the committing thread
                               // while the workers still parse rather than all at the end;
                               // the index builds of end_bulk then read the table from the
                               // database file, not through a WAL as large as the data.
                               "PRAGMA wal_autocheckpoint=4096;"
                               // No sync until end_bulk. A killed process loses nothing
                               // (what it committed is in the WAL, which the OS holds); a
                               // power cut before the OS wrote the pages out may corrupt a
                               // ledger that had no requests before: delete it and run again
                               // to rebuild it from the transcripts.
                               "PRAGMA synchronous=OFF;");
      !s) {
    return s;
  }
  impl_->sync_off = true;
  impl_->bulk = true;
  impl_->last_id = 0;
  return impl_->check_still_alone();
}

Status RequestWriter::end_bulk(Database& db) {
  impl_->db = &db;
  Status status;
  if (impl_->bulk) {
    impl_->bulk = false;
    impl_->ids_by_hash = HashIndex();
    // The table's pages still in the WAL go to the database first, so that the index builds
    // read them from there (a page read through the WAL costs a lookup in the WAL index). The
    // indexes' pages follow, and the WAL is left empty: the next process to open the ledger
    // has nothing to read back, and the next small update does not pay for the bulk load.
    // (Not synced: see begin_bulk.)
    status = impl_->db->exec("PRAGMA wal_checkpoint(PASSIVE)");
    if (status) {
      status = impl_->db->exec(std::string(kCreateIndexes) + "PRAGMA wal_autocheckpoint=256;");
    }
    if (status) {
      status = impl_->db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
  }
  if (impl_->sync_off) {
    impl_->sync_off = false;
    Status restored = impl_->db->exec("PRAGMA synchronous=NORMAL");
    if (status) {
      status = restored;
    }
  }
  return status;
}

bool RequestWriter::bulk() const { return impl_->bulk; }

Status RequestWriter::ensure_indexes(Database& db) { return db.exec(kCreateIndexes); }

void collapse_duplicates(std::vector<SourcedRecord>& records) {
  for (SourcedRecord& r : records) {
    if (r.key.empty()) {
      if (r.source == kOtlpSource && r.record.message_id.empty() &&
          !r.record.request_id.empty()) {
        // An OTLP event's request id identifies it (two requests may share their content).
        r.key.assign("otlp:").append(r.record.request_id);
      } else {
        dedupe_key_into(r.record, r.key);
      }
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
      std::swap(kept.origin, candidate.origin);
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

#pragma once
// Writes deduped requests and keeps usage_rollup equal to the sums over them. Internal to the
// ledger module: Ledger::commit() calls it inside its transaction.
//
// Requests are appended by rowid and found by a 64-bit hash of their dedupe key through a small
// index; the key text is stored and compared, so a hash collision never merges two requests.
// Rollup changes are summed in memory per batch and applied once per touched row.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ledger/ledger.h"
#include "ledger/sqlite.h"
#include "pricing/price_table.h"

namespace ccgauge::ledger {

class TelemetryWriter;

// The integer the requests table indexes a dedupe key by.
std::int64_t key_hash(std::string_view key);

struct PricedCost {
  Nanodollars cost = 0;
  bool priced = true;  // false only for a named model the table does not know
};

// The computed cost of one request; a request without a model costs 0 and counts as priced.
PricedCost price_request(const pricing::PriceTable& prices, std::string_view model,
                         const TokenCounts& tokens, Speed speed);

// Recomputes usage_rollup from requests. Call inside a transaction.
Status rebuild_rollup(Database& db);

class RequestWriter {
 public:
  // `prices` must outlive the writer; `db` is the connection every later call passes (the
  // writer keeps no pointer to it, so the Database may move).
  static Result<RequestWriter> prepare(Database& db, const pricing::PriceTable& prices);

  // Applies the dedupe rule to `records` against the batch and the stored rows (the
  // cross-source join included, see ledger.h), writes the winners and updates the rollup. Call
  // inside a transaction. `records` is collapsed in place first (see collapse_duplicates).
  // `telemetry` stores the origins of OTLP records; it may be null when no record has one.
  Status write(Database& db, std::vector<SourcedRecord>& records,
               TelemetryWriter* telemetry = nullptr);

  // Bulk mode, for a first catch-up into an empty ledger: the key-hash and time indexes are
  // dropped and keys are tracked in memory instead, so every new request is a plain append;
  // commits are not synced and checkpoint every 16 MiB. end_bulk() builds the indexes once,
  // leaves the WAL empty and restores synchronous=NORMAL. If another process writes requests
  // meanwhile, the writer notices at its next batch and leaves bulk mode. A process killed in
  // bulk mode leaves no indexes; ensure_indexes() at the next open builds them. The join's
  // index on request ids is built only when the first OTLP record is written.
  Status begin_bulk(Database& db);
  Status end_bulk(Database& db);
  bool bulk() const;

  static Status ensure_indexes(Database& db);

 private:
  struct Impl;
  explicit RequestWriter(std::unique_ptr<Impl> impl);

 public:
  RequestWriter(RequestWriter&&) noexcept;
  RequestWriter& operator=(RequestWriter&&) noexcept;
  ~RequestWriter();

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccgauge::ledger

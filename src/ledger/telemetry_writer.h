#pragma once
// Writes what OpenTelemetry reports besides requests: the senders (`origins`), events (into the
// shared `events` table with source 'otlp') and metric points. Internal to the ledger module:
// Ledger::commit() calls it inside its transaction, after the request writer.
//
// Origins are deduplicated by their canonical text and cached in memory, so a steady stream
// from the same Claude Code processes costs one map lookup per record.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/telemetry.h"
#include "ledger/sqlite.h"

namespace ccgauge::ledger {

// The person behind an origin, as stored in the `user` columns: the e-mail, else the account
// UUID, else the anonymous user.id; empty when none was sent.
std::string_view user_of(const TelemetryOrigin& origin);

// The idempotency key of an OTLP event: session, event.sequence, event.timestamp and name when
// the event has a sequence (what a retried export sends again), else the session and a hash of
// its content.
std::string otlp_event_key(const TelemetryEvent& event);

class TelemetryWriter {
 public:
  // `db` is the connection every later call passes (the writer keeps no pointer to it).
  static Result<TelemetryWriter> prepare(Database& db);

  // The id of the `origins` row for `origin`, inserting it when new. Call inside a transaction.
  Result<std::int64_t> origin_id(const TelemetryOrigin& origin);
  // The same for a shared origin (not null); records that share one pointer cost one compare.
  Result<std::int64_t> origin_id(const std::shared_ptr<const TelemetryOrigin>& origin);

  // Inserts the events; one already stored under the same key is skipped. Returns how many were
  // new. Call inside a transaction.
  Result<std::int64_t> write_events(Database& db, const std::vector<TelemetryEvent>& events);

  // Inserts the points as they are (sums must be deltas). Call inside a transaction.
  Status write_metric_points(const std::vector<MetricPoint>& points);

  // Forgets the cached origin ids: call after a transaction that failed (its origins rolled
  // back).
  void forget_cache() {
    origin_ids_.clear();
    last_origin_.reset();
    last_shared_origin_.reset();
  }

 private:
  TelemetryWriter(Statement insert_origin, Statement find_origin, Statement insert_event,
                  Statement insert_events, Statement insert_point);
  Result<std::int64_t> lookup_origin(const TelemetryOrigin& origin);

  Statement insert_origin_;
  Statement find_origin_;
  Statement insert_event_;   // one row
  Statement insert_events_;  // several rows (telemetry_writer.cpp: kEventsPerInsert)
  Statement insert_point_;
  std::unordered_map<std::string, std::int64_t> origin_ids_;  // canonical text -> id
  std::string scratch_;                                       // canonical text being built
  // The origin looked up last: records of one export share theirs, and comparing is cheaper
  // than building the canonical text.
  std::optional<TelemetryOrigin> last_origin_;
  std::int64_t last_origin_id_ = 0;
  // The shared origin looked up last (held, so that its address cannot be reused by another
  // origin) and its id.
  std::shared_ptr<const TelemetryOrigin> last_shared_origin_;
  std::int64_t last_shared_origin_id_ = 0;
  // The event keys and attributes JSON of the rows being inserted (kept, with their capacity,
  // from one call to the next).
  std::vector<std::string> key_scratch_;
  std::vector<std::string> json_scratch_;
};

}  // namespace ccgauge::ledger

#pragma once
// Reads harness events from the ledger, pairs them into runs and joins each run with the
// requests of its Claude Code session (analytics/harness.h).

#include "analytics/harness.h"
#include "core/result.h"
#include "ledger/ledger.h"

namespace ccgauge::ledger {

Result<analytics::HarnessReport> read_harness(const Ledger& ledger,
                                              const analytics::HarnessOptions& options);

}  // namespace ccgauge::ledger

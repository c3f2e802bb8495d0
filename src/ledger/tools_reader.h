#pragma once
// Reads hook events from the ledger into the tool activity report (analytics/tools.h).

#include "analytics/tools.h"
#include "core/result.h"
#include "ledger/ledger.h"

namespace ccgauge::ledger {

Result<analytics::ToolsReport> read_tools(const Ledger& ledger, const analytics::ToolsQuery& query);

}  // namespace ccgauge::ledger

#include "ledger/harness_reader.h"

#include <simdjson.h>

#include "ledger/events.h"

namespace ccgauge::ledger {

Result<analytics::HarnessReport> read_harness(const Ledger& ledger,
                                              const analytics::HarnessOptions& options) {
  analytics::HarnessBuilder builder(options);
  simdjson::dom::parser parser;
  EventQuery events;
  events.source = "harness";
  auto status = for_each_event(ledger, events, [&](const EventRow& e) {
    analytics::HarnessEventRow row;
    row.instant = e.instant;
    row.event = e.name;
    row.task_id = e.task_id;
    row.label = e.label;
    row.project = e.project;
    row.session_id = e.session;
    row.success = e.success;
    row.duration_ms = e.duration_ms;
    row.error = e.error;
    // The harness that sent the event is the attribute "source" (the column says "harness").
    simdjson::dom::element attributes;
    std::string_view source;
    if (parser.parse(e.attributes).get(attributes) == simdjson::SUCCESS &&
        attributes["source"].get_string().get(source) == simdjson::SUCCESS) {
      row.source = std::string(source);
    }
    builder.add_event(row);
  });
  if (!status) {
    return tl::unexpected(status.error());
  }
  builder.pair_runs();
  if (builder.span_from()) {
    // One pass over the requests of the whole span; the builder assigns each to its run.
    RequestQuery requests;
    requests.from = builder.span_from();
    requests.to = builder.span_to();
    status = ledger.for_each_request(
        requests, [&](const analytics::RequestRow& row) { builder.add_request(row); });
    if (!status) {
      return tl::unexpected(status.error());
    }
  }
  return builder.finish();
}

}  // namespace ccgauge::ledger

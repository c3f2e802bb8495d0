// The daemon's REST API under /api/v1/ (being written).
#include "cli/daemon.h"

namespace ccgauge::cli {

void add_api_routes(server::Router& router, DaemonContext& ctx) {
  router.add("GET", "/api/v1/health", [&ctx](const server::Request&) {
    server::Response r;
    auto h = ctx.health();
    r.body = "{\"status\":\"ok\"}";
    (void)h;
    return r;
  });
}

}  // namespace ccgauge::cli

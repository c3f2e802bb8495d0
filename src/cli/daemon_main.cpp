// ccgauge-daemon: `ccgauge serve` (ccgauge execs this binary with the arguments after "serve").

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/cli_options.h"
#include "cli/daemon.h"
#include "cli/environment.h"

int main(int argc, char** argv) {
  using namespace ccgauge::cli;
  CLI::App app{
      "ccgauge serve: live ingestion, REST + WebSocket API, Prometheus /metrics, the gauge's "
      "/usage"};
  app.name("ccgauge serve");
  ServeOptions o;
  app.add_option("--listen", o.listen,
                 "ADDRESS:PORT to serve on (default 127.0.0.1:8321; off loopback needs --token)");
  app.add_option("--token", o.token,
                 "Bearer token every route but /api/v1/health requires (default: $CCGAUGE_TOKEN)");
  app.add_option("--ledger", o.ledger_path, "Ledger file");
  app.add_option("-z,--timezone", o.timezone, "IANA time zone for \"today\"");
  add_plan_options(app, o.plan);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (o.token.empty()) {
    o.token = env_or("CCGAUGE_TOKEN", "");
  }
  try {
    return run_serve(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ccgauge serve: error: %s\n", e.what());
    return 1;
  }
}

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
  app.add_option("--otlp-grpc", o.otlp_grpc,
                 "ADDRESS:PORT for OTLP/gRPC (default 127.0.0.1:4317; off loopback needs --token)");
  app.add_option("--otlp-http", o.otlp_http,
                 "ADDRESS:PORT for OTLP/HTTP (default 127.0.0.1:4318; off loopback needs --token)");
  app.add_flag("--no-otlp", o.no_otlp, "Do not receive OpenTelemetry");
  app.add_option("--otlp-max-body", o.otlp_max_body_bytes,
                 "Largest OTLP request body in bytes, compressed or not (default 64 MiB)")
      ->check(CLI::PositiveNumber);
  app.add_option("--otlp-max-pending", o.otlp_max_pending,
                 "OTLP records waiting for the ledger before exporters are told to retry "
                 "(default 50000)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--otlp-prompt-text", o.otlp_prompt_text,
               "Keep prompt and response text from OTLP events (only with OTEL_LOG_USER_PROMPTS; "
               "off: only their length)");
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

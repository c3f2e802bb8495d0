// Sends Claude-Code-shaped OpenTelemetry (research: telemetry.md §1.2–1.6) to an OTLP endpoint
// with the real OpenTelemetry JS SDK and exporters, and prints what it sent as JSON.
//
//   node send.js '<json options>'
//
// Options (all optional but protocol and endpoint):
//   protocol     "grpc" | "http/protobuf" | "http/json"
//   endpoint     base URL: "http://127.0.0.1:4317" (grpc) or "http://127.0.0.1:4318" (http; the
//                signal path /v1/logs, /v1/metrics is appended, as Claude Code does)
//   token        sent as "Authorization: Bearer <token>" (OTEL_EXPORTER_OTLP_HEADERS)
//   compression  "gzip" | "none"
//   signals      ["logs", "metrics"]
//   session      session.id of every record
//   prefix       request ids are "req_<prefix>_<i>"
//   requests     how many api_request events (default 5)
//   badRecords   api_request events with unreadable token counts (rejected by the receiver)
//   temporality  "delta" (Claude Code's default) | "cumulative" (exported twice, growing)
//   model        the model of every request (default "claude-sonnet-4-5")
//   timestampMs  the instant of every event (default: now)
//   host, email  resource host.name and the user.email attribute
//
// Attribute value types vary on purpose (§1.6): token counts go out as numbers (int_value) for
// even requests and as strings for odd ones, cost_usd as a double, success as a bool and as the
// string "true", status_code as a number; that is ccmon's failure (it read every number as a
// string).
//
// Output: {"sent": {totals...}, "exports": [{signal, code, error, items}], "partialSuccess":
// [messages the exporter logged]}. Exit code 0 even when an export failed: the caller checks.

'use strict';

const { diag, DiagLogLevel } = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const {
  MeterProvider,
  PeriodicExportingMetricReader,
  AggregationTemporality,
} = require('@opentelemetry/sdk-metrics');

const options = JSON.parse(process.argv[2] || '{}');
const protocol = options.protocol || 'http/protobuf';
const endpoint = (options.endpoint || 'http://127.0.0.1:4318').replace(/\/$/, '');
const signals = options.signals || ['logs', 'metrics'];
const session = options.session || '2ff46cd5-0000-4000-8000-000000000001';
const prefix = options.prefix || 'run';
const requestCount = options.requests === undefined ? 5 : options.requests;
const badRecords = options.badRecords || 0;
const model = options.model || 'claude-sonnet-4-5';
const timestampMs = options.timestampMs || Date.now();
const host = options.host || 'devbox';
const email = options.email || 'dev@example.com';
const compression = options.compression || 'none';
const cumulative = options.temporality === 'cumulative';

if (options.token) {
  process.env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer ${options.token}`;
}

const partialSuccess = [];
const diagnostics = [];
diag.setLogger(
  {
    error: (...a) => diagnostics.push(a.join(' ')),
    warn: (...a) => {
      const line = a.join(' ');
      if (line.includes('Partial Success')) partialSuccess.push(line);
      else diagnostics.push(line);
    },
    info: () => {},
    debug: () => {},
    verbose: () => {},
  },
  DiagLogLevel.WARN,
);

const exports_ = [];
// The exporter, recording each export's result.
function recording(exporter, signal) {
  return new Proxy(exporter, {
    get(target, property) {
      if (property === 'export') {
        return (items, done) => {
          const count = signal === 'logs'
            ? items.length
            : items.scopeMetrics.reduce((n, s) => n + s.metrics.length, 0);
          target.export(items, (result) => {
            exports_.push({
              signal,
              code: result.code,
              error: result.error ? String(result.error.message || result.error) : null,
              items: count,
            });
            done(result);
          });
        };
      }
      const value = target[property];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function exporterConfig(signal) {
  const config = { timeoutMillis: 10000, compression };
  config.url = protocol === 'grpc' ? endpoint : `${endpoint}/v1/${signal}`;
  return config;
}

function logExporter() {
  const config = exporterConfig('logs');
  if (protocol === 'grpc') {
    return new (require('@opentelemetry/exporter-logs-otlp-grpc').OTLPLogExporter)(config);
  }
  if (protocol === 'http/json') {
    return new (require('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter)(config);
  }
  return new (require('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter)(config);
}

function metricExporter() {
  const config = exporterConfig('metrics');
  config.temporalityPreference = cumulative ? 'cumulative' : 'delta';
  if (protocol === 'grpc') {
    return new (require('@opentelemetry/exporter-metrics-otlp-grpc').OTLPMetricExporter)(config);
  }
  if (protocol === 'http/json') {
    return new (require('@opentelemetry/exporter-metrics-otlp-http').OTLPMetricExporter)(config);
  }
  return new (require('@opentelemetry/exporter-metrics-otlp-proto').OTLPMetricExporter)(config);
}

// A Claude Code 2.1.330 process with OTEL_RESOURCE_INCLUDE_HOST=true and
// OTEL_RESOURCE_ATTRIBUTES=repo=ccgauge.
const resource = resourceFromAttributes({
  'service.name': 'claude-code',
  'service.version': '2.1.330',
  'os.type': 'linux',
  'host.arch': 'amd64',
  'host.name': host,
  repo: 'ccgauge',
});

// §1.4 standard attributes, on every metric point and event.
const standard = {
  'user.id': 'a'.repeat(64),
  'session.id': session,
  'organization.id': 'org-uuid',
  'user.email': email,
  'user.account_uuid': 'acct-uuid',
  'terminal.type': 'tmux',
  repo: 'ccgauge',
};

const sent = {
  requests: 0,
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheCreation: 0,
  costUsd: 0,
  badRecords: 0,
  events: 0,
  linesAdded: 0,
  linesRemoved: 0,
  commits: 0,
  pullRequests: 0,
  activeUser: 0,
  activeCli: 0,
  toolAccept: 0,
  toolReject: 0,
  apiErrors: 0,
  requestIds: [],
};

async function sendLogs() {
  const provider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: recording(logExporter(), 'logs'),
        maxExportBatchSize: 512,
        scheduledDelayMillis: 200,
        maxQueueSize: 100000,
      }),
    ],
  });
  const logger = provider.getLogger('com.anthropic.claude_code.events', '2.1.330');
  let sequence = 0;
  const emit = (name, attributes) => {
    logger.emit({
      body: `claude_code.${name}`,
      timestamp: timestampMs,
      observedTimestamp: timestampMs,
      attributes: {
        ...standard,
        'event.name': name,
        'event.timestamp': new Date(timestampMs).toISOString(),
        'event.sequence': sequence++,
        'prompt.id': '550e8400-e29b-41d4-a716-446655440000',
        ...attributes,
      },
    });
    sent.events += 1;
  };

  emit('user_prompt', { prompt_length: '42', prompt: '<REDACTED>' });
  for (let i = 0; i < requestCount; ++i) {
    const input = 100 + i;
    const output = 50 + 2 * i;
    const cacheRead = 1000 + 10 * i;
    const cacheCreation = 200 + i;
    const cost = Math.round((0.01 + 0.001 * i) * 1e6) / 1e6;
    const asNumber = i % 2 === 0;  // odd requests send their counts as strings (Claude Code <= 2.1.121)
    const count = (n) => (asNumber ? n : String(n));
    const requestId = `req_${prefix}_${i}`;
    emit('api_request', {
      model,
      cost_usd: cost,
      duration_ms: count(1200 + i),
      input_tokens: count(input),
      output_tokens: count(output),
      cache_read_tokens: count(cacheRead),
      cache_creation_tokens: count(cacheCreation),
      request_id: requestId,
      speed: 'normal',
      query_source: 'repl_main_thread',
    });
    sent.requests += 1;
    sent.input += input;
    sent.output += output;
    sent.cacheRead += cacheRead;
    sent.cacheCreation += cacheCreation;
    sent.costUsd += cost;
    sent.requestIds.push(requestId);
  }
  for (let i = 0; i < badRecords; ++i) {
    emit('api_request', { model, input_tokens: 'lots', output_tokens: 5, request_id: `req_${prefix}_bad${i}` });
    sent.badRecords += 1;
  }
  emit('tool_decision', { tool_name: 'Edit', decision: 'accept', source: 'user_temporary', tool_use_id: 'toolu_1' });
  emit('tool_decision', { tool_name: 'Bash', decision: 'reject', source: 'user_reject', tool_use_id: 'toolu_2' });
  sent.toolAccept += 1;
  sent.toolReject += 1;
  emit('tool_result', { tool_name: 'Edit', success: 'true', duration_ms: '35', tool_use_id: 'toolu_1', decision_type: 'accept' });
  emit('tool_result', { tool_name: 'Read', success: false, duration_ms: 12, error_type: 'Error:ENOENT', tool_use_id: 'toolu_3' });
  emit('api_error', { model, error: 'rate limited', status_code: 429, attempt: 1, duration_ms: 300, request_id: `req_${prefix}_err` });
  sent.apiErrors += 1;
  await provider.forceFlush();
  await provider.shutdown();
}

async function sendMetrics() {
  const reader = new PeriodicExportingMetricReader({
    exporter: recording(metricExporter(), 'metrics'),
    exportIntervalMillis: 3600000,
    exportTimeoutMillis: 10000,
  });
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('com.anthropic.claude_code', '2.1.330');
  const counter = (name, description, unit) => meter.createCounter(name, { description, unit });
  const sessions = counter('claude_code.session.count', 'Count of CLI sessions started');
  const lines = counter('claude_code.lines_of_code.count', 'Count of lines of code modified');
  const prs = counter('claude_code.pull_request.count', 'Number of pull requests created');
  const commits = counter('claude_code.commit.count', 'Number of git commits created');
  const cost = counter('claude_code.cost.usage', 'Cost of the Claude Code session', 'USD');
  const tokens = counter('claude_code.token.usage', 'Number of tokens used', 'tokens');
  const decisions = counter('claude_code.code_edit_tool.decision', 'Count of code editing tool permission decisions');
  const active = counter('claude_code.active_time.total', 'Total active time in seconds', 's');

  // Two rounds: with cumulative temporality the second export carries running totals.
  const rounds = cumulative ? 2 : 1;
  for (let round = 0; round < rounds; ++round) {
    if (round === 0) {
      sessions.add(1, { ...standard, start_type: 'fresh' });
    }
    lines.add(10, { ...standard, type: 'added', model });
    lines.add(3, { ...standard, type: 'removed', model });
    commits.add(1, { ...standard });
    prs.add(1, { ...standard });
    cost.add(0.25, { ...standard, model, query_source: 'main' });
    tokens.add(1500, { ...standard, model, query_source: 'main', type: 'input' });
    tokens.add(250, { ...standard, model, query_source: 'main', type: 'output' });
    decisions.add(1, { ...standard, tool_name: 'Edit', decision: 'accept', source: 'user_temporary', language: 'TypeScript' });
    active.add(12.5, { ...standard, type: 'user' });
    active.add(30.25, { ...standard, type: 'cli' });
    sent.linesAdded += 10;
    sent.linesRemoved += 3;
    sent.commits += 1;
    sent.pullRequests += 1;
    sent.activeUser += 12.5;
    sent.activeCli += 30.25;
    await reader.forceFlush();
  }
  await provider.shutdown();
}

(async () => {
  try {
    if (signals.includes('logs')) await sendLogs();
    if (signals.includes('metrics')) await sendMetrics();
  } catch (e) {
    diagnostics.push(`exception: ${e && e.stack ? e.stack : e}`);
  }
  sent.costUsd = Math.round(sent.costUsd * 1e6) / 1e6;
  process.stdout.write(JSON.stringify({ sent, exports: exports_, partialSuccess, diagnostics }) + '\n');
})();

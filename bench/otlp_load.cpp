// ccgauge_otlp_load: a load generator for the daemon's OTLP receivers (bench/otlp.sh runs it).
//
//   ccgauge_otlp_load (--http PORT | --grpc PORT) [--seconds S] [--batch N] [--connections C]
//                     [--mix claude|api] [--probe PORT] [--probe-path PATH]...
//
// Sends OTLP logs export requests of N Claude-Code-shaped records (research: telemetry.md §1.6)
// as fast as the daemon takes them, over C keep-alive HTTP/1.1 connections (raw sockets, one
// thread each) or C gRPC calls in flight. Every record is new: request ids and sessions are
// patched in place into one serialized template (fixed-width digits), so nothing is deduped
// away and the client spends almost nothing per record. A 429 / RESOURCE_EXHAUSTED is counted
// and retried after 20 ms.
//
// With --probe, another thread GETs each --probe-path on the API port every 10 ms (its own
// keep-alive connection) and reports latency percentiles measured during the load.
//
// Prints one JSON object: records/s accepted, requests, refusals, probe latencies.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"

namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_logs = opentelemetry::proto::logs::v1;
namespace pb_collector = opentelemetry::proto::collector::logs::v1;
using Clock = std::chrono::steady_clock;

struct Options {
  int http_port = 0;
  int grpc_port = 0;
  double seconds = 10;
  int batch = 512;
  int connections = 2;
  std::string mix = "claude";
  int probe_port = 0;
  std::vector<std::string> probe_paths;
};

constexpr int kDigits = 12;
constexpr std::string_view kRequestMarker = "req_bench_";
constexpr std::string_view kSessionMarker = "bench-session-";

// ---- the request template -----------------------------------------------------------------

void attr(pb_logs::LogRecord* r, const std::string& key, const std::string& value) {
  auto* kv = r->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

void attr_int(pb_logs::LogRecord* r, const std::string& key, std::int64_t value) {
  auto* kv = r->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(value);
}

// One batch; the event kinds of `mix` rotate. Request ids and the session are markers followed
// by kDigits zeros, patched per send.
std::string build_template(int batch, const std::string& mix) {
  pb_collector::ExportLogsServiceRequest request;
  auto* rl = request.add_resource_logs();
  for (auto [k, v] : {std::pair{"service.name", "claude-code"}, {"service.version", "2.1.330"},
                      {"os.type", "linux"}, {"host.arch", "amd64"}, {"host.name", "bench-host"},
                      {"repo", "ccgauge"}}) {
    auto* kv = rl->mutable_resource()->add_attributes();
    kv->set_key(k);
    kv->mutable_value()->set_string_value(v);
  }
  auto* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name("com.anthropic.claude_code.events");
  sl->mutable_scope()->set_version("2.1.330");
  std::uint64_t now_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  std::string zeros(kDigits, '0');
  const char* kinds_claude[] = {"api_request", "tool_result", "api_request", "tool_decision",
                                "api_request", "user_prompt", "tool_result", "api_request"};
  for (int i = 0; i < batch; ++i) {
    std::string kind = mix == "api" ? "api_request" : kinds_claude[i % 8];
    auto* r = sl->add_log_records();
    r->set_time_unix_nano(now_ns);
    r->set_observed_time_unix_nano(now_ns);
    r->mutable_body()->set_string_value("claude_code." + kind);
    attr(r, "user.id", std::string(64, 'b'));
    attr(r, "session.id", std::string(kSessionMarker) + zeros);
    attr(r, "organization.id", "6f1c0c64-0000-4000-8000-000000000001");
    attr(r, "user.email", "bench@example.com");
    attr(r, "user.account_uuid", "2b0f3c8a-0000-4000-8000-000000000002");
    attr(r, "terminal.type", "tmux");
    attr(r, "event.name", kind);
    attr(r, "event.timestamp", "2026-11-22T10:00:00.000Z");
    attr_int(r, "event.sequence", i);
    attr(r, "prompt.id", "550e8400-e29b-41d4-a716-446655440000");
    if (kind == "api_request") {
      attr(r, "model", "claude-sonnet-4-5");
      auto* cost = r->add_attributes();
      cost->set_key("cost_usd");
      cost->mutable_value()->set_double_value(0.0123);
      attr_int(r, "duration_ms", 2300);
      attr_int(r, "input_tokens", 3 + i % 7);
      attr_int(r, "output_tokens", 120 + i % 50);
      attr_int(r, "cache_read_tokens", 20000 + i);
      attr_int(r, "cache_creation_tokens", 1500);
      attr(r, "request_id", std::string(kRequestMarker) + zeros);
      attr(r, "speed", "normal");
      attr(r, "query_source", "repl_main_thread");
    } else if (kind == "tool_result") {
      attr(r, "tool_name", "Edit");
      attr(r, "success", "true");
      attr(r, "duration_ms", "35");
      attr(r, "tool_use_id", "toolu_01");
      attr(r, "decision_type", "accept");
      attr(r, "tool_result_size_bytes", "512");
    } else if (kind == "tool_decision") {
      attr(r, "tool_name", "Bash");
      attr(r, "decision", "accept");
      attr(r, "source", "user_temporary");
    } else {
      attr(r, "prompt_length", "42");
      attr(r, "prompt", "<REDACTED>");
    }
  }
  return request.SerializeAsString();
}

// Where the digits after each marker are.
std::vector<std::size_t> digit_offsets(const std::string& bytes, std::string_view marker) {
  std::vector<std::size_t> out;
  for (std::size_t at = bytes.find(marker); at != std::string::npos;
       at = bytes.find(marker, at + 1)) {
    out.push_back(at + marker.size());
  }
  return out;
}

void write_digits(char* at, std::uint64_t n) {
  for (int i = kDigits - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
}

// A copy of the template with fresh ids: batch number `seq`.
class Batches {
 public:
  Batches(int batch, const std::string& mix) : template_(build_template(batch, mix)) {
    requests_ = digit_offsets(template_, kRequestMarker);
    sessions_ = digit_offsets(template_, kSessionMarker);
  }
  void fill(std::string& out, std::uint64_t seq) const {
    out = template_;
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      write_digits(out.data() + requests_[i], seq * 100000 + i);
    }
    for (std::size_t at : sessions_) {
      write_digits(out.data() + at, seq);
    }
  }
  std::size_t size() const { return template_.size(); }

 private:
  std::string template_;
  std::vector<std::size_t> requests_;
  std::vector<std::size_t> sessions_;
};

// ---- raw HTTP/1.1 ---------------------------------------------------------------------------

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w <= 0) {
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Reads one response (Content-Length framed); returns its status, or -1.
int read_response(int fd, std::string& buffer) {
  buffer.clear();
  std::size_t header_end = std::string::npos;
  char chunk[16384];
  while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) {
      return -1;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  int status = std::atoi(buffer.c_str() + 9);
  std::size_t length = 0;
  std::size_t cl = buffer.find("Content-Length: ");
  if (cl == std::string::npos) {
    cl = buffer.find("content-length: ");
  }
  if (cl != std::string::npos && cl < header_end) {
    length = std::strtoull(buffer.c_str() + cl + 16, nullptr, 10);
  }
  while (buffer.size() < header_end + 4 + length) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) {
      return -1;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return status;
}

struct Counters {
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> next_seq{1};
};

void http_worker(const Options& o, const Batches& batches, Counters& c, Clock::time_point end) {
  int fd = connect_to(o.http_port);
  std::string body;
  std::string head;
  std::string response;
  while (Clock::now() < end) {
    batches.fill(body, c.next_seq.fetch_add(1));
    for (;;) {
      head = fmt::format(
          "POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: "
          "application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
          o.http_port, body.size());
      if (!write_all(fd, head.data(), head.size()) || !write_all(fd, body.data(), body.size())) {
        c.failed.fetch_add(1);
        return;
      }
      int status = read_response(fd, response);
      if (status == 200) {
        c.batches.fetch_add(1);
        break;
      }
      if (status == 429) {
        c.refused.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (Clock::now() >= end) {
          break;
        }
        continue;
      }
      c.failed.fetch_add(1);
      std::fprintf(stderr, "HTTP %d: %s\n", status, response.substr(0, 300).c_str());
      return;
    }
  }
  ::close(fd);
}

// Sends the serialized bytes as they are (a generic stub): the client does no protobuf work, as
// the HTTP client does none.
void grpc_worker(const Batches& batches, Counters& c, Clock::time_point end,
                 std::shared_ptr<grpc::Channel> channel) {
  grpc::GenericStub stub(channel);
  const std::string method = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
  std::string body;
  while (Clock::now() < end) {
    batches.fill(body, c.next_seq.fetch_add(1));
    for (;;) {
      grpc::Slice slice(body);
      grpc::ByteBuffer request(&slice, 1);
      grpc::ByteBuffer response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      std::promise<grpc::Status> done;
      stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                     [&done](grpc::Status status) { done.set_value(std::move(status)); });
      grpc::Status status = done.get_future().get();
      if (status.ok()) {
        c.batches.fetch_add(1);
        break;
      }
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        c.refused.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (Clock::now() >= end) {
          break;
        }
        continue;
      }
      c.failed.fetch_add(1);
      std::fprintf(stderr, "gRPC %d: %s\n", static_cast<int>(status.error_code()),
                   status.error_message().c_str());
      return;
    }
  }
}

// GETs each path every 10 ms; latencies in milliseconds per path.
void probe(const Options& o, Clock::time_point end, std::map<std::string, std::vector<double>>& out) {
  int fd = connect_to(o.probe_port);
  std::string response;
  while (Clock::now() < end) {
    for (const std::string& path : o.probe_paths) {
      std::string request = fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", path,
                                        o.probe_port);
      auto start = Clock::now();
      if (!write_all(fd, request.data(), request.size()) || read_response(fd, response) != 200) {
        std::fprintf(stderr, "probe %s failed\n", path.c_str());
        return;
      }
      out[path].push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::close(fd);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--http") o.http_port = std::stoi(next());
    else if (a == "--grpc") o.grpc_port = std::stoi(next());
    else if (a == "--seconds") o.seconds = std::stod(next());
    else if (a == "--batch") o.batch = std::stoi(next());
    else if (a == "--connections") o.connections = std::stoi(next());
    else if (a == "--mix") o.mix = next();
    else if (a == "--probe") o.probe_port = std::stoi(next());
    else if (a == "--probe-path") o.probe_paths.push_back(next());
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      std::exit(2);
    }
  }
  if ((o.http_port == 0) == (o.grpc_port == 0)) {
    std::fprintf(stderr, "give --http PORT or --grpc PORT\n");
    std::exit(2);
  }
  if (o.probe_paths.empty()) {
    o.probe_paths.push_back("/usage");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  Batches batches(o.batch, o.mix);
  Counters c;
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  std::shared_ptr<grpc::Channel> channel;
  if (o.grpc_port != 0) {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    channel = grpc::CreateCustomChannel(fmt::format("127.0.0.1:{}", o.grpc_port),
                                        grpc::InsecureChannelCredentials(), args);
  }
  for (int i = 0; i < o.connections; ++i) {
    if (o.http_port != 0) {
      threads.emplace_back([&] { http_worker(o, batches, c, end); });
    } else {
      threads.emplace_back([&] { grpc_worker(batches, c, end, channel); });
    }
  }
  std::map<std::string, std::vector<double>> latencies;
  std::thread prober;
  if (o.probe_port != 0) {
    prober = std::thread([&] { probe(o, end, latencies); });
  }
  for (auto& t : threads) {
    t.join();
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (prober.joinable()) {
    prober.join();
  }
  std::uint64_t records = c.batches.load() * static_cast<std::uint64_t>(o.batch);
  std::string probes;
  for (const auto& [path, v] : latencies) {
    probes += fmt::format("{}\"{}\":{{\"samples\":{},\"p50_ms\":{:.3f},\"p99_ms\":{:.3f},\"max_ms\":{:.3f}}}",
                          probes.empty() ? "" : ",", path, v.size(), percentile(v, 0.5),
                          percentile(v, 0.99), percentile(v, 1.0));
  }
  fmt::print(
      "{{\"protocol\":\"{}\",\"mix\":\"{}\",\"batch\":{},\"connections\":{},\"seconds\":{:.2f},"
      "\"batch_bytes\":{},\"requests\":{},\"records\":{},\"records_per_s\":{:.0f},\"refused\":{},"
      "\"failed\":{},\"probes\":{{{}}}}}\n",
      o.http_port != 0 ? "http/protobuf" : "grpc", o.mix, o.batch, o.connections, elapsed,
      batches.size(), c.batches.load(), records, static_cast<double>(records) / elapsed,
      c.refused.load(), c.failed.load(), probes);
  return c.failed.load() == 0 ? 0 : 1;
}

#include "gen/transcript_generator.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace ccgauge::gen {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Relative path -> contents of every file under root.
std::map<std::string, std::string> read_tree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), root).string()] = read_file(entry.path());
    }
  }
  return files;
}

std::vector<fs::path> jsonl_files(const fs::path& root) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root / "projects")) {
    if (entry.is_regular_file() && entry.path().extension() == ".jsonl") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A missing or mistyped field reads as 0 / "".
std::int64_t int_field(simdjson::dom::element object, const char* key) {
  std::int64_t value = 0;
  return object[key].get(value) == simdjson::SUCCESS ? value : 0;
}

std::string string_field(simdjson::dom::element object, const char* key) {
  std::string_view value;
  return object[key].get(value) == simdjson::SUCCESS ? std::string(value) : std::string();
}

// Reads a tree back and applies the ledger's dedupe rule independently of the generator:
// key = message.id + requestId (or message.id + sessionId), largest output wins, `<synthetic>`
// skipped, agent_progress nested messages count under their own key.
class Oracle {
 public:
  explicit Oracle(const fs::path& root) {
    for (const fs::path& file : jsonl_files(root)) {
      for (const std::string& line : split_lines(read_file(file))) {
        read_line(line);
      }
    }
  }

  std::map<std::string, TokenCounts> days() const {
    std::map<std::string, TokenCounts> out;
    for (const auto& [key, best] : best_) {
      out[best.day] += best.tokens;
    }
    return out;
  }

  std::int64_t requests() const { return static_cast<std::int64_t>(best_.size()); }
  std::int64_t malformed = 0;
  std::int64_t lines = 0;
  std::int64_t usage_lines_without_request_id = 0;
  std::int64_t max_context = 0;
  std::int64_t web_requests = 0;
  std::string first_day = "9999";
  std::string last_day = "0000";
  std::vector<std::string> duplicate_conflicts;  // keys whose lines disagree on input/cache

 private:
  struct Best {
    std::string day;
    TokenCounts tokens;
    bool sidechain = false;
  };

  void read_line(const std::string& line) {
    ++lines;
    simdjson::dom::element entry;
    if (parser_.parse(line).get(entry) != simdjson::SUCCESS) {
      ++malformed;
      return;
    }
    const std::string timestamp = string_field(entry, "timestamp");
    if (timestamp.size() >= 10) {
      first_day = std::min(first_day, timestamp.substr(0, 10));
      last_day = std::max(last_day, timestamp.substr(0, 10));
    }
    simdjson::dom::element nested;
    if (string_field(entry, "type") == "progress" && entry["data"]["message"].get(nested) == 0) {
      consider(nested);
      return;
    }
    consider(entry);
  }

  void consider(simdjson::dom::element entry) {
    simdjson::dom::element message;
    simdjson::dom::element usage;
    if (entry["message"].get(message) != 0 || message["usage"].get(usage) != 0) {
      return;
    }
    if (string_field(message, "model") == "<synthetic>") {
      return;
    }
    const std::string request = string_field(entry, "requestId");
    if (request.empty()) {
      ++usage_lines_without_request_id;
    }
    const std::pair<std::string, std::string> key = {
        string_field(message, "id"),
        request.empty() ? "session:" + string_field(entry, "sessionId") : request};
    Best line;
    line.day = string_field(entry, "timestamp").substr(0, 10);
    line.tokens.input = int_field(usage, "input_tokens");
    line.tokens.output = int_field(usage, "output_tokens");
    line.tokens.cache_read = int_field(usage, "cache_read_input_tokens");
    simdjson::dom::element split;
    if (usage["cache_creation"].get(split) == 0) {
      line.tokens.cache_write_5m = int_field(split, "ephemeral_5m_input_tokens");
      line.tokens.cache_write_1h = int_field(split, "ephemeral_1h_input_tokens");
    } else {
      line.tokens.cache_write_5m = int_field(usage, "cache_creation_input_tokens");
    }
    simdjson::dom::element server;
    if (usage["server_tool_use"].get(server) == 0) {
      line.tokens.web_search_requests = int_field(server, "web_search_requests");
      line.tokens.web_fetch_requests = int_field(server, "web_fetch_requests");
    }
    bool sidechain = false;
    line.sidechain = entry["isSidechain"].get(sidechain) == simdjson::SUCCESS && sidechain;
    max_context = std::max(max_context, line.tokens.context());
    web_requests += line.tokens.web_search_requests + line.tokens.web_fetch_requests;

    auto [it, inserted] = best_.try_emplace(key, line);
    if (inserted) {
      return;
    }
    Best& kept = it->second;
    TokenCounts a = kept.tokens;
    TokenCounts b = line.tokens;
    a.output = b.output = 0;
    if (!(a == b) || kept.day != line.day) {
      duplicate_conflicts.push_back(key.first);
    }
    if (line.tokens.output > kept.tokens.output ||
        (line.tokens.output == kept.tokens.output && kept.sidechain && !line.sidechain)) {
      kept = line;
    }
  }

  simdjson::dom::parser parser_;
  std::map<std::pair<std::string, std::string>, Best> best_;
};

std::map<std::string, TokenCounts> days_of(const TrueTotals& totals) {
  std::map<std::string, TokenCounts> out;
  for (const DayTotals& day : totals.days) {
    out[format_date(day.date)] = day.tokens;
  }
  return out;
}

class TranscriptGeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ccgauge-gen-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path dir(const std::string& name) const { return root_ / name; }

  GeneratorOptions options(const std::string& name, std::uint64_t bytes, bool compatible) const {
    GeneratorOptions o;
    o.out_dir = dir(name).string();
    o.target_bytes = bytes;
    o.seed = 3;
    o.days = 14;
    o.end_date = "2026-03-15";
    o.ccusage_compatible = compatible;
    return o;
  }

  TrueTotals generate_ok(const GeneratorOptions& o) {
    Result<TrueTotals> totals = generate(o);
    EXPECT_TRUE(totals.has_value()) << (totals ? "" : totals.error().message);
    return totals ? *totals : TrueTotals{};
  }

  fs::path root_;
};

TEST_F(TranscriptGeneratorTest, SameOptionsGiveByteIdenticalTrees) {
  const TrueTotals first = generate_ok(options("a", 3 << 20, false));
  const TrueTotals second = generate_ok(options("b", 3 << 20, false));
  const auto tree_a = read_tree(dir("a"));
  const auto tree_b = read_tree(dir("b"));
  EXPECT_GT(tree_a.size(), 10u);
  EXPECT_TRUE(tree_a == tree_b);
  EXPECT_EQ(totals_to_json(first, nullptr), totals_to_json(second, nullptr));
}

TEST_F(TranscriptGeneratorTest, DifferentSeedsGiveDifferentTrees) {
  GeneratorOptions other = options("b", 1 << 20, false);
  other.seed = 4;
  generate_ok(options("a", 1 << 20, false));
  generate_ok(other);
  EXPECT_FALSE(read_tree(dir("a")) == read_tree(dir("b")));
}

TEST_F(TranscriptGeneratorTest, WritesAboutTheTargetSize) {
  // Small trees overshoot by up to a turn; large ones land within a fraction of a percent.
  const std::pair<std::uint64_t, double> cases[] = {{256 << 10, 0.05}, {6 << 20, 0.01}};
  for (const auto& [target, tolerance] : cases) {
    const std::string name = "t" + std::to_string(target);
    const TrueTotals totals = generate_ok(options(name, target, false));
    std::uint64_t on_disk = 0;
    for (const fs::path& file : jsonl_files(dir(name))) {
      on_disk += fs::file_size(file);
    }
    EXPECT_EQ(on_disk, totals.stats.bytes);
    EXPECT_NEAR(static_cast<double>(on_disk), static_cast<double>(target),
                tolerance * static_cast<double>(target));
  }
}

TEST_F(TranscriptGeneratorTest, LaysOutSessionsAndSubagentsLikeClaudeCode) {
  const TrueTotals totals = generate_ok(options("t", 4 << 20, false));
  int subagents = 0;
  int sessions = 0;
  for (const fs::path& file : jsonl_files(dir("t"))) {
    const std::vector<std::string> lines = split_lines(read_file(file));
    ASSERT_FALSE(lines.empty()) << file;
    if (file.parent_path().filename() == "subagents") {
      ++subagents;
      const std::string session = file.parent_path().parent_path().filename().string();
      EXPECT_TRUE(fs::exists(file.parent_path().parent_path().string() + ".jsonl")) << file;
      EXPECT_EQ(file.filename().string().rfind("agent-", 0), 0u) << file;
      for (const std::string& line : lines) {
        EXPECT_NE(line.find("\"isSidechain\":true"), std::string::npos) << line;
        EXPECT_NE(line.find("\"sessionId\":\"" + session + "\""), std::string::npos) << line;
      }
      continue;
    }
    ++sessions;
    EXPECT_EQ(file.stem().string().size(), 36u) << file;  // a UUID
    const fs::path project = file.parent_path();
    EXPECT_EQ(project.parent_path().filename(), "projects");
    for (const std::string& line : lines) {
      const std::size_t at = line.find("\"cwd\":\"");
      if (at != std::string::npos) {
        const std::string cwd = line.substr(at + 7, line.find('"', at + 7) - at - 7);
        EXPECT_EQ(encode_project_dir(cwd), project.filename().string()) << file;
        break;
      }
    }
  }
  EXPECT_GT(subagents, 0);
  EXPECT_EQ(static_cast<std::uint64_t>(sessions), totals.stats.session_files);
  EXPECT_EQ(static_cast<std::uint64_t>(subagents), totals.stats.subagent_files);
  EXPECT_GE(totals.stats.projects, 2u);
}

TEST_F(TranscriptGeneratorTest, CompatibleTreeAvoidsWhatCcusageCountsDifferently) {
  const TrueTotals totals = generate_ok(options("t", 6 << 20, true));
  const Oracle oracle(dir("t"));
  EXPECT_EQ(oracle.malformed, 0);
  EXPECT_EQ(oracle.usage_lines_without_request_id, 0);
  EXPECT_LE(oracle.max_context, 200'000);
  EXPECT_EQ(oracle.web_requests, 0);
  EXPECT_EQ(totals.stats.requestless_lines, 0u);
  EXPECT_EQ(totals.stats.long_context_requests, 0u);
  EXPECT_EQ(days_of(totals), oracle.days());
}

TEST_F(TranscriptGeneratorTest, TotalsMatchAnIndependentReadingOfTheTree) {
  GeneratorOptions o = options("t", 16 << 20, false);
  o.seed = 5;  // at this size, a seed whose tree has every shape the rule must handle
  const TrueTotals totals = generate_ok(o);
  const Oracle oracle(dir("t"));
  EXPECT_GT(totals.stats.requestless_lines, 0u);
  EXPECT_GT(totals.stats.malformed_lines, 0u);
  EXPECT_GT(totals.stats.synthetic_lines, 0u);
  EXPECT_GT(totals.stats.progress_usage_lines, 0u);
  EXPECT_GT(totals.stats.resumed_sessions, 0u);
  EXPECT_GT(totals.stats.long_context_requests, 0u);
  EXPECT_GT(totals.overall.web_search_requests, 0);
  EXPECT_GT(totals.overall.cache_write_5m, 0);
  EXPECT_GT(totals.overall.cache_write_1h, 0);

  EXPECT_TRUE(oracle.duplicate_conflicts.empty());
  EXPECT_EQ(oracle.lines, static_cast<std::int64_t>(totals.stats.lines));
  EXPECT_EQ(oracle.malformed, totals.malformed_lines);
  EXPECT_EQ(oracle.requests(), totals.requests);
  EXPECT_EQ(days_of(totals), oracle.days());
}

TEST_F(TranscriptGeneratorTest, TotalsAreSelfConsistent) {
  const TrueTotals totals = generate_ok(options("t", 4 << 20, false));
  TokenCounts sum;
  std::int64_t requests = 0;
  for (const DayTotals& day : totals.days) {
    TokenCounts models;
    std::int64_t model_requests = 0;
    for (const ModelTotals& m : day.models) {
      models += m.tokens;
      model_requests += m.requests;
    }
    EXPECT_EQ(models, day.tokens);
    EXPECT_EQ(model_requests, day.requests);
    sum += day.tokens;
    requests += day.requests;
  }
  EXPECT_EQ(sum, totals.overall);
  EXPECT_EQ(requests, totals.requests);
  EXPECT_EQ(static_cast<std::uint64_t>(totals.malformed_lines), totals.stats.malformed_lines);
  EXPECT_GE(totals.stats.usage_lines, static_cast<std::uint64_t>(totals.requests));
  EXPECT_EQ(totals.stats.files, totals.stats.session_files + totals.stats.subagent_files);
}

TEST_F(TranscriptGeneratorTest, TimestampsStayInTheRequestedSpan) {
  const TrueTotals totals = generate_ok(options("t", 8 << 20, false));
  const Oracle oracle(dir("t"));
  EXPECT_GE(oracle.first_day, "2026-03-02");
  EXPECT_LE(oracle.last_day, "2026-03-15");
  ASSERT_FALSE(totals.days.empty());
  EXPECT_GE(format_date(totals.days.front().date), "2026-03-02");
  EXPECT_LE(format_date(totals.days.back().date), "2026-03-15");
}

TEST_F(TranscriptGeneratorTest, AppendAddsNewRequestsToRecentSessions) {
  const TrueTotals base = generate_ok(options("t", 4 << 20, true));
  AppendOptions append_options;
  append_options.tree_dir = dir("t").string();
  append_options.bytes = 256 << 10;
  append_options.seed = 5;
  Result<AppendResult> appended = append(append_options);
  ASSERT_TRUE(appended.has_value()) << appended.error().message;
  ASSERT_FALSE(appended->files.empty());

  std::uint64_t grown = 0;
  for (const AppendedFile& file : appended->files) {
    grown += fs::file_size(file.path) - file.size_before;
  }
  EXPECT_EQ(grown, appended->totals.stats.bytes);
  EXPECT_NEAR(static_cast<double>(grown), 256 << 10, 0.25 * (256 << 10));
  EXPECT_GT(appended->totals.requests, 0);

  std::map<std::string, TokenCounts> expected = days_of(base);
  for (const auto& [day, tokens] : days_of(appended->totals)) {
    expected[day] += tokens;
  }
  const Oracle oracle(dir("t"));
  EXPECT_EQ(oracle.malformed, 0);
  EXPECT_EQ(oracle.usage_lines_without_request_id, 0);
  EXPECT_EQ(oracle.requests(), base.requests + appended->totals.requests);
  EXPECT_EQ(oracle.days(), expected);
}

TEST_F(TranscriptGeneratorTest, RefusesATreeThatAlreadyHasProjects) {
  fs::create_directories(dir("t") / "projects" / "-home-alice-x");
  std::ofstream(dir("t") / "projects" / "-home-alice-x" / "keep.jsonl") << "{}\n";
  Result<TrueTotals> totals = generate(options("t", 1 << 20, false));
  ASSERT_FALSE(totals.has_value());
  EXPECT_EQ(totals.error().code, Errc::kInvalidInput);
  EXPECT_TRUE(fs::exists(dir("t") / "projects" / "-home-alice-x" / "keep.jsonl"));
}

TEST(EncodeProjectDir, ReplacesEveryNonAlphanumericCharacter) {
  EXPECT_EQ(encode_project_dir("/home/user/work/my-repo"), "-home-user-work-my-repo");
  EXPECT_EQ(encode_project_dir("C:\\Users\\me\\x"), "C--Users-me-x");
  EXPECT_EQ(encode_project_dir("/home/alice/Client Work/acme site"),
            "-home-alice-Client-Work-acme-site");
  EXPECT_EQ(encode_project_dir("/home/u/\xF0\x9F\x98\x80/x"),
            "-home-u----x");  // one emoji: 2 units
}

TEST(EncodeProjectDir, CutsLongNamesAndAddsClaudeCodesHash) {
  std::string cwd = "/home/alice/";
  for (int i = 0; i < 10; ++i) {
    cwd += "very-long-directory-name/";
  }
  cwd += "project";
  const std::string encoded = encode_project_dir(cwd);
  // Expected value computed with Claude Code's JavaScript algorithm.
  EXPECT_EQ(encoded.substr(200), "-1kkmmh");
  EXPECT_EQ(encoded.size(), 207u);
}

TEST(ParseSize, ReadsBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_size("1GiB").value(), 1ull << 30);
  EXPECT_EQ(parse_size("200MiB").value(), 200ull << 20);
  EXPECT_EQ(parse_size("64k").value(), 64ull << 10);
  EXPECT_EQ(parse_size("1.5GB").value(), 1'500'000'000ull);
  EXPECT_EQ(parse_size("1048576").value(), 1ull << 20);
  EXPECT_FALSE(parse_size("").has_value());
  EXPECT_FALSE(parse_size("12 parsecs").has_value());
  EXPECT_FALSE(parse_size("GiB").has_value());
}

}  // namespace
}  // namespace ccgauge::gen

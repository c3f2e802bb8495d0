// The byte-level part of reading transcripts: the `"usage"` prefilter (SIMD where the CPU has
// it) and catch-up's reads in pieces smaller than a file, with lines that cross the pieces or
// are longer than one.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "ingest/transcripts/catch_up.h"
#include "ingest/transcripts/line_parser.h"
#include "tests/support/temp_dir.h"

namespace ccgauge::ingest {
namespace {

using ccgauge::testing::append_file;
using ccgauge::testing::TempDir;
using ccgauge::testing::write_file;

const char* reference_find(const char* begin, const char* end) {
  return static_cast<const char*>(
      ::memmem(begin, static_cast<std::size_t>(end - begin), "\"usage\"", 7));
}

TEST(FindUsageKey, AgreesWithMemmemAtEveryPositionAndLength) {
  // Decoys share the letters the SIMD search compares first ('u' at 1, 'g' at 4).
  const std::string decoys[] = {"\"usagE\"", "\"usag", "\\\"usage\\\"", "xuxxgxx", "\"usages\""};
  std::mt19937 rng(7);
  for (std::size_t length : {0, 1, 6, 7, 8, 31, 32, 38, 39, 40, 63, 64, 65, 100, 257}) {
    for (std::size_t at = 0; at + 7 <= length + 7; ++at) {
      std::string text(length + 64, 'x');  // 64: room for a needle past `length`
      for (std::size_t i = 0; i < length; i += 9) {
        const std::string& d = decoys[rng() % std::size(decoys)];
        text.replace(i, std::min(d.size(), length - i), d, 0, std::min(d.size(), length - i));
      }
      if (at + 7 <= length) {
        text.replace(at, 7, "\"usage\"");
      }
      const char* begin = text.data();
      const char* end = begin + length;
      ASSERT_EQ(find_usage_key(begin, end), reference_find(begin, end))
          << "length " << length << ", needle at " << at;
      // From every start, so the search begins at every alignment.
      for (std::size_t from = 1; from < std::min<std::size_t>(length, 40); ++from) {
        ASSERT_EQ(find_usage_key(begin + from, end), reference_find(begin + from, end))
            << "length " << length << ", needle at " << at << ", from " << from;
      }
      if (length < 7) {
        break;
      }
    }
  }
}

TEST(FindUsageKey, NeverReportsANeedleThatCrossesTheEnd) {
  std::string text = std::string(40, 'x') + "\"usage\"";
  for (std::size_t cut = 40; cut < text.size(); ++cut) {
    EXPECT_EQ(find_usage_key(text.data(), text.data() + cut), nullptr) << cut;
  }
  EXPECT_EQ(find_usage_key(text.data(), text.data() + text.size()), text.data() + 40);
}

std::string usage_line(int n, int output, const std::string& filler = "") {
  return R"({"isSidechain":false,"cwd":"/home/a/proj","sessionId":"s1","message":{"model":)"
         R"("claude-sonnet-4-5","id":"m)" +
         std::to_string(n) + R"(","content":[{"type":"text","text":")" + filler +
         R"("}],"usage":{"input_tokens":1,"output_tokens":)" + std::to_string(output) +
         R"(}},"requestId":"r)" + std::to_string(n) +
         R"(","type":"assistant","timestamp":"2026-03-02T10:00:00.000Z"})" + "\n";
}

class ChunkedReadTest : public ::testing::Test {
 protected:
  void open(const std::string& name) {
    ledger_.reset();
    auto ledger = ledger::Ledger::open(dir_ / name, pricing::PriceTable::embedded());
    ASSERT_TRUE(ledger) << ledger.error().message;
    ledger_.emplace(std::move(*ledger));
  }

  CatchUpStats run(int threads) {
    CatchUpOptions options;
    options.config_dirs = {dir_ / "claude"};
    options.threads = threads;
    auto stats = catch_up(*ledger_, options);
    EXPECT_TRUE(stats) << stats.error().message;
    return stats ? *stats : CatchUpStats{};
  }

  std::pair<std::int64_t, std::int64_t> totals() {
    std::int64_t output = 0;
    std::int64_t count = 0;
    EXPECT_TRUE(ledger_->for_each_request({}, [&](const analytics::RequestRow& row) {
      output += row.tokens.output;
      ++count;
    }));
    return {output, count};
  }

  TempDir dir_;
  std::optional<ledger::Ledger> ledger_;
};

// A file many read buffers long (reads are 256 KiB), and large enough for worker threads, with
// user lines of odd lengths so that lines cross the reads' edges, one usage line longer than a
// read, and a cut-short line whose number must come out right although it is read pieces later
// than line 1.
TEST_F(ChunkedReadTest, LinesAcrossAndLongerThanAReadCountOnceWithTheirLineNumbers) {
  std::string path = dir_ / "claude/projects/-home-a-proj/s1.jsonl";
  std::string text;
  std::int64_t lines = 0;
  std::int64_t output = 0;
  int n = 0;
  for (; text.size() < (9 << 20); ++n) {
    text += usage_line(n, n % 97);
    output += n % 97;
    text += R"({"type":"user","message":{"content":")" + std::string(100 + n % 1013, 'a') +
            "\"}}\n";
    lines += 2;
  }
  text += usage_line(n, 5, std::string(600 << 10, 'b'));  // longer than a read
  output += 5;
  ++n;
  text += "{\"type\":\"user\",\"message\":{\"content\":\"cut\n";
  ++lines;
  std::int64_t cut_line = lines + 1;
  ++lines;
  text += usage_line(n, 7);
  output += 7;
  ++n;
  ++lines;
  write_file(path, text);
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    open("ledger-" + std::to_string(threads) + ".db");  // a fresh one for each way of reading
    CatchUpStats stats = run(threads);
    EXPECT_EQ(stats.lines_read, lines);
    EXPECT_EQ(stats.bytes_read, static_cast<std::int64_t>(text.size()));
    EXPECT_EQ(stats.files_read, 1);
    EXPECT_EQ(stats.malformed_lines, 1);
    ASSERT_EQ(stats.malformed.size(), 1u);
    EXPECT_EQ(stats.malformed[0].line, cut_line);
    EXPECT_EQ(totals(), std::make_pair(output, std::int64_t{n}));
  }
  // An append is read from where the reads stopped, its lines numbered after the others.
  append_file(path, "not json\n" + usage_line(n, 11));
  CatchUpStats more = run(0);
  EXPECT_EQ(more.lines_read, 2);
  ASSERT_EQ(more.malformed.size(), 1u);
  EXPECT_EQ(more.malformed[0].line, lines + 1);
  EXPECT_EQ(totals(), std::make_pair(output + 11, std::int64_t{n + 1}));
  EXPECT_EQ(run(0).files_read, 0);
}

}  // namespace
}  // namespace ccgauge::ingest

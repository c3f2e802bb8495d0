// The events table, the direct writer of short-lived processes and the spool: exactly-once
// delivery through crashes and concurrent appenders and drainers.

#include "ledger/events.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge::ledger {
namespace {

using testing::TempDir;

EventRow hook_event(const std::string& name, std::int64_t ts_ms, const std::string& key = "") {
  EventRow row;
  row.key = key;
  row.instant = from_epoch_ms(ts_ms);
  row.source = "hook";
  row.name = name;
  row.session = "s1";
  row.project = "/w";
  row.tool = "Bash";
  row.attributes = R"({"agent_id":"a1"})";
  return row;
}

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = Ledger::open(ledger_path(), pricing::PriceTable::embedded());
    ASSERT_TRUE(ledger) << ledger.error().message;
  }

  std::string ledger_path() const { return dir_ / "ledger.db"; }
  std::string spool_dir() const { return dir_ / "spool"; }

  Ledger open() {
    auto ledger = Ledger::open_reader(ledger_path(), pricing::PriceTable::embedded());
    EXPECT_TRUE(ledger) << ledger.error().message;
    return std::move(*ledger);
  }

  std::vector<EventRow> all_events() {
    Ledger ledger = open();
    std::vector<EventRow> rows;
    EXPECT_TRUE(for_each_event(ledger, {}, [&](const EventRow& e) { rows.push_back(e); }));
    return rows;
  }

  std::vector<std::string> spool_files() {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(spool_dir(), ec)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  TempDir dir_;
};

TEST_F(EventsTest, RowsRoundTripAndKeysAreUnique) {
  Ledger ledger = open();
  EventRow a = hook_event("PreToolUse", 1000, "k1");
  a.success = false;
  a.duration_ms = 42;
  a.error = "boom";
  EventRow b = hook_event("Stop", 2000);  // no key: never deduplicated
  auto inserted = insert_events(ledger, {a, b, a, b});
  ASSERT_TRUE(inserted) << inserted.error().message;
  EXPECT_EQ(*inserted, 3);
  std::vector<EventRow> rows = all_events();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].key, "k1");
  EXPECT_EQ(rows[0].name, "PreToolUse");
  EXPECT_EQ(rows[0].success, false);
  EXPECT_EQ(rows[0].duration_ms, 42);
  EXPECT_EQ(rows[0].error, "boom");
  EXPECT_EQ(rows[0].attributes, R"({"agent_id":"a1"})");
  EXPECT_FALSE(rows[1].success);
  EXPECT_FALSE(rows[1].duration_ms);
  // JSON lines read back the same.
  auto parsed = parse_event_json(event_json(rows[0]));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(event_json(*parsed), event_json(rows[0]));
  EXPECT_FALSE(parse_event_json(R"({"ts":1,"source":"hook"})"));
  EXPECT_FALSE(parse_event_json("{\"ts\":1,"));
}

TEST_F(EventsTest, QueriesFilterBySourceSessionTimeAndTail) {
  Ledger ledger = open();
  EventRow other = hook_event("end", 1500, "h");
  other.source = "harness";
  other.session = "s2";
  ASSERT_TRUE(insert_events(
      ledger, {hook_event("A", 1000, "a"), other, hook_event("C", 3000, "c")}));
  auto names = [&](const std::function<void(EventQuery&)>& set) {
    EventQuery q;
    set(q);
    std::string out;
    EXPECT_TRUE(for_each_event(ledger, q, [&](const EventRow& e) { out += e.name + " "; }));
    return out;
  };
  EXPECT_EQ(names([](EventQuery&) {}), "A end C ");
  EXPECT_EQ(names([](EventQuery& q) { q.source = "hook"; }), "A C ");
  EXPECT_EQ(names([](EventQuery& q) { q.session = "s2"; }), "end ");
  EXPECT_EQ(names([](EventQuery& q) {
              q.from = from_epoch_ms(1500);
              q.to = from_epoch_ms(3000);
            }),
            "end ");
  std::int64_t first_id = 0;
  ASSERT_TRUE(for_each_event(ledger, {}, [&](const EventRow& e) {
    first_id = first_id == 0 ? e.id : first_id;
  }));
  EXPECT_EQ(names([&](EventQuery& q) { q.after_id = first_id; }), "end C ");
  EXPECT_EQ(names([&](EventQuery& q) {
              q.after_id = first_id;
              q.source = "hook";
            }),
            "C ");
  EXPECT_EQ(names([&](EventQuery& q) { q.exclude_source = "hook"; }), "end ");
  auto newest = newest_event_id(ledger);
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, first_id + 2);
  // Tailing walks the ids: SQLite's plan must not scan an index of ts or source.
  auto plan = ledger.database().prepare(
      "EXPLAIN QUERY PLAN SELECT id FROM events WHERE +ts >= 0 AND +ts < 9 AND +source = 'hook' "
      "AND id > 1 ORDER BY id");
  ASSERT_TRUE(plan);
  std::string detail;
  ASSERT_TRUE(plan->for_each_row([&] { detail += std::string(plan->column_text(3)) + "; "; }));
  EXPECT_NE(detail.find("INTEGER PRIMARY KEY"), std::string::npos) << detail;
}

TEST_F(EventsTest, TheSpoolClaimIsHeldByOneProcessAtATime) {
  EXPECT_FALSE(spool_is_claimed(spool_dir(), ledger_path()));
  {
    auto claim = SpoolClaim::acquire(spool_dir(), ledger_path());
    ASSERT_TRUE(claim) << claim.error().message;
    EXPECT_TRUE(spool_is_claimed(spool_dir(), ledger_path()));
    EXPECT_FALSE(spool_is_claimed(spool_dir(), dir_ / "other.db"));
    auto second = SpoolClaim::acquire(spool_dir(), ledger_path());
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, Errc::kUnavailable);
    SpoolClaim moved = std::move(*claim);
    EXPECT_TRUE(spool_is_claimed(spool_dir(), ledger_path()));
  }
  EXPECT_FALSE(spool_is_claimed(spool_dir(), ledger_path()));
  EXPECT_TRUE(SpoolClaim::acquire(spool_dir(), ledger_path()));
}

TEST_F(EventsTest, DirectWritesNeedAnExistingUpgradedLedger) {
  auto missing = write_event_direct(dir_ / "none.db", hook_event("Stop", 1));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "none.db"));  // not created behind the user's back

  // A ledger from before the events table.
  testing::write_file(dir_ / "old.db", "");
  {
    auto db = Database::open(dir_ / "old.db", Database::Mode::kReadWrite);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE requests(id INTEGER PRIMARY KEY)"));
  }
  auto old = write_event_direct(dir_ / "old.db", hook_event("Stop", 1));
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, Errc::kUnavailable);

  auto ok = write_event_direct(ledger_path(), hook_event("Stop", 1, "x"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(*ok);
  auto again = write_event_direct(ledger_path(), hook_event("Stop", 1, "x"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(all_events().size(), 1u);
}

TEST_F(EventsTest, ABusyLedgerIsGivenUpOnWithinTheBusyTimeout) {
  auto holder = Database::open(ledger_path(), Database::Mode::kReadWrite);
  ASSERT_TRUE(holder);
  ASSERT_TRUE(holder->exec("BEGIN EXCLUSIVE"));
  auto start = std::chrono::steady_clock::now();
  auto written = write_event_direct(ledger_path(), hook_event("Stop", 1));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Errc::kUnavailable);
  EXPECT_LT(elapsed, std::chrono::milliseconds(400));
  EXPECT_GE(elapsed, std::chrono::milliseconds(30));  // it did wait its 40 ms
  ASSERT_TRUE(holder->exec("ROLLBACK"));
}

TEST_F(EventsTest, SpooledEventsAreDrainedExactlyOnce) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(spool_event(spool_dir(), ledger_path(), hook_event("PreToolUse", 1000 + i)));
  }
  ASSERT_EQ(spool_files().size(), 1u);
  EXPECT_EQ(spool_files()[0], std::filesystem::path(spool_file_for(spool_dir(), ledger_path()))
                                  .filename()
                                  .string());
  // Another ledger's spool is left alone.
  ASSERT_TRUE(spool_event(spool_dir(), dir_ / "other.db", hook_event("Stop", 1)));
  Ledger ledger = open();
  auto stats = drain_spool(ledger, spool_dir());
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->files, 1);
  EXPECT_EQ(stats->lines, 5);
  EXPECT_EQ(stats->inserted, 5);
  EXPECT_EQ(stats->duplicates, 0);
  EXPECT_EQ(all_events().size(), 5u);
  EXPECT_EQ(spool_files().size(), 1u);  // other.db's
  auto again = drain_spool(ledger, spool_dir());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->inserted, 0);
  EXPECT_EQ(all_events().size(), 5u);
}

TEST_F(EventsTest, ADrainThatDiedIsFinishedWithoutDoubles) {
  Ledger ledger = open();
  std::string id = std::filesystem::path(spool_file_for(spool_dir(), ledger_path()))
                       .stem()
                       .string();
  // Died after its commit, before removing the file: the lines are in the ledger already.
  std::string committed;
  for (int i = 0; i < 3; ++i) {
    EventRow row = hook_event("PostToolUse", 2000 + i, "done-" + std::to_string(i));
    committed += event_json(row) + "\n";
    ASSERT_TRUE(insert_events(ledger, {row}));
  }
  testing::write_file(spool_dir() + "/" + id + ".claimed-999999-1-0.jsonl", committed);
  // Died before its commit: nothing of it is in the ledger. Its last line is torn.
  std::string pending;
  for (int i = 0; i < 2; ++i) {
    pending += event_json(hook_event("Stop", 3000 + i, "todo-" + std::to_string(i))) + "\n";
  }
  pending += R"({"key":"torn","ts":1,"sour)";
  testing::write_file(spool_dir() + "/" + id + ".claimed-999998-1-0.jsonl", pending);

  auto stats = drain_spool(ledger, spool_dir());
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->files, 2);
  EXPECT_EQ(stats->inserted, 2);
  EXPECT_EQ(stats->duplicates, 3);
  EXPECT_EQ(stats->malformed, 1);
  ASSERT_EQ(stats->problems.size(), 1u);
  EXPECT_NE(stats->problems[0].find(":3: dropped"), std::string::npos) << stats->problems[0];
  EXPECT_EQ(all_events().size(), 5u);
  EXPECT_TRUE(spool_files().empty());
}

TEST_F(EventsTest, ConcurrentAppendersAndDrainersLoseAndDoubleNothing) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 150;
  constexpr int kDrainers = 2;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    if (pid == 0) {
      for (int i = 0; i < kPerWriter; ++i) {
        if (!spool_event(spool_dir(), ledger_path(), hook_event("PreToolUse", w * 1000 + i))) {
          ::_exit(1);
        }
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (int d = 0; d < kDrainers; ++d) {
    pid_t pid = ::fork();
    if (pid == 0) {
      auto ledger = Ledger::open_reader(ledger_path(), pricing::PriceTable::embedded());
      for (int round = 0; round < 40 && ledger; ++round) {
        if (!drain_spool(*ledger, spool_dir())) {
          ::_exit(2);
        }
        ::usleep(1000);
      }
      ::_exit(ledger ? 0 : 3);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    EXPECT_EQ(testing::wait_exit_code(pid), 0);
  }
  Ledger ledger = open();
  ASSERT_TRUE(drain_spool(ledger, spool_dir()));
  std::vector<EventRow> rows = all_events();
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(kWriters * kPerWriter));
  std::set<std::int64_t> instants;
  for (const EventRow& row : rows) {
    instants.insert(to_epoch_ms(row.instant));
  }
  EXPECT_EQ(instants.size(), rows.size());
  EXPECT_TRUE(spool_files().empty());
}

TEST_F(EventsTest, ADirectWriteTakesASmallSpoolAlong) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(spool_event(spool_dir(), ledger_path(), hook_event("Stop", 100 + i)));
  }
  DirectWriteOptions options;
  options.spool_dir = spool_dir();
  ASSERT_TRUE(write_event_direct(ledger_path(), hook_event("SessionEnd", 200), options));
  EXPECT_EQ(all_events().size(), 4u);
  EXPECT_TRUE(spool_files().empty());
}

TEST(EventKeys, AreRandomHex) {
  std::string a = new_event_key();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, new_event_key());
}

}  // namespace
}  // namespace ccgauge::ledger

#include "ingest/transcripts/watcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace ccgauge::ingest {
namespace {

namespace fs = std::filesystem;
using ccgauge::testing::append_file;
using ccgauge::testing::TempDir;
using ccgauge::testing::write_file;
using Paths = std::vector<std::string>;

Paths strings(const std::vector<fs::path>& paths) {
  Paths out;
  for (const fs::path& path : paths) {
    out.push_back(path.string());
  }
  return out;
}

// Events are queued by the kernel inside the system call that causes them, so once a test's
// file operations have returned, one poll and one drain see all of them; "nothing pending" is
// a poll with a zero timeout. No test sleeps.
class WatcherTest : public ::testing::Test {
 protected:
  std::string config() const { return dir_ / "claude"; }
  std::string project(const std::string& rel) const { return dir_ / ("claude/projects/" + rel); }

  void open(WatchOptions options = {}) {
    auto watcher = TranscriptWatcher::open({config()}, options);
    ASSERT_TRUE(watcher) << watcher.error().message;
    watcher_ = std::move(*watcher);
  }

  bool readable(int timeout_ms) const {
    pollfd pfd{watcher_->fd(), POLLIN, 0};
    return ::poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN) != 0;
  }

  // Waits (2 s at most) for events and drains them.
  WatchBatch next() {
    EXPECT_TRUE(readable(2000)) << "no event within 2 s";
    return watcher_->drain();
  }

  void expect_quiet() const { EXPECT_FALSE(readable(0)) << "unexpected events pending"; }

  TempDir dir_;
  std::unique_ptr<TranscriptWatcher> watcher_;
};

TEST_F(WatcherTest, AppendToAnOpenFileIsReported) {
  write_file(project("-p/s1.jsonl"), "{}\n");
  open();
  EXPECT_FALSE(watcher_->degraded());
  // A writer that keeps the file open, as a long session does: no close needed to be seen.
  std::ofstream out(project("-p/s1.jsonl"), std::ios::app);
  out << "{\"a\":1}\n" << std::flush;
  WatchBatch batch = next();
  EXPECT_EQ(strings(batch.changed), Paths{project("-p/s1.jsonl")});
  EXPECT_TRUE(batch.removed.empty());
  EXPECT_FALSE(batch.rescan_all);
  expect_quiet();
  out << "{\"a\":2}\n" << std::flush;
  EXPECT_EQ(strings(next().changed), Paths{project("-p/s1.jsonl")});
}

TEST_F(WatcherTest, OnlyTranscriptsAreReported) {
  fs::create_directories(project("-p"));
  open();
  write_file(project("-p/notes.txt"), "x");
  write_file(project("-p/s1.jsonl.tmp"), "x");
  write_file(project("stray.jsonl"), "{}\n");  // directly in projects/: no project
  write_file(config() + "/history.jsonl", "{}\n");
  write_file(project("-p/memory/MEMORY.md"), "x");
  WatchBatch batch = next();
  EXPECT_TRUE(batch.empty()) << strings(batch.changed).size();
}

TEST_F(WatcherTest, NewProjectDirAndFilesCreatedBeforeItsWatchAreReported) {
  fs::create_directories(config() + "/projects");
  open();
  // Everything exists before the watcher sees the first IN_CREATE: the race it must not lose.
  write_file(project("-new/s1.jsonl"), "{}\n");
  write_file(project("-new/s1/subagents/agent-1.jsonl"), "{}\n");
  write_file(project("-new/s1/subagents/flow/agent-2.jsonl"), "{}\n");
  WatchBatch batch = next();
  EXPECT_EQ(strings(batch.changed),
            (Paths{project("-new/s1.jsonl"), project("-new/s1/subagents/agent-1.jsonl"),
                   project("-new/s1/subagents/flow/agent-2.jsonl")}));
  expect_quiet();
  // And they are watched from now on.
  append_file(project("-new/s1/subagents/flow/agent-2.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-new/s1/subagents/flow/agent-2.jsonl")});
}

TEST_F(WatcherTest, SubagentsDirCreatedLaterIsWatched) {
  write_file(project("-p/s1.jsonl"), "{}\n");
  fs::create_directories(project("-p/s1"));
  open();
  std::size_t before = watcher_->watch_count();
  write_file(project("-p/s1/subagents/agent-7.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-p/s1/subagents/agent-7.jsonl")});
  EXPECT_EQ(watcher_->watch_count(), before + 1);
  append_file(project("-p/s1/subagents/agent-7.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-p/s1/subagents/agent-7.jsonl")});
}

TEST_F(WatcherTest, ToolResultsAndOtherSessionSubdirsAreNotWatched) {
  fs::create_directories(project("-p/s1/tool-results"));
  open();
  EXPECT_EQ(watcher_->watch_count(), 4u);  // config dir, projects/, -p, s1
  write_file(project("-p/s1/tool-results/x.jsonl"), "{}\n");
  EXPECT_FALSE(readable(0));
}

TEST_F(WatcherTest, TruncationIsReported) {
  write_file(project("-p/s1.jsonl"), "{}\n{}\n");
  open();
  ASSERT_EQ(::truncate(project("-p/s1.jsonl").c_str(), 0), 0);
  EXPECT_EQ(strings(next().changed), Paths{project("-p/s1.jsonl")});
  append_file(project("-p/s1.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-p/s1.jsonl")});
  // Opening with O_TRUNC, writing nothing.
  int fd = ::open(project("-p/s1.jsonl").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_EQ(strings(next().changed), Paths{project("-p/s1.jsonl")});
}

TEST_F(WatcherTest, DeletionIsReportedAndTheLastEventWins) {
  write_file(project("-p/s1.jsonl"), "{}\n");
  write_file(project("-p/s2.jsonl"), "{}\n");
  open();
  fs::remove(project("-p/s1.jsonl"));
  WatchBatch batch = next();
  EXPECT_TRUE(batch.changed.empty());
  EXPECT_EQ(strings(batch.removed), Paths{project("-p/s1.jsonl")});

  write_file(project("-p/s3.jsonl"), "{}\n");  // created, then gone
  fs::remove(project("-p/s3.jsonl"));
  fs::remove(project("-p/s2.jsonl"));  // gone, then created again
  write_file(project("-p/s2.jsonl"), "{}\n");
  batch = next();
  EXPECT_EQ(strings(batch.changed), Paths{project("-p/s2.jsonl")});
  EXPECT_EQ(strings(batch.removed), Paths{project("-p/s3.jsonl")});
}

TEST_F(WatcherTest, FileMovesInOutAndRenames) {
  write_file(project("-p/a.jsonl"), "{}\n");
  write_file(project("-p/b.jsonl"), "{}\n");
  write_file(dir_ / "outside/in.jsonl", "{}\n");
  open();
  fs::rename(dir_ / "outside/in.jsonl", project("-p/in.jsonl"));
  fs::rename(project("-p/a.jsonl"), dir_ / "outside/a.jsonl");
  fs::rename(project("-p/b.jsonl"), project("-p/c.jsonl"));
  WatchBatch batch = next();
  EXPECT_EQ(strings(batch.changed), (Paths{project("-p/c.jsonl"), project("-p/in.jsonl")}));
  EXPECT_EQ(strings(batch.removed), (Paths{project("-p/a.jsonl"), project("-p/b.jsonl")}));
  // An atomic replace (write a temporary file, rename it over the transcript).
  write_file(project("-p/c.jsonl.tmp"), "{}\n{}\n");
  fs::rename(project("-p/c.jsonl.tmp"), project("-p/c.jsonl"));
  batch = next();
  EXPECT_EQ(strings(batch.changed), Paths{project("-p/c.jsonl")});
  EXPECT_TRUE(batch.removed.empty());
}

TEST_F(WatcherTest, DirectoryMovesInOutAndRenames) {
  write_file(project("-p/s1.jsonl"), "{}\n");
  write_file(dir_ / "outside/-q/s2.jsonl", "{}\n");
  write_file(dir_ / "outside/-q/s2/subagents/agent-1.jsonl", "{}\n");
  open();
  std::size_t before = watcher_->watch_count();

  fs::rename(dir_ / "outside/-q", project("-q"));
  EXPECT_EQ(strings(next().changed),
            (Paths{project("-q/s2.jsonl"), project("-q/s2/subagents/agent-1.jsonl")}));
  EXPECT_EQ(watcher_->watch_count(), before + 3);  // -q, s2, subagents

  fs::rename(project("-q"), project("-r"));
  WatchBatch batch = next();
  EXPECT_EQ(strings(batch.changed),
            (Paths{project("-r/s2.jsonl"), project("-r/s2/subagents/agent-1.jsonl")}));
  EXPECT_EQ(strings(batch.removed),
            (Paths{project("-q/s2.jsonl"), project("-q/s2/subagents/agent-1.jsonl")}));
  append_file(project("-r/s2/subagents/agent-1.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-r/s2/subagents/agent-1.jsonl")});

  fs::rename(project("-r"), dir_ / "outside/-r");
  batch = next();
  EXPECT_TRUE(batch.changed.empty());
  EXPECT_EQ(strings(batch.removed),
            (Paths{project("-r/s2.jsonl"), project("-r/s2/subagents/agent-1.jsonl")}));
  EXPECT_EQ(watcher_->watch_count(), before);
  // Outside the tree it is no longer watched.
  append_file(dir_ / "outside/-r/s2.jsonl", "{}\n");
  if (readable(0)) {
    EXPECT_TRUE(watcher_->drain().empty());
  }
}

TEST_F(WatcherTest, DeletedDirectoryReportsItsFilesAndReleasesItsWatches) {
  write_file(project("-p/s1.jsonl"), "{}\n");
  write_file(project("-p/s1/subagents/agent-1.jsonl"), "{}\n");
  open();
  std::size_t before = watcher_->watch_count();
  fs::remove_all(project("-p"));
  WatchBatch batch = next();
  EXPECT_EQ(strings(batch.removed),
            (Paths{project("-p/s1.jsonl"), project("-p/s1/subagents/agent-1.jsonl")}));
  EXPECT_FALSE(batch.rescan_all);
  EXPECT_EQ(watcher_->watch_count(), before - 3);
}

TEST_F(WatcherTest, SymlinkedProjectDirIsFollowedWithoutLoops) {
  write_file(dir_ / "elsewhere/-q/s2.jsonl", "{}\n");
  write_file(project("-p/s1.jsonl"), "{}\n");
  fs::create_directory_symlink(dir_ / "elsewhere/-q", project("-q"));
  fs::create_directory_symlink(config() + "/projects", project("-p/loop"));
  open();
  EXPECT_EQ(watcher_->watch_count(), 4u);  // config dir, projects/, -p, -q's target
  append_file(dir_ / "elsewhere/-q/s2.jsonl", "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-q/s2.jsonl")});

  // A link created later: its files are reported and watched, under the link's path.
  write_file(dir_ / "elsewhere/-r/s3.jsonl", "{}\n");
  fs::create_directory_symlink(dir_ / "elsewhere/-r", project("-r"));
  EXPECT_EQ(strings(next().changed), Paths{project("-r/s3.jsonl")});
  append_file(dir_ / "elsewhere/-r/s3.jsonl", "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-r/s3.jsonl")});

  // A second link to a watched directory adds nothing; removing a link drops its watch.
  fs::create_directory_symlink(dir_ / "elsewhere/-q", project("-q2"));
  EXPECT_TRUE(next().empty());
  EXPECT_EQ(watcher_->watch_count(), 5u);
  fs::remove(project("-r"));
  EXPECT_EQ(strings(next().removed), Paths{project("-r/s3.jsonl")});
  EXPECT_EQ(watcher_->watch_count(), 4u);
}

TEST_F(WatcherTest, SymlinkedTranscriptFileIsWatchedThroughItsTarget) {
  write_file(dir_ / "elsewhere/t.jsonl", "{}\n");
  write_file(dir_ / "elsewhere/early.jsonl", "{}\n");
  fs::create_directories(project("-p"));
  fs::create_symlink(dir_ / "elsewhere/early.jsonl", project("-p/early.jsonl"));
  open();
  append_file(dir_ / "elsewhere/early.jsonl", "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-p/early.jsonl")});
  fs::create_symlink(dir_ / "elsewhere/t.jsonl", project("-p/linked.jsonl"));
  EXPECT_EQ(strings(next().changed), Paths{project("-p/linked.jsonl")});
  append_file(dir_ / "elsewhere/t.jsonl", "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-p/linked.jsonl")});
  fs::remove(dir_ / "elsewhere/t.jsonl");
  EXPECT_EQ(strings(next().removed), Paths{project("-p/linked.jsonl")});
}

TEST_F(WatcherTest, ProjectsCreatedAfterOpenIsPickedUp) {
  fs::create_directories(config());
  open();
  write_file(project("-p/s1.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-p/s1.jsonl")});
  append_file(project("-p/s1.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-p/s1.jsonl")});
}

TEST_F(WatcherTest, ProjectsVanishingAsksForARescanAndComingBackIsWatched) {
  write_file(project("-p/s1.jsonl"), "{}\n");
  open();
  fs::rename(config() + "/projects", dir_ / "old-projects");
  WatchBatch batch = next();
  EXPECT_TRUE(batch.rescan_all);
  EXPECT_EQ(strings(batch.removed), Paths{project("-p/s1.jsonl")});
  EXPECT_EQ(watcher_->watch_count(), 1u);
  fs::rename(dir_ / "old-projects", config() + "/projects");
  batch = next();
  EXPECT_FALSE(batch.rescan_all);
  EXPECT_EQ(strings(batch.changed), Paths{project("-p/s1.jsonl")});
  EXPECT_EQ(watcher_->watch_count(), 3u);
}

TEST_F(WatcherTest, ConfigDirVanishingDegradesUntilRefreshFindsItAgain) {
  write_file(project("-p/s1.jsonl"), "{}\n");
  open();
  fs::rename(config(), dir_ / "moved");
  WatchBatch batch = next();
  EXPECT_TRUE(batch.rescan_all);
  EXPECT_TRUE(watcher_->degraded());
  EXPECT_EQ(strings(watcher_->unwatched_dirs()), Paths{config()});
  EXPECT_NE(watcher_->status().find("config dir " + config() + " is gone"), std::string::npos)
      << watcher_->status();
  EXPECT_EQ(watcher_->watch_count(), 0u);
  fs::rename(dir_ / "moved", config());
  batch = watcher_->refresh();
  EXPECT_EQ(strings(batch.changed), Paths{project("-p/s1.jsonl")});
  EXPECT_FALSE(watcher_->degraded());
  append_file(project("-p/s1.jsonl"), "{}\n");
  // The refresh's own events (if any remain) and the append arrive together.
  EXPECT_EQ(strings(next().changed), Paths{project("-p/s1.jsonl")});
}

TEST_F(WatcherTest, ManyWritesAreCoalesced) {
  write_file(project("-p/s1.jsonl"), "");
  write_file(project("-p/s2.jsonl"), "");
  open();
  int a = ::open(project("-p/s1.jsonl").c_str(), O_WRONLY | O_APPEND);
  int b = ::open(project("-p/s2.jsonl").c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(::write(i % 2 == 0 ? a : b, "{}\n", 3), 3);  // alternating: the kernel cannot merge
  }
  ::close(a);
  ::close(b);
  WatchBatch batch = next();
  EXPECT_EQ(strings(batch.changed), (Paths{project("-p/s1.jsonl"), project("-p/s2.jsonl")}));
  EXPECT_FALSE(batch.rescan_all);
  expect_quiet();
}

TEST_F(WatcherTest, WatchLimitDegradesAndListsTheRest) {
  write_file(project("-p1/s1.jsonl"), "{}\n");
  write_file(project("-p2/s2/subagents/agent-1.jsonl"), "{}\n");
  open(WatchOptions{.max_watches = 2});  // the config dir and projects/
  EXPECT_TRUE(watcher_->degraded());
  EXPECT_EQ(watcher_->watch_count(), 2u);
  EXPECT_EQ(strings(watcher_->unwatched_dirs()), (Paths{project("-p1"), project("-p2")}));
  EXPECT_EQ(watcher_->status(),
            "inotify degraded: watch limit reached (max_watches=2); 2 directories not watched "
            "and fall back to periodic rescans; watching 2 directories under 1 config dir");

  // Appends in unwatched directories raise nothing; refresh() reports every file below them.
  append_file(project("-p1/s1.jsonl"), "{}\n");
  expect_quiet();
  WatchBatch batch = watcher_->refresh();
  EXPECT_EQ(strings(batch.changed),
            (Paths{project("-p1/s1.jsonl"), project("-p2/s2/subagents/agent-1.jsonl")}));

  // A project dir created later is listed too (with its files reported); one deleted leaves
  // the list.
  write_file(project("-p3/s3.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-p3/s3.jsonl")});
  fs::remove_all(project("-p1"));
  EXPECT_TRUE(next().empty());
  EXPECT_EQ(strings(watcher_->unwatched_dirs()), (Paths{project("-p2"), project("-p3")}));
}

TEST_F(WatcherTest, WatchLimitHighEnoughIsNotDegraded) {
  write_file(project("-p1/s1.jsonl"), "{}\n");
  open(WatchOptions{.max_watches = 3});
  EXPECT_FALSE(watcher_->degraded());
  EXPECT_EQ(watcher_->status(), "inotify: watching 3 directories under 1 config dir");
  // One more directory goes over the budget.
  write_file(project("-p1/s1/subagents/agent-1.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-p1/s1/subagents/agent-1.jsonl")});
  EXPECT_EQ(strings(watcher_->unwatched_dirs()), Paths{project("-p1/s1")});
}

// The kernel's own limit, not max_watches: a child process in a new user namespace lowers its
// user.max_inotify_watches to 2, so inotify_add_watch fails with ENOSPC for the third directory.
TEST_F(WatcherTest, KernelWatchLimitDegradesWithTheSysctlInStatus) {
  write_file(project("-p1/s1.jsonl"), "{}\n");
  write_file(project("-p2/s2.jsonl"), "{}\n");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string report;
    if (::unshare(CLONE_NEWUSER) != 0) {
      report = std::string("skip: unshare(CLONE_NEWUSER): ") + std::strerror(errno);
    } else if (!(std::ofstream("/proc/sys/user/max_inotify_watches") << "2\n")) {
      report = "skip: cannot set user.max_inotify_watches";
    } else if (auto watcher = TranscriptWatcher::open({config()}); !watcher) {
      report = "error: " + watcher.error().message;
    } else {
      report = std::string((*watcher)->degraded() ? "degraded" : "not degraded") + "\n";
      for (const fs::path& path : (*watcher)->unwatched_dirs()) {
        report += path.string() + "\n";
      }
      report += (*watcher)->status();
    }
    (void)!::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char chunk[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], chunk, sizeof chunk)) > 0;) {
    report.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(pid, &wait_status, 0), pid);
  if (report.starts_with("skip: ")) {
    GTEST_SKIP() << report;
  }
  std::string expected_start =
      "degraded\n" + project("-p1") + "\n" + project("-p2") + "\n" +
      "inotify degraded: watch limit reached (fs.inotify.max_user_watches=";
  EXPECT_TRUE(report.starts_with(expected_start)) << report;
  EXPECT_NE(report.find("user.max_inotify_watches=2 in this user namespace); 2 directories not "
                        "watched and fall back to periodic rescans; watching 2 directories"),
            std::string::npos)
      << report;
}

// The kernel queue holds fs.inotify.max_queued_events (16,384 by default) and only merges an
// event with the one just before it, so alternating appends to two files fill it quickly.
TEST_F(WatcherTest, QueueOverflowAsksForARescanAndKeepsWatching) {
  long max_queued = 0;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_queued;
  if (max_queued <= 0 || max_queued > 1'000'000) {
    GTEST_SKIP() << "fs.inotify.max_queued_events=" << max_queued << " is too large to fill";
  }
  write_file(project("-p/s1.jsonl"), "");
  write_file(project("-p/s2.jsonl"), "");
  open();
  int a = ::open(project("-p/s1.jsonl").c_str(), O_WRONLY | O_APPEND);
  int b = ::open(project("-p/s2.jsonl").c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  for (long i = 0; i < max_queued + 10; ++i) {
    ASSERT_EQ(::write(i % 2 == 0 ? a : b, "{}\n", 3), 3);
  }
  ::close(a);
  ::close(b);
  // Made while the queue is full: its IN_CREATE is lost, the resync must find it.
  write_file(project("-late/s3.jsonl"), "{}\n");
  WatchBatch batch;
  while (readable(0) && !batch.rescan_all) {
    batch = watcher_->drain();
  }
  EXPECT_TRUE(batch.rescan_all);
  EXPECT_NE(std::find(batch.changed.begin(), batch.changed.end(), project("-late/s3.jsonl")),
            batch.changed.end());
  append_file(project("-late/s3.jsonl"), "{}\n");
  EXPECT_EQ(strings(next().changed), Paths{project("-late/s3.jsonl")});
}

TEST_F(WatcherTest, MissingConfigDirIsAnError) {
  auto watcher = TranscriptWatcher::open({dir_ / "nope"});
  ASSERT_FALSE(watcher);
  EXPECT_EQ(watcher.error().code, Errc::kNotFound);
  EXPECT_NE(watcher.error().message.find(dir_ / "nope"), std::string::npos);
}

TEST_F(WatcherTest, TwoConfigDirs) {
  write_file(dir_ / "a/projects/-p/s1.jsonl", "{}\n");
  write_file(dir_ / "b/projects/-p/s1.jsonl", "{}\n");
  auto watcher = TranscriptWatcher::open({dir_ / "a/", dir_ / "b"});
  ASSERT_TRUE(watcher) << watcher.error().message;
  watcher_ = std::move(*watcher);
  append_file(dir_ / "a/projects/-p/s1.jsonl", "{}\n");
  append_file(dir_ / "b/projects/-p/s1.jsonl", "{}\n");
  EXPECT_EQ(strings(next().changed),
            (Paths{dir_ / "a/projects/-p/s1.jsonl", dir_ / "b/projects/-p/s1.jsonl"}));
  EXPECT_EQ(watcher_->status(), "inotify: watching 6 directories under 2 config dirs");
}

// Time from a write() returning to drain() naming the file, through poll() on fd(): the path
// the daemon takes. Printed; the bound is loose because the test machine is shared.
TEST_F(WatcherTest, LatencyFromWriteToDrain) {
  write_file(project("-p/s1.jsonl"), "");
  open();
  int fd = ::open(project("-p/s1.jsonl").c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  using Clock = std::chrono::steady_clock;
  std::vector<double> write_to_readable_us;
  std::vector<double> write_to_batch_us;
  for (int i = 0; i < 200; ++i) {
    Clock::time_point start = Clock::now();
    ASSERT_EQ(::write(fd, "{}\n", 3), 3);
    ASSERT_TRUE(readable(2000));
    Clock::time_point ready = Clock::now();
    WatchBatch batch = watcher_->drain();
    Clock::time_point done = Clock::now();
    ASSERT_EQ(strings(batch.changed), Paths{project("-p/s1.jsonl")});
    write_to_readable_us.push_back(
        std::chrono::duration<double, std::micro>(ready - start).count());
    write_to_batch_us.push_back(std::chrono::duration<double, std::micro>(done - start).count());
  }
  ::close(fd);
  auto percentile = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
  };
  std::printf("[ latency  ] write -> fd readable: median %.1f us, p99 %.1f us\n",
              percentile(write_to_readable_us, 0.5), percentile(write_to_readable_us, 0.99));
  std::printf("[ latency  ] write -> drain() names the file: median %.1f us, p99 %.1f us\n",
              percentile(write_to_batch_us, 0.5), percentile(write_to_batch_us, 0.99));
  EXPECT_LT(percentile(write_to_batch_us, 0.5), 1000.0);
}

}  // namespace
}  // namespace ccgauge::ingest

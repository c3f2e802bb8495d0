#pragma once
// Event-driven transcript watching for the daemon: one inotify instance that tells which
// transcript files changed, so the ingest thread reads only those (with catch_up) instead of
// rescanning every config dir.
//
// What is watched, per config dir (research: telemetry.md 5.1-5.2):
//   <config>/                           only for `projects` appearing, vanishing or being replaced
//   <config>/projects/                  new project dirs
//   <config>/projects/<project>/        sessions, legacy agent-*.jsonl, new session dirs
//   <config>/projects/<project>/<dir>/  any directory there, so that a `subagents/` appearing is
//   seen
//   .../<session>/subagents/**          every directory below (nested workflow agents)
// Other directories below a session dir (`tool-results/`, ...) never hold transcripts and are not
// watched: each watch counts against the user's inotify limit. Symbolic links to directories are
// followed: the watch is on the target, and since inotify gives one watch per inode, a directory
// reached twice (by device and inode) is watched once, under the first path it was reached by,
// which also ends link loops. A link to a `*.jsonl` file gets a watch on its target file.
//
// Paths in batches are spelled as the walk from the config dir reaches them (links not resolved),
// the way discovery.h lists them, so they match the ledger's cursors. Only `*.jsonl` files below
// `projects/<project>/` are reported.
//
// Typical use on the daemon's ingest thread:
//   auto watcher = TranscriptWatcher::open(config_dirs);   // first, so nothing is missed...
//   catch_up(ledger, everything);                          // ...while the backlog is read
//   loop: wait until watcher->fd() is readable (poll, or an asio stream_descriptor's
//         async_wait(wait_read); release() the descriptor before it is destroyed: the watcher
//         owns and closes the fd), then
//         WatchBatch batch = watcher->drain();
//         batch.rescan_all ? catch up everything : catch up the files in batch.changed;
//   while degraded(): every 30 s or so, catch up the files in watcher->refresh().changed.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace ccgauge::ingest {

struct WatchOptions {
  // Most watches this watcher may hold; 0 = as many as the kernel allows
  // (fs.inotify.max_user_watches, shared by every process of the user). Tests set small numbers
  // to exercise the degraded mode.
  std::size_t max_watches = 0;
};

// What happened since the last drain (or refresh). Each path appears at most once, in one of the
// two lists, by its last event: a file written 1,000 times is one entry; created then deleted is
// `removed`; deleted then created again is `changed`. Both lists are sorted.
struct WatchBatch {
  // *.jsonl files created, appended to, truncated, moved in, replaced by a rename, or found in a
  // directory that was just created, moved in or newly watched (files written before its watch
  // existed are included: that race loses nothing). A changed file may be gone again by the time
  // it is read; the reader treats that like any missing file.
  std::vector<std::filesystem::path> changed;
  // *.jsonl files deleted or moved out, including those of a watched directory that went away.
  // Only files the watcher knew of (in watched directories) are reported.
  std::vector<std::filesystem::path> removed;
  // The kernel's event queue overflowed (events were lost), or a config dir or its projects/
  // vanished: the caller must rescan everything. The watcher has already re-walked its roots
  // and watches whatever exists now.
  bool rescan_all = false;

  bool empty() const { return changed.empty() && removed.empty() && !rescan_all; }
};

// One inotify instance over the `projects/` trees of some config dirs.
//
// Not thread-safe: it belongs to one thread (the daemon's ingest thread), which waits on fd() and
// calls drain(). Nothing inside polls or sleeps; the caller owns every timer.
//
// When watches run out (ENOSPC from the kernel, or WatchOptions::max_watches), the watcher keeps
// working for what it watches; each directory it could not watch is listed by unwatched_dirs()
// (its whole subtree is then unwatched), degraded() turns true and status() says why. The caller
// falls back to calling refresh() on a slow timer.
class TranscriptWatcher {
 public:
  // Creates the inotify instance and watches every config dir (as find_config_dirs returns them:
  // the directory that holds `projects/`; trailing slashes are ignored). A config dir without
  // `projects/` is fine: it is watched so that one created later is picked up.
  // Fails with kNotFound if a config dir is not a directory, kUnavailable if the kernel gives no
  // inotify instance (fs.inotify.max_user_instances reached) or refuses a config dir for a
  // reason other than the watch limit. Reports no files: read the backlog after open().
  static Result<std::unique_ptr<TranscriptWatcher>> open(
      std::vector<std::filesystem::path> config_dirs, WatchOptions options = {});

  ~TranscriptWatcher();
  TranscriptWatcher(const TranscriptWatcher&) = delete;
  TranscriptWatcher& operator=(const TranscriptWatcher&) = delete;

  // The inotify descriptor: non-blocking, close-on-exec, owned by the watcher. It is readable
  // while events wait; register it with poll/epoll/asio, never read it directly.
  int fd() const;

  // Reads and handles every pending event without blocking; an empty batch when none wait.
  // Directories that appear get watches (and their existing files are reported), directories
  // that go away lose theirs. A writer that never pauses cannot keep drain() looping: it stops
  // after a bounded number of reads, and fd() stays readable for the next call.
  WatchBatch drain();

  // Walks every root again: watches directories that lack a watch (those missed while the queue
  // overflowed, refused earlier for lack of watches, or a config dir that came back), drops
  // watches of directories no longer reachable, and rebuilds unwatched_dirs(). Reports files in
  // newly watched directories, files in watched directories that appeared or vanished unseen,
  // and every *.jsonl file below an unwatched directory (as changed: nothing else reports them,
  // so calling this on a slow timer while degraded() is the whole fallback). Costs one readdir
  // per watched directory. drain() calls it by itself after a queue overflow.
  WatchBatch refresh();

  // True while some directory could not be watched (see unwatched_dirs()).
  bool degraded() const;

  // The topmost directories (or linked files) that are not watched, sorted: the caller rescans
  // them, with their subtrees, slowly. Includes a config dir that vanished.
  std::vector<std::filesystem::path> unwatched_dirs() const;

  // Watches held now (directories, and targets of linked *.jsonl files).
  std::size_t watch_count() const;

  // One line for logs and /api/v1/health, e.g.
  //   "inotify: watching 812 directories under 2 config dirs"
  //   "inotify degraded: watch limit reached (fs.inotify.max_user_watches=8192); 40 directories
  //    not watched and fall back to periodic rescans; watching 8150 directories under 1 config
  //    dir"
  // Other reasons: "N directories could not be watched (first: <path>: <error>)", "config dir
  // <path> is gone".
  std::string status() const;

 private:
  struct Impl;
  explicit TranscriptWatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccgauge::ingest

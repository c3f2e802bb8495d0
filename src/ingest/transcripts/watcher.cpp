#include "ingest/transcripts/watcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace ccgauge::ingest {
namespace {

// IN_MASK_ADD: a directory reached again (a second link to it) keeps its mask instead of having
// it replaced. IN_ONLYDIR: a path swapped for a file between the event and the watch fails.
constexpr std::uint32_t kConfigDirMask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_MASK_ADD;
// IN_MODIFY fires on every write, while the writer still holds the file open, and on truncation.
// IN_CLOSE_WRITE is left out: it adds a second wake-up per append and nothing that IN_MODIFY
// misses except writes through mmap, which Claude Code does not do.
constexpr std::uint32_t kTreeDirMask = IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM |
                                       IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_EXCL_UNLINK |
                                       IN_ONLYDIR | IN_MASK_ADD;
constexpr std::uint32_t kLinkedFileMask = IN_MODIFY | IN_DELETE_SELF | IN_MASK_ADD;

// Bounds one drain(): 64 reads of 64 KiB are some 100,000 events.
constexpr int kMaxReadsPerDrain = 64;
constexpr std::size_t kReadBufferBytes = 64 * 1024;

constexpr std::string_view kProjects = "projects";

bool is_jsonl(std::string_view name) { return name.size() > 6 && name.ends_with(".jsonl"); }

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

// A number from /proc/sys, or -1 when it does not say.
long read_sysctl(const char* path) {
  std::ifstream in(path);
  long value = -1;
  in >> value;
  return in ? value : -1;
}

// The limit that ENOSPC from inotify_add_watch means. fs.inotify.max_user_watches is the knob
// to raise; inside a user namespace (a container) a lower limit of its own may apply.
std::string describe_kernel_watch_limit() {
  long global = read_sysctl("/proc/sys/fs/inotify/max_user_watches");
  long here = read_sysctl("/proc/sys/user/max_inotify_watches");
  std::string text = fmt::format("fs.inotify.max_user_watches={}", global);
  if (here >= 0 && here != global) {
    text += fmt::format(", user.max_inotify_watches={} in this user namespace", here);
  }
  return text;
}

std::string directories(std::size_t n) {
  return fmt::format("{} director{}", n, n == 1 ? "y" : "ies");
}

enum class Kind { kConfigDir, kTreeDir, kLinkedFile };

// Where a directory sits below projects/; decides which of its subdirectories hold transcripts.
struct Place {
  int depth = 0;              // components below projects/: 0 is projects/, -1 the config dir
  bool in_subagents = false;  // a session's subagents/ or below it
};

Place child_place(Place parent, std::string_view name) {
  Place child{parent.depth + 1, parent.in_subagents};
  if (child.depth == 3 && name == "subagents") {
    child.in_subagents = true;
  }
  return child;
}

// The layout of research telemetry.md 5.2: projects/, project dirs, anything directly in a
// project dir (session dirs), and below a session dir only subagents/ with all it holds.
bool holds_transcripts(Place place) { return place.depth <= 2 || place.in_subagents; }

// Transcripts sit in a project dir or below; a *.jsonl directly in projects/ belongs to no
// project (discovery skips it too).
bool reports_files(Place place) { return place.depth >= 1; }

struct Watch {
  Kind kind = Kind::kTreeDir;
  std::string path;      // as reached from the config dir; links not resolved
  std::size_t root = 0;  // index of the config dir
  Place place;
  std::uint64_t generation = 0;         // of the walk or event that last reached it
  std::pair<dev_t, ino_t> inode{0, 0};  // of the target, when the watch was added
  std::set<std::string> files;          // names of the *.jsonl files in it (directories only)
};

enum class Why { kLimit, kKernelLimit, kError, kMissing };

struct Unwatched {
  Why why = Why::kError;
  std::string detail;  // strerror text for kError
};

// A file's last event wins, so each path lands in one list once.
class Changes {
 public:
  void changed(std::string path) { last_[std::move(path)] = false; }
  void removed(std::string path) { last_[std::move(path)] = true; }

  WatchBatch take(bool rescan_all) {
    WatchBatch batch;
    batch.rescan_all = rescan_all;
    for (auto& [path, removed] : last_) {
      (removed ? batch.removed : batch.changed).emplace_back(path);
    }
    last_.clear();
    return batch;
  }

 private:
  std::map<std::string, bool> last_;  // path -> removed; sorted, so batches come out sorted
};

// The result of asking the kernel for a watch.
struct Attempt {
  int wd = -1;
  int error = 0;             // errno when the kernel refused
  bool over_budget = false;  // WatchOptions::max_watches reached
};

}  // namespace

// Invariants: `watches`, `by_path` and `by_inode` describe the same watches (one path and one
// inode per wd); a path is either watched or in `unwatched`, never both.
struct TranscriptWatcher::Impl {
  int fd = -1;
  WatchOptions options;
  std::vector<std::string> roots;          // config dirs, without trailing slashes
  std::unordered_map<int, Watch> watches;  // by wd
  std::map<std::string, int> by_path;      // ordered: a subtree is a contiguous range
  std::map<std::pair<dev_t, ino_t>, int> by_inode;
  std::map<std::string, Unwatched> unwatched;  // topmost paths without a watch
  // Bumped by each resync(), which drops the watches its walk did not reach. Outside resync()
  // every watch carries the current generation, so a directory reached again (a second link, a
  // loop) is recognised by having it already.
  std::uint64_t generation = 1;
  bool rescan_all = false;  // for the batch being built
  bool overflowed = false;  // IN_Q_OVERFLOW seen in this drain
  std::vector<char> buffer = std::vector<char>(kReadBufferBytes);

  ~Impl() {
    if (fd >= 0) {
      ::close(fd);
    }
  }

  // The kernel answers a second add for an inode it watches with the same wd, so a directory
  // reached twice is watched once. At the budget, only such a second add is allowed, which the
  // inode map answers without the kernel.
  Attempt add_watch(const std::string& path, std::uint32_t mask) {
    if (options.max_watches != 0 && watches.size() >= options.max_watches) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        return {-1, errno, false};
      }
      auto known = by_inode.find({st.st_dev, st.st_ino});
      return known != by_inode.end() ? Attempt{known->second, 0, false} : Attempt{-1, 0, true};
    }
    int wd = ::inotify_add_watch(fd, path.c_str(), mask);
    return wd >= 0 ? Attempt{wd, 0, false} : Attempt{-1, errno, false};
  }

  // Records why `path` has no watch. False when it is simply gone (nothing to record).
  bool note_unwatched(const std::string& path, const Attempt& attempt) {
    if (attempt.error == ENOENT || attempt.error == ENOTDIR) {
      return false;
    }
    Unwatched entry;
    if (attempt.over_budget) {
      entry.why = Why::kLimit;
    } else if (attempt.error == ENOSPC) {
      entry.why = Why::kKernelLimit;
    } else {
      entry.why = Why::kError;
      entry.detail = std::strerror(attempt.error);
    }
    unwatched[path] = std::move(entry);
    return true;
  }

  void register_watch(int wd, Kind kind, const std::string& path, std::size_t root, Place place,
                      Changes& out) {
    auto occupant = by_path.find(path);
    if (occupant != by_path.end() && occupant->second != wd) {
      drop_subtree(path, out);  // Replaced by a rename onto it.
    }
    auto known = watches.find(wd);
    if (known != watches.end() && known->second.path != path) {
      by_path.erase(known->second.path);  // A linked file's target reached by a new link.
    }
    Watch& watch = watches[wd];
    watch.kind = kind;
    watch.path = path;
    watch.root = root;
    watch.place = place;
    watch.generation = generation;
    by_path[path] = wd;
    unwatched.erase(path);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      watch.inode = {st.st_dev, st.st_ino};
      by_inode[watch.inode] = wd;
    }
  }

  // Watches the directory `path` and, below it, every directory that holds transcripts; files
  // that are new to the watcher are reported as changed, those no longer there as removed.
  void visit_dir(const std::string& path, Kind kind, std::size_t root, Place place, Changes& out) {
    std::uint32_t mask = kind == Kind::kConfigDir ? kConfigDirMask : kTreeDirMask;
    int wd = watch_dir(path, mask, place, out);
    if (wd < 0) {
      return;
    }
    auto known = watches.find(wd);
    if (known != watches.end() && known->second.path != path &&
        !same_inode(known->second.path, path)) {
      // Moved here unseen (from where only the directory itself was watched, or while events
      // were lost): its old records go, and it is watched afresh under its new path.
      drop_subtree(std::string(known->second.path), out);
      wd = watch_dir(path, mask, place, out);
      if (wd < 0) {
        return;
      }
      known = watches.find(wd);
    }
    if (known == watches.end()) {
      register_watch(wd, kind, path, root, place, out);
    } else if (known->second.generation == generation) {
      return;  // Reached twice in this walk: a second link to it, or a link loop.
    } else {
      known->second.generation = generation;  // Listed again under the path it is known by.
    }
    list_dir(wd, out);
  }

  // The watch descriptor for a directory, or -1 when it has none (recorded in `unwatched`, and
  // the transcripts below it reported, unless it is simply gone).
  int watch_dir(const std::string& path, std::uint32_t mask, Place place, Changes& out) {
    Attempt attempt = add_watch(path, mask);
    if (attempt.wd < 0 && note_unwatched(path, attempt)) {
      std::set<std::pair<dev_t, ino_t>> ancestors;
      report_unwatched_tree(path, place, ancestors, out);
    }
    return attempt.wd;
  }

  static bool same_inode(const std::string& a, const std::string& b) {
    struct stat sa {};
    struct stat sb {};
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
  }

  // A link to a *.jsonl file: a directory watch sees the link, not writes to its target, so the
  // target gets a watch of its own.
  void visit_linked_file(const std::string& path, std::size_t root, Place place, Changes& out) {
    Attempt attempt = add_watch(path, kLinkedFileMask);
    if (attempt.wd < 0) {
      if (note_unwatched(path, attempt)) {
        out.changed(path);  // Nothing else will report it.
      }
      return;
    }
    auto known = watches.find(attempt.wd);
    if (known != watches.end() && known->second.generation == generation) {
      return;  // The same target through another link.
    }
    register_watch(attempt.wd, Kind::kLinkedFile, path, root, place, out);
  }

  // Reads a watched directory: visits its subdirectories, reconciles its *.jsonl names.
  void list_dir(int wd, Changes& out) {
    const Watch& watch = watches.at(wd);
    // Copies: visiting subdirectories may drop watches that moved.
    const std::string path = watch.path;
    const Kind kind = watch.kind;
    const std::size_t root = watch.root;
    const Place place = watch.place;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      return;  // Gone already; its parent's event or the kernel's IN_IGNORED drops it.
    }
    std::set<std::string> names;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") {
        continue;
      }
      if (kind == Kind::kConfigDir) {
        if (name == kProjects) {
          visit_dir(path + "/projects", Kind::kTreeDir, root, Place{0, false}, out);
        }
        continue;
      }
      visit_entry(::dirfd(dir), entry->d_type, path, name, root, place, names, out);
    }
    ::closedir(dir);
    if (kind == Kind::kTreeDir) {
      reconcile(wd, std::move(names), out);
    }
  }

  void visit_entry(int dir_fd, unsigned char type, const std::string& dir_path,
                   std::string_view name, std::size_t root, Place place,
                   std::set<std::string>& names, Changes& out) {
    std::string path = dir_path + "/" + std::string(name);
    bool is_dir = type == DT_DIR;
    bool is_file = type == DT_REG;
    bool is_link = type == DT_LNK;
    if (type == DT_LNK || type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(dir_fd, std::string(name).c_str(), &st, 0) != 0) {
        return;  // A dangling link, or gone since readdir.
      }
      is_dir = S_ISDIR(st.st_mode);
      is_file = S_ISREG(st.st_mode);
    }
    Place child = child_place(place, name);
    if (is_dir && holds_transcripts(child)) {
      visit_dir(path, Kind::kTreeDir, root, child, out);
    } else if (is_file && is_jsonl(name) && reports_files(place)) {
      names.emplace(name);
      if (is_link) {
        visit_linked_file(path, root, place, out);
      }
    }
  }

  void reconcile(int wd, std::set<std::string> names, Changes& out) {
    auto it = watches.find(wd);
    if (it == watches.end()) {
      return;
    }
    Watch& watch = it->second;
    for (const std::string& name : watch.files) {
      if (!names.contains(name)) {
        out.removed(watch.path + "/" + name);
      }
    }
    for (const std::string& name : names) {
      if (!watch.files.contains(name)) {
        out.changed(watch.path + "/" + name);
      }
    }
    watch.files = std::move(names);
  }

  // Lists *.jsonl files below a directory that has no watch, following links without loops.
  void report_unwatched_tree(const std::string& path, Place place,
                             std::set<std::pair<dev_t, ino_t>>& ancestors, Changes& out) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return;
    }
    if (S_ISREG(st.st_mode)) {
      out.changed(path);  // A linked file that got no watch.
      return;
    }
    if (!S_ISDIR(st.st_mode) || !ancestors.emplace(st.st_dev, st.st_ino).second) {
      return;
    }
    if (DIR* dir = ::opendir(path.c_str())) {
      while (struct dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name == "." || name == "..") {
          continue;
        }
        if (place.depth < 0 && name != kProjects) {
          continue;  // A config dir: only projects/ holds transcripts.
        }
        std::string child = path + "/" + std::string(name);
        Place child_at = child_place(place, name);
        if (is_jsonl(name) && reports_files(place) && entry->d_type != DT_DIR) {
          out.changed(child);  // May be a directory or dangling link: the reader skips those.
        } else if (entry->d_type != DT_REG && holds_transcripts(child_at)) {
          report_unwatched_tree(child, child_at, ancestors, out);
        }
      }
      ::closedir(dir);
    }
    ancestors.erase({st.st_dev, st.st_ino});
  }

  // Removes our record of a watch (the kernel's may be gone already), reporting its files.
  void forget(int wd, Changes& out) {
    auto it = watches.find(wd);
    if (it == watches.end()) {
      return;
    }
    for (const std::string& name : it->second.files) {
      out.removed(it->second.path + "/" + name);
    }
    auto path_it = by_path.find(it->second.path);
    if (path_it != by_path.end() && path_it->second == wd) {
      by_path.erase(path_it);
    }
    auto inode_it = by_inode.find(it->second.inode);
    if (inode_it != by_inode.end() && inode_it->second == wd) {
      by_inode.erase(inode_it);
    }
    watches.erase(it);
  }

  // Drops the watches and unwatched records at `path` and below it.
  void drop_subtree(const std::string& path, Changes& out) {
    std::vector<int> wds;
    auto collect = [&](auto first, auto last) {
      for (auto it = first; it != last; ++it) {
        wds.push_back(it->second);
      }
    };
    // Children sort between "<path>/" and "<path>0" ('0' follows '/').
    collect(by_path.lower_bound(path + "/"), by_path.lower_bound(path + "0"));
    if (auto exact = by_path.find(path); exact != by_path.end()) {
      wds.push_back(exact->second);
    }
    for (int wd : wds) {
      ::inotify_rm_watch(fd, wd);  // EINVAL when the kernel dropped it first: fine.
      forget(wd, out);
    }
    unwatched.erase(unwatched.lower_bound(path + "/"), unwatched.lower_bound(path + "0"));
    unwatched.erase(path);
  }

  // A config dir or its projects/ went away: the caller must rescan everything.
  void root_vanished(const Watch& watch, Changes& out) {
    std::string path = watch.path;
    bool config_dir = watch.kind == Kind::kConfigDir;
    drop_subtree(path, out);
    if (config_dir) {
      unwatched[path] = Unwatched{Why::kMissing, ""};
    }
    rescan_all = true;
  }

  void handle_event(const struct inotify_event& event, std::string_view name, Changes& out) {
    if ((event.mask & IN_Q_OVERFLOW) != 0) {
      overflowed = true;
      return;
    }
    auto it = watches.find(event.wd);
    if (it == watches.end()) {
      return;  // A watch we dropped; its last events are stale.
    }
    if ((event.mask & IN_IGNORED) != 0) {
      on_watch_gone(it->second, out);
      return;
    }
    switch (it->second.kind) {
      case Kind::kLinkedFile:
        if ((event.mask & IN_MODIFY) != 0) {
          out.changed(it->second.path);
        }
        return;
      case Kind::kConfigDir:
        on_config_dir_event(it->second, event.mask, name, out);
        return;
      case Kind::kTreeDir:
        on_tree_dir_event(event.wd, event.mask, name, out);
        return;
    }
  }

  // The kernel removed a watch: its directory (or linked file's target) was deleted.
  void on_watch_gone(const Watch& watch, Changes& out) {
    if (watch.kind == Kind::kConfigDir ||
        (watch.kind == Kind::kTreeDir && watch.place.depth == 0)) {
      root_vanished(watch, out);
      return;
    }
    if (watch.kind == Kind::kLinkedFile) {
      out.removed(watch.path);
    }
    drop_subtree(std::string(watch.path), out);
  }

  void on_config_dir_event(const Watch& watch, std::uint32_t mask, std::string_view name,
                           Changes& out) {
    if ((mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
      root_vanished(watch, out);
      return;
    }
    if (name != kProjects) {
      return;
    }
    std::string projects = watch.path + "/projects";
    std::size_t root = watch.root;
    if ((mask & (IN_DELETE | IN_MOVED_FROM)) != 0) {
      drop_subtree(projects, out);
      rescan_all = true;
    } else if ((mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
      drop_subtree(projects, out);
      visit_dir(projects, Kind::kTreeDir, root, Place{0, false}, out);
    }
  }

  void on_tree_dir_event(int wd, std::uint32_t mask, std::string_view name, Changes& out) {
    const Watch& watch = watches.at(wd);
    // Copies: the handlers below may erase this watch.
    const std::string path = watch.path;
    const std::size_t root = watch.root;
    const Place place = watch.place;
    if ((mask & IN_MOVE_SELF) != 0) {
      // Its parent's IN_MOVED_FROM, when the parent is watched, came first and dropped it; this
      // is a linked target (or projects/ itself) moving away. Watch what the path names now.
      drop_subtree(path, out);
      rescan_all = rescan_all || place.depth == 0;
      visit_dir(path, Kind::kTreeDir, root, place, out);
      return;
    }
    if (name.empty()) {
      return;  // IN_DELETE_SELF: IN_IGNORED follows.
    }
    std::string child = path + "/" + std::string(name);
    bool transcript = is_jsonl(name) && reports_files(place);
    if ((mask & (IN_DELETE | IN_MOVED_FROM)) != 0) {
      drop_subtree(child, out);
      if (transcript) {
        watches.at(wd).files.erase(std::string(name));
        out.removed(std::move(child));
      }
    } else if ((mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
      drop_subtree(child, out);  // A rename onto an existing entry replaces it.
      on_entry_added(wd, child, name, (mask & IN_ISDIR) != 0, out);
    } else if ((mask & IN_MODIFY) != 0 && transcript) {
      watches.at(wd).files.emplace(name);
      out.changed(std::move(child));
    }
  }

  void on_entry_added(int wd, const std::string& child, std::string_view name, bool is_dir,
                      Changes& out) {
    const std::size_t root = watches.at(wd).root;
    const Place place = watches.at(wd).place;  // Copies: visiting may drop watches that moved.
    Place child_at = child_place(place, name);
    if (is_dir) {
      if (holds_transcripts(child_at)) {
        visit_dir(child, Kind::kTreeDir, root, child_at, out);
      }
      return;
    }
    bool transcript = is_jsonl(name) && reports_files(place);
    if (transcript) {
      watches.at(wd).files.emplace(name);
      out.changed(child);
    }
    // Not a directory itself, but it may be a link to one, or to a transcript.
    struct stat st {};
    if (::lstat(child.c_str(), &st) != 0 || !S_ISLNK(st.st_mode) ||
        ::stat(child.c_str(), &st) != 0) {
      return;
    }
    if (S_ISDIR(st.st_mode) && holds_transcripts(child_at)) {
      visit_dir(child, Kind::kTreeDir, root, child_at, out);
    } else if (S_ISREG(st.st_mode) && transcript) {
      visit_linked_file(child, root, place, out);
    }
  }

  // Handles the events in buffer[0, size).
  void handle_buffer(std::size_t size, Changes& out) {
    std::size_t offset = 0;
    while (offset + sizeof(struct inotify_event) <= size) {
      struct inotify_event event {};
      std::memcpy(&event, buffer.data() + offset, sizeof(event));  // The buffer is not aligned.
      const char* name = buffer.data() + offset + sizeof(event);
      std::string_view name_view(name, ::strnlen(name, event.len));
      handle_event(event, name_view, out);
      offset += sizeof(event) + event.len;
    }
  }

  // Walks every root again; watches the walk does not reach are dropped.
  void resync(Changes& out) {
    ++generation;
    unwatched.clear();
    for (std::size_t root = 0; root < roots.size(); ++root) {
      walk_root(root, out);
    }
    std::vector<int> stale;
    for (const auto& [wd, watch] : watches) {
      if (watch.generation != generation) {
        stale.push_back(wd);
      }
    }
    for (int wd : stale) {
      ::inotify_rm_watch(fd, wd);
      forget(wd, out);
    }
  }

  void walk_root(std::size_t root, Changes& out) {
    struct stat st {};
    if (::stat(roots[root].c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      unwatched[roots[root]] = Unwatched{Why::kMissing, ""};
      return;
    }
    visit_dir(roots[root], Kind::kConfigDir, root, Place{-1, false}, out);
  }

  std::size_t count_unwatched(Why why) const {
    std::size_t n = 0;
    for (const auto& [path, entry] : unwatched) {
      n += entry.why == why ? 1 : 0;
    }
    return n;
  }

  std::string status() const;
  std::vector<std::string> degraded_reasons() const;
};

std::string TranscriptWatcher::Impl::status() const {
  std::size_t linked_files = 0;
  for (const auto& [wd, watch] : watches) {
    linked_files += watch.kind == Kind::kLinkedFile ? 1 : 0;
  }
  std::string watching =
      fmt::format("watching {} under {} config dir{}", directories(watches.size() - linked_files),
                  roots.size(), roots.size() == 1 ? "" : "s");
  if (linked_files > 0) {
    watching += fmt::format(" and {} linked file{}", linked_files, linked_files == 1 ? "" : "s");
  }
  if (unwatched.empty()) {
    return "inotify: " + watching;
  }
  std::string line = "inotify degraded: ";
  for (const std::string& reason : degraded_reasons()) {
    line += reason + "; ";
  }
  return line + watching;
}

std::vector<std::string> TranscriptWatcher::Impl::degraded_reasons() const {
  std::vector<std::string> problems;
  std::size_t limited = count_unwatched(Why::kLimit) + count_unwatched(Why::kKernelLimit);
  if (limited > 0) {
    std::string limit = count_unwatched(Why::kKernelLimit) > 0
                            ? describe_kernel_watch_limit()
                            : fmt::format("max_watches={}", options.max_watches);
    problems.push_back(
        fmt::format("watch limit reached ({}); {} not watched and fall{} back to periodic rescans",
                    limit, directories(limited), limited == 1 ? "s" : ""));
  }
  std::size_t failed = count_unwatched(Why::kError);
  for (const auto& [path, entry] : unwatched) {
    if (entry.why == Why::kError) {
      problems.push_back(fmt::format("{} could not be watched (first: {}: {})", directories(failed),
                                     path, entry.detail));
      break;
    }
  }
  for (const auto& [path, entry] : unwatched) {
    if (entry.why == Why::kMissing) {
      problems.push_back(fmt::format("config dir {} is gone", path));
    }
  }
  return problems;
}

TranscriptWatcher::TranscriptWatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TranscriptWatcher::~TranscriptWatcher() = default;

Result<std::unique_ptr<TranscriptWatcher>> TranscriptWatcher::open(
    std::vector<std::filesystem::path> config_dirs, WatchOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  for (const std::filesystem::path& dir : config_dirs) {
    std::string path = strip_trailing_slashes(dir.string());
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return fail(Errc::kNotFound, fmt::format("config dir {} is not a directory", path));
    }
    impl->roots.push_back(std::move(path));
  }
  impl->fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (impl->fd < 0) {
    return fail(Errc::kUnavailable,
                fmt::format("inotify_init1: {} (fs.inotify.max_user_instances reached?)",
                            std::strerror(errno)));
  }
  Changes ignored;  // The caller reads the backlog itself.
  for (std::size_t root = 0; root < impl->roots.size(); ++root) {
    impl->walk_root(root, ignored);
    auto refused = impl->unwatched.find(impl->roots[root]);
    if (refused != impl->unwatched.end() && refused->second.why == Why::kError) {
      return fail(Errc::kUnavailable, fmt::format("cannot watch config dir {}: {}",
                                                  impl->roots[root], refused->second.detail));
    }
  }
  return std::unique_ptr<TranscriptWatcher>(new TranscriptWatcher(std::move(impl)));
}

int TranscriptWatcher::fd() const { return impl_->fd; }

WatchBatch TranscriptWatcher::drain() {
  Changes out;
  impl_->rescan_all = false;
  impl_->overflowed = false;
  for (int reads = 0; reads < kMaxReadsPerDrain; ++reads) {
    ssize_t n = ::read(impl_->fd, impl_->buffer.data(), impl_->buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;  // EAGAIN: nothing left. (Nothing else can fail on a valid inotify fd.)
    }
    impl_->handle_buffer(static_cast<std::size_t>(n), out);
  }
  if (impl_->overflowed) {
    // Events were lost, directories created meanwhile may lack watches: walk everything again.
    impl_->resync(out);
    impl_->rescan_all = true;
  }
  return out.take(impl_->rescan_all);
}

WatchBatch TranscriptWatcher::refresh() {
  Changes out;
  impl_->resync(out);
  return out.take(false);
}

bool TranscriptWatcher::degraded() const { return !impl_->unwatched.empty(); }

std::vector<std::filesystem::path> TranscriptWatcher::unwatched_dirs() const {
  std::vector<std::filesystem::path> dirs;
  for (const auto& [path, entry] : impl_->unwatched) {
    dirs.emplace_back(path);
  }
  return dirs;
}

std::size_t TranscriptWatcher::watch_count() const { return impl_->watches.size(); }

std::string TranscriptWatcher::status() const { return impl_->status(); }

}  // namespace ccgauge::ingest

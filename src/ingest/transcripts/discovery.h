#pragma once
// Finding Claude Code's transcript files, exactly where ccusage looks (research: ccusage.md 1.1):
// CLAUDE_CONFIG_DIR (a comma list, `~` expanded, the `projects/` directory itself accepted),
// else $XDG_CONFIG_HOME/claude and ~/.claude merged. Every `*.jsonl` under each `projects/`,
// including `<session>/subagents/agent-*.jsonl`. Symbolic links are followed, without loops.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace ccgauge::ingest {

struct Environment {
  std::string claude_config_dir;  // CLAUDE_CONFIG_DIR; empty when unset
  std::string xdg_config_home;    // XDG_CONFIG_HOME; empty when unset
  std::string home;               // HOME
  static Environment from_process();
};

// Config directories that have a `projects/` directory, in order, without duplicates.
// CLAUDE_CONFIG_DIR set but naming no valid directory is an error (as ccusage); no directory at
// all among the defaults is an empty list.
Result<std::vector<std::string>> find_config_dirs(const Environment& env);

struct TranscriptFile {
  std::string path;          // as found (under the config dir; links not resolved)
  std::string project_dir;   // the directory under projects/ (Claude's encoded cwd)
  std::string path_session;  // session id from the path: the file stem, or the session
                             // directory of a subagent file
  bool subagent = false;     // under <session>/subagents/ (or a legacy agent-*.jsonl)
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
};

struct DiscoveryProblem {
  std::string path;
  std::string reason;
};

// Lists every transcript under the config dirs' projects/, with stat data, sorted by path.
// A directory that cannot be read is reported in `problems` and skipped.
std::vector<TranscriptFile> list_transcripts(const std::vector<std::string>& config_dirs,
                                             std::vector<DiscoveryProblem>& problems);

// One session's transcripts, given the path of its main file (as the status line and hooks
// receive it): the file and its `<session>/subagents/` files. A missing file is a problem.
std::vector<TranscriptFile> session_transcripts(const std::string& path,
                                                std::vector<DiscoveryProblem>& problems);

// The given transcript files (paths under a config dir's projects/, as a watcher reports them),
// described as list_transcripts() would. A path that is gone is skipped silently (a delete
// raced the caller); another unreadable one is a problem; a path not under a `projects/`
// directory is a problem.
std::vector<TranscriptFile> describe_transcripts(const std::vector<std::string>& paths,
                                                 std::vector<DiscoveryProblem>& problems);

}  // namespace ccgauge::ingest

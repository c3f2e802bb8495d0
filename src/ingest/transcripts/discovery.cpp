#include "ingest/transcripts/discovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>

namespace ccgauge::ingest {
namespace {

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string expand_home(const std::string& path, const std::string& home) {
  if (path == "~") {
    return home;
  }
  if (path.rfind("~/", 0) == 0) {
    return home + path.substr(1);
  }
  return path;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dirname_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

void add_if_valid(std::vector<std::string>& dirs, std::string dir) {
  dir = strip_trailing_slashes(std::move(dir));
  if (basename_of(dir) == "projects" && is_directory(dir) && !is_directory(dir + "/projects")) {
    dir = dirname_of(dir);
  }
  if (!is_directory(dir + "/projects")) {
    return;
  }
  if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
    dirs.push_back(std::move(dir));
  }
}

// The identity, size and mtime cursors compare.
void set_stat(TranscriptFile& file, const struct stat& st) {
  file.device = static_cast<std::uint64_t>(st.st_dev);
  file.inode = static_cast<std::uint64_t>(st.st_ino);
  file.size = static_cast<std::int64_t>(st.st_size);
  file.mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

struct Walker {
  std::vector<TranscriptFile>& out;
  std::vector<DiscoveryProblem>& problems;
  // Directories on the current path (device, inode): a link back to one of them is a loop.
  std::set<std::pair<std::uint64_t, std::uint64_t>> visited;

  // Walks a top directory (projects/, or one project under it).
  void walk_root(const std::string& dir, std::vector<std::string>& rel) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      problems.push_back({dir, std::strerror(errno)});
      return;
    }
    auto id = std::make_pair(static_cast<std::uint64_t>(st.st_dev),
                             static_cast<std::uint64_t>(st.st_ino));
    visited.insert(id);
    walk(dir, rel);
    visited.erase(id);
  }

  // `rel` holds the components below projects/ that lead to `dir`.
  void walk(const std::string& dir, std::vector<std::string>& rel) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      problems.push_back({dir, std::strerror(errno)});
      return;
    }
    int dfd = ::dirfd(d);
    while (struct dirent* entry = ::readdir(d)) {
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) {
        continue;
      }
      std::size_t len = std::strlen(name);
      bool jsonl = len >= 6 && std::strcmp(name + len - 6, ".jsonl") == 0;
      unsigned char type = entry->d_type;
      if (type == DT_REG && !jsonl) {
        continue;  // Not a transcript: no stat needed.
      }
      std::string path = dir + "/" + name;
      if (type == DT_DIR) {
        // A real directory cannot close a loop (only links can), so it needs no stat.
        rel.emplace_back(name);
        walk(path, rel);
        rel.pop_back();
        continue;
      }
      struct stat st {};
      // fstatat without AT_SYMLINK_NOFOLLOW follows links: a linked file or directory is
      // treated as what it points to.
      if (::fstatat(dfd, name, &st, 0) != 0) {
        if (type == DT_LNK) {
          continue;  // A dangling link is not a transcript.
        }
        problems.push_back({path, std::strerror(errno)});
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        auto id = std::make_pair(static_cast<std::uint64_t>(st.st_dev),
                                 static_cast<std::uint64_t>(st.st_ino));
        if (!visited.insert(id).second) {
          continue;  // A loop, or a directory reached twice through links.
        }
        rel.emplace_back(name);
        walk(path, rel);
        rel.pop_back();
        visited.erase(id);
        continue;
      }
      if (!S_ISREG(st.st_mode) || !jsonl) {
        continue;
      }
      if (rel.empty()) {
        continue;  // A file directly in projects/ belongs to no project.
      }
      TranscriptFile file;
      file.path = std::move(path);
      file.project_dir = rel[0];
      std::string stem(name, len - 6);
      bool in_subagents = std::find(rel.begin(), rel.end(), "subagents") != rel.end();
      file.subagent = in_subagents || stem.rfind("agent-", 0) == 0;
      file.path_session = (in_subagents && rel.size() >= 2) ? rel[1] : stem;
      set_stat(file, st);
      out.push_back(std::move(file));
    }
    ::closedir(d);
  }
};

}  // namespace

Environment Environment::from_process() {
  auto get = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v != nullptr ? v : "");
  };
  return Environment{get("CLAUDE_CONFIG_DIR"), get("XDG_CONFIG_HOME"), get("HOME")};
}

Result<std::vector<std::string>> find_config_dirs(const Environment& env) {
  std::vector<std::string> dirs;
  if (!trim(env.claude_config_dir).empty()) {
    std::string list = env.claude_config_dir;
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t comma = list.find(',', start);
      std::string item =
          trim(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!item.empty()) {
        add_if_valid(dirs, expand_home(item, env.home));
      }
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
    if (dirs.empty()) {
      return fail(Errc::kNotFound,
                  fmt::format("No valid Claude data directories found in CLAUDE_CONFIG_DIR. "
                              "Expected each path to be a Claude config directory containing "
                              "'projects/', or the 'projects/' directory itself: {}",
                              env.claude_config_dir));
    }
    return dirs;
  }
  std::string xdg = !env.xdg_config_home.empty() ? env.xdg_config_home : env.home + "/.config";
  add_if_valid(dirs, xdg + "/claude");
  add_if_valid(dirs, env.home + "/.claude");
  return dirs;
}

std::vector<TranscriptFile> list_transcripts(const std::vector<std::string>& config_dirs,
                                             std::vector<DiscoveryProblem>& problems) {
  std::vector<TranscriptFile> files;
  Walker walker{files, problems, {}};
  for (const std::string& root : config_dirs) {
    std::vector<std::string> rel;
    walker.walk_root(root + "/projects", rel);
  }
  std::sort(files.begin(), files.end(),
            [](const TranscriptFile& a, const TranscriptFile& b) { return a.path < b.path; });
  // The same file reached through two config dirs or a link counts once.
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  std::erase_if(files, [&](const TranscriptFile& f) {
    return !seen.insert({f.device, f.inode}).second;
  });
  return files;
}

std::vector<TranscriptFile> session_transcripts(const std::string& path,
                                                std::vector<DiscoveryProblem>& problems) {
  std::vector<TranscriptFile> files;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    problems.push_back({path, std::strerror(errno)});
    return files;
  }
  if (!S_ISREG(st.st_mode)) {
    problems.push_back({path, "not a regular file"});
    return files;
  }
  std::string name = basename_of(path);
  std::string stem = name.size() > 6 && name.ends_with(".jsonl") ? name.substr(0, name.size() - 6)
                                                                 : name;
  std::string dir = dirname_of(path);
  TranscriptFile main;
  main.path = path;
  main.project_dir = basename_of(dir);
  main.path_session = stem;
  main.subagent = stem.rfind("agent-", 0) == 0;
  set_stat(main, st);
  files.push_back(std::move(main));
  std::string subagents = dir + "/" + stem + "/subagents";
  if (is_directory(subagents)) {
    Walker walker{files, problems, {}};
    std::vector<std::string> rel{basename_of(dir), stem, "subagents"};
    walker.walk_root(subagents, rel);
  }
  return files;
}

std::vector<TranscriptFile> describe_transcripts(const std::vector<std::string>& paths,
                                                 std::vector<DiscoveryProblem>& problems) {
  std::vector<TranscriptFile> files;
  for (const std::string& path : paths) {
    // The components below the last "projects" directory: project, [session, subagents...,]
    // file.
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
      std::size_t slash = path.find('/', start);
      if (slash == std::string::npos) {
        slash = path.size();
      }
      if (slash > start) {
        parts.emplace_back(path, start, slash - start);
      }
      start = slash + 1;
    }
    auto projects = std::find(parts.rbegin(), parts.rend(), "projects");
    if (projects == parts.rend() || projects == parts.rbegin() + 1 ||
        projects == parts.rbegin()) {
      problems.push_back({path, "not a transcript under a projects/ directory"});
      continue;
    }
    std::vector<std::string> rel(projects.base(), parts.end());  // project ... file
    const std::string& name = rel.back();
    if (!name.ends_with(".jsonl")) {
      continue;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno != ENOENT) {
        problems.push_back({path, std::strerror(errno)});
      }
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      continue;
    }
    TranscriptFile file;
    file.path = path;
    file.project_dir = rel[0];
    std::string stem = name.substr(0, name.size() - 6);
    bool in_subagents = std::find(rel.begin(), rel.end() - 1, "subagents") != rel.end() - 1;
    file.subagent = in_subagents || stem.rfind("agent-", 0) == 0;
    file.path_session = (in_subagents && rel.size() >= 3) ? rel[1] : stem;
    set_stat(file, st);
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(),
            [](const TranscriptFile& a, const TranscriptFile& b) { return a.path < b.path; });
  files.erase(std::unique(files.begin(), files.end(),
                          [](const TranscriptFile& a, const TranscriptFile& b) {
                            return a.path == b.path;
                          }),
              files.end());
  return files;
}

}  // namespace ccgauge::ingest

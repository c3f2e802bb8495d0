#include "cli/settings_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>

#include "core/json_value.h"

namespace ccgauge::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxSettingsBytes = 16 << 20;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr int kMaxSymlinkHops = 40;
constexpr int kMaxBackupsPerSecond = 100;
constexpr const char* kUnchanged = "; the file was not changed";

std::string errno_text(int error) { return std::strerror(error); }

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() may return (NFS reports write errors there).
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// The settings file as read: its tree and what is needed to write it back safely.
struct SettingsDocument {
  std::string path;  // The file edited: the target when the given path is a symlink.
  bool exists = false;
  struct stat st {};  // Of the existing file, to keep its mode and detect concurrent writes.
  std::string bytes;  // The existing file's content, for the backup.
  bool bom = false;
  JsonValue root = JsonValue::object();
};

// Follows symlinks at `path` so that an edit replaces the file they point to, not the link.
Result<std::string> resolve_symlinks(const std::string& path) {
  std::string current = path;
  for (int hop = 0; hop < kMaxSymlinkHops; ++hop) {
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      if (hop == 0) {
        return current;
      }
      // "~/.claude/../dotfiles/settings.json" reads better without the "..", and only the
      // kernel's resolution (not a lexical one) is right when a directory is a link too.
      std::error_code ec;
      fs::path canonical = fs::weakly_canonical(current, ec);
      return ec ? current : canonical.string();
    }
    std::error_code ec;
    fs::path target = fs::read_symlink(current, ec);
    if (ec) {
      return fail(Errc::kIo, fmt::format("cannot read the symlink {}: {}", current, ec.message()));
    }
    current = target.is_absolute() ? target.string()
                                   : (fs::path(current).parent_path() / target).string();
  }
  return fail(Errc::kIo, fmt::format("{}: too many levels of symbolic links", path));
}

Result<std::string> read_all(int fd, const std::string& path) {
  std::string bytes;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail(Errc::kIo, fmt::format("cannot read {}: {}", path, errno_text(errno)));
    }
    if (n == 0) {
      return bytes;
    }
    bytes.append(buf, static_cast<std::size_t>(n));
    if (bytes.size() > kMaxSettingsBytes) {
      return fail(Errc::kInvalidInput, fmt::format("{} is larger than {} MiB{}", path,
                                                   kMaxSettingsBytes >> 20, kUnchanged));
    }
  }
}

Status parse_into(SettingsDocument& doc) {
  std::string_view text = doc.bytes;
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    doc.bom = true;
    text.remove_prefix(kUtf8Bom.size());
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    doc.root = JsonValue::object();  // An empty file counts as {}.
    return {};
  }
  Result<JsonValue> root = JsonValue::parse(text);
  if (!root) {
    return fail(Errc::kInvalidInput,
                fmt::format("{}: {}{}", doc.path, root.error().message, kUnchanged));
  }
  if (!root->is_object()) {
    return fail(Errc::kInvalidInput,
                fmt::format("{}: the top level is {}, expected an object{}", doc.path,
                            JsonValue::type_name(root->type()), kUnchanged));
  }
  doc.root = std::move(*root);
  return {};
}

// Reads and parses the settings file. A missing file is a document with exists = false and {}.
Result<SettingsDocument> load_settings(const std::string& path) {
  SettingsDocument doc;
  Result<std::string> resolved = resolve_symlinks(path);
  if (!resolved) {
    return tl::unexpected(resolved.error());
  }
  doc.path = std::move(*resolved);
  Fd fd(::open(doc.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return doc;
    }
    return fail(Errc::kIo, fmt::format("cannot open {}: {}", doc.path, errno_text(errno)));
  }
  if (::fstat(fd.get(), &doc.st) != 0) {
    return fail(Errc::kIo, fmt::format("cannot stat {}: {}", doc.path, errno_text(errno)));
  }
  if (!S_ISREG(doc.st.st_mode)) {
    return fail(Errc::kInvalidInput, fmt::format("{} is not a regular file", doc.path));
  }
  doc.exists = true;
  Result<std::string> bytes = read_all(fd.get(), doc.path);
  if (!bytes) {
    return tl::unexpected(bytes.error());
  }
  doc.bytes = std::move(*bytes);
  if (Status parsed = parse_into(doc); !parsed) {
    return tl::unexpected(parsed.error());
  }
  return doc;
}

// The member `key` of the settings object when it is an object; nullptr when absent; an error
// when it has another type.
Result<JsonValue*> object_member(const SettingsDocument& doc, JsonValue& parent,
                                 std::string_view key, std::string_view display_name) {
  JsonValue* member = parent.find(key);
  if (member == nullptr || member->is_object()) {
    return member;
  }
  return fail(Errc::kInvalidInput,
              fmt::format("{}: \"{}\" is {}, expected an object{}", doc.path, display_name,
                          JsonValue::type_name(member->type()), kUnchanged));
}

Status write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail(Errc::kIo, fmt::format("cannot write {}: {}", path, errno_text(errno)));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Writes, fsyncs and closes an already opened new file.
Status finish_file(Fd& fd, std::string_view bytes, const std::string& path) {
  if (Status ok = write_all(fd.get(), bytes, path); !ok) {
    return ok;
  }
  if (::fsync(fd.get()) != 0 || fd.close() != 0) {
    return fail(Errc::kIo, fmt::format("cannot write {}: {}", path, errno_text(errno)));
  }
  return {};
}

std::string utc_stamp() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Copies the file's content as read to a new backup file next to it; returns the backup's path.
Result<std::string> make_backup(const SettingsDocument& doc) {
  std::string base = fmt::format("{}.ccgauge-backup-{}", doc.path, utc_stamp());
  for (int attempt = 1; attempt <= kMaxBackupsPerSecond; ++attempt) {
    std::string backup = attempt == 1 ? base : fmt::format("{}-{}", base, attempt);
    Fd fd(::open(backup.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0 && errno == EEXIST) {
      continue;
    }
    if (fd.get() < 0) {
      return fail(Errc::kIo, fmt::format("cannot create the backup {}: {}{}", backup,
                                         errno_text(errno), kUnchanged));
    }
    // The backup may hold secrets (settings "env"), so it is never more readable than the file.
    ::fchmod(fd.get(), doc.st.st_mode & 0777);
    if (Status ok = finish_file(fd, doc.bytes, backup); !ok) {
      ::unlink(backup.c_str());
      return tl::unexpected(Error{ok.error().code, ok.error().message + kUnchanged});
    }
    return backup;
  }
  return fail(Errc::kIo, fmt::format("cannot create a backup of {}: too many backups this second{}",
                                     doc.path, kUnchanged));
}

// Whether the file on disk is still the one load_settings read (or still absent).
bool unchanged_on_disk(const SettingsDocument& doc) {
  struct stat now {};
  if (::stat(doc.path.c_str(), &now) != 0) {
    return !doc.exists && errno == ENOENT;
  }
  return doc.exists && now.st_dev == doc.st.st_dev && now.st_ino == doc.st.st_ino &&
         now.st_size == doc.st.st_size && now.st_mtim.tv_sec == doc.st.st_mtim.tv_sec &&
         now.st_mtim.tv_nsec == doc.st.st_mtim.tv_nsec;
}

// Opens a new temporary file in `dir` with the mode the settings file has (or the usual mode of a
// new file, 0666 less the umask).
Result<std::pair<std::string, int>> open_temp(const SettingsDocument& doc, const fs::path& dir) {
  std::string name = fs::path(doc.path).filename().string();
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string temp =
        (dir / fmt::format(".{}.ccgauge-tmp-{}-{}", name, ::getpid(), attempt)).string();
    int fd =
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, doc.exists ? 0600 : 0666);
    if (fd < 0 && errno == EEXIST) {
      continue;
    }
    if (fd < 0) {
      return fail(Errc::kIo, fmt::format("cannot create a temporary file in {}: {}{}", dir.string(),
                                         errno_text(errno), kUnchanged));
    }
    if (doc.exists) {
      ::fchmod(fd, doc.st.st_mode & 07777);
      if (doc.st.st_uid != ::geteuid() || doc.st.st_gid != ::getegid()) {
        // Best effort: only root may give the file back to its owner.
        [[maybe_unused]] int ignored = ::fchown(fd, doc.st.st_uid, doc.st.st_gid);
      }
    }
    return std::pair{temp, fd};
  }
  return fail(Errc::kIo,
              fmt::format("cannot create a temporary file in {}{}", dir.string(), kUnchanged));
}

void fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) {
    ::fsync(fd.get());
  }
}

// Backs up the existing file, then replaces it atomically with the serialized tree. Returns the
// backup's path ("" when the file did not exist).
Result<std::string> write_settings(const SettingsDocument& doc) {
  fs::path dir = fs::path(doc.path).parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return fail(Errc::kIo,
                fmt::format("cannot create {}: {}{}", dir.string(), ec.message(), kUnchanged));
  }
  std::string backup;
  if (doc.exists) {
    Result<std::string> made = make_backup(doc);
    if (!made) {
      return made;
    }
    backup = std::move(*made);
  }
  Result<std::pair<std::string, int>> temp = open_temp(doc, dir);
  if (!temp) {
    return tl::unexpected(temp.error());
  }
  const std::string& temp_path = temp->first;
  Fd fd(temp->second);
  std::string text = (doc.bom ? std::string(kUtf8Bom) : std::string()) + doc.root.dump();
  Status written = finish_file(fd, text, temp_path);
  if (written && !unchanged_on_disk(doc)) {
    written = fail(Errc::kUnavailable,
                   fmt::format("{} changed while ccgauge was editing it (is Claude Code writing "
                               "it?); try again",
                               doc.path));
  }
  if (written && ::rename(temp_path.c_str(), doc.path.c_str()) != 0) {
    written = fail(Errc::kIo, fmt::format("cannot replace {}: {}", doc.path, errno_text(errno)));
  }
  if (!written) {
    ::unlink(temp_path.c_str());
    return tl::unexpected(Error{written.error().code, written.error().message + kUnchanged});
  }
  fsync_dir(dir);
  return backup;
}

// What an edit did to the tree.
struct EditOutcome {
  bool changed = false;
  std::string message;
};

enum class WhenMissing { kCreate, kNothingToDo };

// Loads the file, applies `edit` to its tree, and writes it back if the edit changed it.
template <class EditFn>
Result<SettingsChange> edit_settings(const std::string& path, WhenMissing when_missing,
                                     EditFn&& edit) {
  Result<SettingsDocument> doc = load_settings(path);
  if (!doc) {
    return tl::unexpected(doc.error());
  }
  if (!doc->exists && when_missing == WhenMissing::kNothingToDo) {
    return SettingsChange{false, fmt::format("nothing to do: {} does not exist", doc->path), ""};
  }
  Result<EditOutcome> outcome = edit(*doc);
  if (!outcome) {
    return tl::unexpected(outcome.error());
  }
  SettingsChange change{outcome->changed, std::move(outcome->message), ""};
  if (!change.changed) {
    return change;
  }
  Result<std::string> backup = write_settings(*doc);
  if (!backup) {
    return tl::unexpected(backup.error());
  }
  change.backup_path = std::move(*backup);
  if (!change.backup_path.empty()) {
    change.message += fmt::format(" (previous file saved as {})", change.backup_path);
  }
  return change;
}

// A note for installs into a file that switches hooks and the status line off.
std::string disabled_note(const JsonValue& root) {
  const JsonValue* disabled = root.find("disableAllHooks");
  if (disabled != nullptr && disabled->is_bool() && disabled->as_bool()) {
    return "; note: \"disableAllHooks\" is true in this file, so Claude Code will not run it";
  }
  return "";
}

std::string string_member(const JsonValue& object, std::string_view key) {
  const JsonValue* value = object.find(key);
  return value != nullptr && value->is_string() ? value->as_string() : std::string();
}

JsonValue status_line_value(const std::string& command) {
  return JsonValue(JsonValue::Object{{"type", "command"}, {"command", command}, {"padding", 0}});
}

// --- Hooks ------------------------------------------------------------------------------------

// The command of a hook handler, when it is a command handler.
std::optional<std::string> handler_command(const JsonValue& handler) {
  if (!handler.is_object() || string_member(handler, "type") != "command") {
    return std::nullopt;
  }
  const JsonValue* command = handler.find("command");
  if (command == nullptr || !command->is_string()) {
    return std::nullopt;
  }
  return command->as_string();
}

// The handler list of a matcher group, or nullptr when the group is not shaped as one.
JsonValue* group_handlers(JsonValue& group) {
  if (!group.is_object()) {
    return nullptr;
  }
  JsonValue* handlers = group.find("hooks");
  return handlers != nullptr && handlers->is_array() ? handlers : nullptr;
}

// Calls fn(handler) for every handler of every well-formed matcher group of an event's array.
template <class Fn>
void for_each_handler(JsonValue& groups, Fn&& fn) {
  for (JsonValue& group : groups.items()) {
    if (JsonValue* handlers = group_handlers(group)) {
      for (JsonValue& handler : handlers->items()) {
        fn(handler);
      }
    }
  }
}

// The `hooks` object (nullptr when absent), with every event value checked to be an array.
Result<JsonValue*> hooks_member(SettingsDocument& doc) {
  Result<JsonValue*> hooks = object_member(doc, doc.root, "hooks", "hooks");
  if (!hooks || *hooks == nullptr) {
    return hooks;
  }
  for (const auto& [event, groups] : (*hooks)->members()) {
    if (!groups.is_array()) {
      return fail(Errc::kInvalidInput,
                  fmt::format("{}: \"hooks.{}\" is {}, expected an array{}", doc.path, event,
                              JsonValue::type_name(groups.type()), kUnchanged));
    }
  }
  return hooks;
}

JsonValue hook_group(std::string_view event, const std::string& command,
                     const HookOptions& options) {
  JsonValue handler(JsonValue::Object{{"type", "command"}, {"command", command}});
  handler.set("timeout", options.timeout_s);
  if (options.async) {
    handler.set("async", true);
  }
  JsonValue group = JsonValue::object();
  if (is_tool_hook_event(event)) {
    group.set("matcher", "*");
  }
  group.set("hooks", JsonValue(JsonValue::Array{std::move(handler)}));
  return group;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    out += out.empty() ? name : ", " + name;
  }
  return out;
}

Status check_events(const std::vector<std::string>& events) {
  if (events.empty()) {
    return fail(Errc::kInvalidInput, "no hook events given");
  }
  for (const std::string& event : events) {
    const std::vector<std::string>& known = known_hook_events();
    if (std::find(known.begin(), known.end(), event) == known.end()) {
      return fail(Errc::kInvalidInput,
                  fmt::format("unknown hook event \"{}\" (known: {})", event, join(known)));
    }
  }
  return {};
}

// Removes the handlers `is_ours` matches from one event's groups; a group this empties goes too.
// Returns how many handlers were removed.
int remove_our_handlers(JsonValue& groups, const CommandMatcher& is_ours) {
  int removed = 0;
  JsonValue::Array& items = groups.items();
  for (auto group = items.begin(); group != items.end();) {
    JsonValue* handlers = group_handlers(*group);
    if (handlers == nullptr) {
      ++group;
      continue;
    }
    JsonValue::Array& list = handlers->items();
    auto old_size = list.size();
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const JsonValue& handler) {
                                std::optional<std::string> command = handler_command(handler);
                                return command && is_ours(*command);
                              }),
               list.end());
    removed += static_cast<int>(old_size - list.size());
    group = list.empty() && old_size > 0 ? items.erase(group) : group + 1;
  }
  return removed;
}

}  // namespace

CommandMatcher matches_exactly(std::string command) {
  return
      [command = std::move(command)](std::string_view candidate) { return candidate == command; };
}

bool is_ccgauge_status_line_command(std::string_view command) {
  return command.find("ccgauge") != std::string_view::npos &&
         command.find(" statusline") != std::string_view::npos;
}

Result<SettingsChange> install_status_line(const std::string& path, const std::string& command) {
  return edit_settings(
      path, WhenMissing::kCreate, [&](SettingsDocument& doc) -> Result<EditOutcome> {
        Result<JsonValue*> existing = object_member(doc, doc.root, "statusLine", "statusLine");
        if (!existing) {
          return tl::unexpected(existing.error());
        }
        std::string note = disabled_note(doc.root);
        if (*existing == nullptr) {
          doc.root.set("statusLine", status_line_value(command));
          return EditOutcome{true,
                             fmt::format("installed the status line in {}{}", doc.path, note)};
        }
        JsonValue& status_line = **existing;
        std::string old_command = string_member(status_line, "command");
        if (string_member(status_line, "type") == "command" && old_command == command) {
          return EditOutcome{
              false, fmt::format("the status line is already installed in {}{}", doc.path, note)};
        }
        if (is_ccgauge_status_line_command(old_command)) {
          // Our own, from another install path: keep the user's padding or refresh settings.
          status_line.set("type", "command");
          status_line.set("command", command);
          return EditOutcome{true, fmt::format("updated the status line command in {} (was "
                                               "\"{}\"){}",
                                               doc.path, old_command, note)};
        }
        doc.root.set("statusLine", status_line_value(command));
        return EditOutcome{true,
                           fmt::format("replaced the status line in {} (it ran \"{}\"){}", doc.path,
                                       old_command.empty() ? "nothing" : old_command, note)};
      });
}

Result<SettingsChange> uninstall_status_line(const std::string& path,
                                             const CommandMatcher& is_ours) {
  return edit_settings(
      path, WhenMissing::kNothingToDo, [&](SettingsDocument& doc) -> Result<EditOutcome> {
        Result<JsonValue*> existing = object_member(doc, doc.root, "statusLine", "statusLine");
        if (!existing) {
          return tl::unexpected(existing.error());
        }
        if (*existing == nullptr) {
          return EditOutcome{false,
                             fmt::format("nothing to do: no status line is set in {}", doc.path)};
        }
        std::string command = string_member(**existing, "command");
        if (!is_ours(command)) {
          return EditOutcome{
              false, fmt::format("left the status line in {} alone: it runs \"{}\", not ccgauge",
                                 doc.path, command)};
        }
        doc.root.erase("statusLine");
        return EditOutcome{true, fmt::format("removed the status line from {}", doc.path)};
      });
}

const std::vector<std::string>& known_hook_events() {
  static const std::vector<std::string> kEvents = {
      "PreToolUse",          "PostToolUse",      "PostToolUseFailure", "PostToolBatch",
      "PermissionRequest",   "PermissionDenied", "Notification",       "UserPromptSubmit",
      "UserPromptExpansion", "SessionStart",     "SessionEnd",         "Stop",
      "StopFailure",         "SubagentStart",    "SubagentStop",       "PreCompact",
      "PostCompact",         "PreModelSwitch",   "PostModelSwitch",    "Setup",
      "TeammateIdle",        "TaskCreated",      "TaskCompleted",      "Elicitation",
      "ElicitationResult",   "ConfigChange",     "WorktreeCreate",     "WorktreeRemove",
      "InstructionsLoaded",  "CwdChanged",       "FileChanged",        "DirectoryAdded",
      "MessageDisplay"};
  return kEvents;
}

bool is_tool_hook_event(std::string_view event) {
  return event == "PreToolUse" || event == "PostToolUse" || event == "PostToolUseFailure" ||
         event == "PermissionRequest" || event == "PermissionDenied";
}

Result<SettingsChange> install_hooks(const std::string& path, const std::string& command,
                                     const std::vector<std::string>& events,
                                     const HookOptions& options) {
  if (Status ok = check_events(events); !ok) {
    return tl::unexpected(ok.error());
  }
  return edit_settings(
      path, WhenMissing::kCreate, [&](SettingsDocument& doc) -> Result<EditOutcome> {
        Result<JsonValue*> existing = hooks_member(doc);
        if (!existing) {
          return tl::unexpected(existing.error());
        }
        JsonValue hooks = *existing != nullptr ? **existing : JsonValue::object();
        std::vector<std::string> added;
        for (const std::string& event : events) {
          if (hooks.find(event) == nullptr) {
            hooks.set(event, JsonValue::array());
          }
          JsonValue& groups = *hooks.find(event);
          bool present = false;
          for_each_handler(groups, [&](const JsonValue& handler) {
            present = present || handler_command(handler) == command;
          });
          if (!present) {
            groups.items().push_back(hook_group(event, command, options));
            added.push_back(event);
          }
        }
        std::string note = disabled_note(doc.root);
        if (added.empty()) {
          return EditOutcome{false, fmt::format("the hooks are already installed in {} ({}){}",
                                                doc.path, join(events), note)};
        }
        doc.root.set("hooks", std::move(hooks));
        return EditOutcome{
            true, fmt::format("installed hooks in {} for {}{}", doc.path, join(added), note)};
      });
}

Result<SettingsChange> uninstall_hooks(const std::string& path, const CommandMatcher& is_ours) {
  return edit_settings(
      path, WhenMissing::kNothingToDo, [&](SettingsDocument& doc) -> Result<EditOutcome> {
        Result<JsonValue*> existing = hooks_member(doc);
        if (!existing) {
          return tl::unexpected(existing.error());
        }
        if (*existing == nullptr) {
          return EditOutcome{false, fmt::format("nothing to do: no hooks are set in {}", doc.path)};
        }
        JsonValue& hooks = **existing;
        std::vector<std::string> events;
        JsonValue::Object& members = hooks.members();
        for (auto member = members.begin(); member != members.end();) {
          JsonValue& groups = member->second;
          bool had_groups = !groups.items().empty();
          if (remove_our_handlers(groups, is_ours) > 0) {
            events.push_back(member->first);
          }
          member = had_groups && groups.items().empty() ? members.erase(member) : member + 1;
        }
        if (events.empty()) {
          return EditOutcome{false, fmt::format("nothing to do: no ccgauge hooks in {}", doc.path)};
        }
        if (members.empty()) {
          doc.root.erase("hooks");
        }
        return EditOutcome{true,
                           fmt::format("removed the hooks from {} for {}", doc.path, join(events))};
      });
}

Result<std::vector<HookEventStatus>> hooks_status(const std::string& path,
                                                  const CommandMatcher& is_ours,
                                                  const std::vector<std::string>& events) {
  std::vector<HookEventStatus> status;
  for (const std::string& event : events) {
    status.push_back(HookEventStatus{event, false, 0});
  }
  Result<SettingsDocument> doc = load_settings(path);
  if (!doc) {
    return tl::unexpected(doc.error());
  }
  Result<JsonValue*> hooks = hooks_member(*doc);
  if (!hooks) {
    return tl::unexpected(hooks.error());
  }
  if (*hooks == nullptr) {
    return status;
  }
  for (auto& [event, groups] : (*hooks)->members()) {
    HookEventStatus counted{event, false, 0};
    for_each_handler(groups, [&](const JsonValue& handler) {
      std::optional<std::string> command = handler_command(handler);
      if (command && is_ours(*command)) {
        counted.installed = true;
      } else {
        ++counted.other_handlers;
      }
    });
    auto requested = std::find_if(status.begin(), status.begin() + events.size(),
                                  [&](const HookEventStatus& s) { return s.event == event; });
    if (requested != status.begin() + events.size()) {
      requested->installed = requested->installed || counted.installed;
      requested->other_handlers += counted.other_handlers;
    } else if (counted.installed) {
      status.push_back(std::move(counted));
    }
  }
  return status;
}

}  // namespace ccgauge::cli

#pragma once
// Safe edits of a Claude Code settings file (`~/.claude/settings.json`,
// `<project>/.claude/settings.json`, ...; research: telemetry.md 3.1, 3.2, 4.1): installing and
// removing ccgauge's status line and hooks without disturbing anything else in the file.
//
// Every operation reads the file, changes only ccgauge's own entries, and writes the file only
// when something changed. Guarantees:
//   - Other keys keep their order and values; numbers keep their exact text. The file is written
//     back as Claude Code writes it: two-space indentation and a trailing newline (a UTF-8 byte
//     order mark, if the file had one, is kept).
//   - Before a write, the existing file is copied next to it as
//     `<name>.ccgauge-backup-<YYYYmmddTHHMMSSZ>` (UTC; "-2", "-3" ... appended when that name is
//     taken), with the file's mode.
//   - The new content goes to a temporary file in the same directory, is fsynced and renamed over
//     the original (atomic: a reader sees the old file or the new one, never a torn one), with the
//     original's mode (and owner, when permitted). A symlinked settings file is edited at its
//     target; the link stays.
//   - A file that is not valid JSON, whose top level is not an object, or whose `statusLine` or
//     `hooks` has the wrong shape, is an error naming the file (and, for bad JSON, line and
//     column). Nothing is written and no backup is made.
//   - An empty (or whitespace-only) file counts as `{}`. Installs create a missing file and its
//     missing parent directories; removals and status on a missing file change nothing.
//   - If the file changes between our read and our rename (Claude Code writing it at that
//     moment), the edit is abandoned with an error rather than losing that write.
// Not thread-safe across calls on the same path; meant for one-shot CLI commands.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ccgauge::cli {

// What an operation did.
struct SettingsChange {
  bool changed = false;     // True when the file was written.
  std::string message;      // One line for the user, e.g. "installed the status line in <path>".
  std::string backup_path;  // The copy made before writing; empty when none was made.
};

// Decides whether a configured command is ccgauge's.
using CommandMatcher = std::function<bool(std::string_view command)>;

// Matches exactly `command`.
CommandMatcher matches_exactly(std::string command);

// ccgauge's status line: the command mentions "ccgauge" and " statusline".
bool is_ccgauge_status_line_command(std::string_view command);

// --- Status line ------------------------------------------------------------------------------

// Sets `"statusLine": {"type": "command", "command": <command>, "padding": 0}`, in place of an
// existing statusLine or appended as the last key.
// - Already installed (type "command" with this exact command): no write, changed = false. Other
//   fields the user set on it (padding, refreshInterval) are respected.
// - Another status line is configured: it is replaced; the message names the old command, and the
//   backup holds it.
Result<SettingsChange> install_status_line(const std::string& path, const std::string& command);

// Removes `statusLine` when its command satisfies `is_ours`. A status line that is not ours is
// left alone and the message says whose it is; no file or no statusLine: nothing to do.
Result<SettingsChange> uninstall_status_line(
    const std::string& path, const CommandMatcher& is_ours = is_ccgauge_status_line_command);

// --- Hooks ------------------------------------------------------------------------------------

struct HookOptions {
  int timeout_s = 10;  // The handler's "timeout" (Claude Code's unit is seconds).
  bool async = false;  // Adds "async": true (Claude Code runs it in the background).
};

// The hook events Claude Code knows (SDK 0.3.330 HOOK_EVENTS, telemetry.md 3.3), in that order.
const std::vector<std::string>& known_hook_events();

// Whether the event's matcher filters on tool names (PreToolUse, PostToolUse,
// PostToolUseFailure, PermissionRequest, PermissionDenied). Only these get `"matcher": "*"`.
bool is_tool_hook_event(std::string_view event);

// For each event, appends the matcher group
//   {"matcher": "*", "hooks": [{"type": "command", "command": <command>, "timeout": <n>}]}
// ("matcher" only for tool events; "async": true when asked) to `hooks.<event>`, unless a command
// handler with exactly this command is already configured on that event. Other handlers on the
// same events are untouched. An event name Claude Code does not know is an error (Claude Code may
// reject a settings file over it) and nothing is written. No event missing ours: no write.
Result<SettingsChange> install_hooks(const std::string& path, const std::string& command,
                                     const std::vector<std::string>& events,
                                     const HookOptions& options = {});

// Removes every command handler whose command satisfies `is_ours`, from every event. A matcher
// group this leaves without handlers is removed, then an event left without groups, then `hooks`
// when it is left empty; groups and events that were already empty stay. Nothing of ours: no write.
Result<SettingsChange> uninstall_hooks(const std::string& path, const CommandMatcher& is_ours);

struct HookEventStatus {
  std::string event;
  bool installed = false;  // One of ours is configured on the event.
  int other_handlers = 0;  // Handlers on the event that are not ours.
};

// One entry per event in `events`, in that order, then one for each other event of the file that
// has one of ours. A missing file reports nothing installed.
Result<std::vector<HookEventStatus>> hooks_status(const std::string& path,
                                                  const CommandMatcher& is_ours,
                                                  const std::vector<std::string>& events);

}  // namespace ccgauge::cli

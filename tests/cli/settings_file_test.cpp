#include "cli/settings_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/json_value.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge::cli {
namespace {

namespace fs = std::filesystem;
using ccgauge::testing::slurp;
using ccgauge::testing::TempDir;
using ccgauge::testing::write_file;

constexpr const char* kCommand = "/home/u/.local/bin/ccgauge statusline";
constexpr const char* kHookCommand = "/home/u/.local/bin/ccgauge hook";

// A settings file as Claude Code writes it, with many keys of every kind and no statusLine.
constexpr const char* kRichSettings = R"json({
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "opus",
  "env": {
    "BIG": "12345678901234",
    "CLAUDE_CODE_ENABLE_TELEMETRY": "1"
  },
  "permissions": {
    "allow": [
      "Bash(npm run lint)",
      "Read(~/.zshrc)"
    ],
    "deny": [],
    "defaultMode": "acceptEdits"
  },
  "cleanupPeriodDays": 12345678901234,
  "ratio": 1.50,
  "includeCoAuthoredBy": false,
  "apiKeyHelper": null,
  "greeting": "caf\u00e9 \ud83d\ude00 \"q\" \\ é",
  "hooks": {
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send done"
          }
        ]
      }
    ]
  },
  "zz_last": [
    [
      1,
      2
    ],
    {}
  ]
}
)json";

JsonValue parse(const std::string& text) {
  Result<JsonValue> value = JsonValue::parse(text);
  EXPECT_TRUE(value) << value.error().message;
  return value ? *value : JsonValue();
}

class SettingsFileTest : public ::testing::Test {
 protected:
  std::string settings_path() const { return dir_ / ".claude/settings.json"; }
  std::string read() const { return slurp(settings_path()); }
  JsonValue tree() const { return parse(read()); }
  void write(const std::string& text) const { write_file(settings_path(), text); }

  // Every file in the settings directory but the settings file itself.
  std::vector<std::string> other_files() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(settings_path()).parent_path(), ec)) {
      if (entry.path().filename() != "settings.json") {
        names.push_back(entry.path().filename().string());
      }
    }
    return names;
  }

  std::vector<std::string> backups() const {
    std::vector<std::string> names;
    for (const std::string& name : other_files()) {
      if (name.rfind("settings.json.ccgauge-backup-", 0) == 0) {
        names.push_back(name);
      }
    }
    return names;
  }

  struct stat stat_of(const std::string& path) const {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st;
  }

  // Moves the file's mtime into the past, so that a rewrite would show.
  void age_file() const {
    struct timespec times[2] = {{946684800, 0}, {946684800, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, settings_path().c_str(), times, 0), 0);
  }

  TempDir dir_;
};

std::string our_status_line_text(const std::string& indent_close) {
  return "\"statusLine\": {\n    \"type\": \"command\",\n    \"command\": \"" +
         std::string(kCommand) + "\",\n    \"padding\": 0\n" + indent_close + "}";
}

// --- Status line ------------------------------------------------------------------------------

TEST_F(SettingsFileTest, InstallCreatesAMissingFileAndItsDirectory) {
  ASSERT_FALSE(fs::exists(fs::path(settings_path()).parent_path()));
  Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_TRUE(change->changed);
  EXPECT_EQ(change->backup_path, "");
  EXPECT_EQ(change->message, "installed the status line in " + settings_path());
  EXPECT_EQ(read(), "{\n  " + our_status_line_text("  ") + "\n}\n");
  EXPECT_TRUE(other_files().empty());  // No backup, no temporary file left.
}

TEST_F(SettingsFileTest, AnEmptyFileCountsAsAnEmptyObject) {
  for (const char* empty : {"", " \n\t\n"}) {
    write(empty);
    Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
    ASSERT_TRUE(change) << change.error().message;
    EXPECT_TRUE(change->changed);
    EXPECT_EQ(read(), "{\n  " + our_status_line_text("  ") + "\n}\n");
    ASSERT_FALSE(change->backup_path.empty());
    EXPECT_EQ(slurp(change->backup_path), empty);
    fs::remove(change->backup_path);
  }
}

TEST_F(SettingsFileTest, InstallKeepsEveryOtherKeyByteForByte) {
  write(kRichSettings);
  JsonValue before = tree();
  Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_TRUE(change->changed);

  // The text up to the closing brace is untouched; ours is appended as the last key.
  std::string original = kRichSettings;
  std::string kept = original.substr(0, original.size() - 3);  // Without "\n}\n".
  EXPECT_EQ(read(), kept + ",\n  " + our_status_line_text("  ") + "\n}\n");
  // The same seen as trees: every other member equal and in the same order.
  JsonValue after = tree();
  ASSERT_EQ(after.members().size(), before.members().size() + 1);
  for (std::size_t i = 0; i < before.members().size(); ++i) {
    EXPECT_EQ(after.members()[i].first, before.members()[i].first);
    EXPECT_EQ(after.members()[i].second, before.members()[i].second) << before.members()[i].first;
  }
  EXPECT_EQ(after.find("cleanupPeriodDays")->number_text(), "12345678901234");
  EXPECT_EQ(after.find("ratio")->number_text(), "1.50");
  EXPECT_EQ(after.find("greeting")->as_string(), "café 😀 \"q\" \\ é");
  // The backup is the file as it was.
  EXPECT_EQ(slurp(change->backup_path), kRichSettings);
  EXPECT_EQ(backups().size(), 1u);
}

TEST_F(SettingsFileTest, SecondInstallWritesNothing) {
  write(kRichSettings);
  ASSERT_TRUE(install_status_line(settings_path(), kCommand));
  std::string installed = read();
  age_file();
  struct stat before = stat_of(settings_path());

  Result<SettingsChange> again = install_status_line(settings_path(), kCommand);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->backup_path, "");
  EXPECT_EQ(again->message, "the status line is already installed in " + settings_path());
  struct stat after = stat_of(settings_path());
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(read(), installed);
  EXPECT_EQ(backups().size(), 1u);  // Only the first install's.
}

TEST_F(SettingsFileTest, AlreadyInstalledRespectsTheUsersFieldsOnIt) {
  write(R"({"statusLine":{"type":"command","command":")" + std::string(kCommand) +
        R"(","padding":2,"refreshInterval":5}})");
  Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
  ASSERT_TRUE(change);
  EXPECT_FALSE(change->changed);
  EXPECT_TRUE(backups().empty());
}

TEST_F(SettingsFileTest, InstallReplacesAForeignStatusLineInPlace) {
  const std::string original = R"({
  "model": "sonnet",
  "statusLine": {
    "type": "command",
    "command": "~/.claude/statusline.sh",
    "padding": 2,
    "refreshInterval": 5
  },
  "theme": "dark"
}
)";
  write(original);
  Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_TRUE(change->changed);
  EXPECT_NE(change->message.find("replaced the status line"), std::string::npos);
  EXPECT_NE(change->message.find("~/.claude/statusline.sh"), std::string::npos);
  EXPECT_NE(change->message.find(change->backup_path), std::string::npos);
  EXPECT_EQ(read(), "{\n  \"model\": \"sonnet\",\n  " + our_status_line_text("  ") +
                        ",\n  \"theme\": \"dark\"\n}\n");
  // The backup holds the old status line.
  EXPECT_EQ(slurp(change->backup_path), original);
  JsonValue old = parse(slurp(change->backup_path));
  EXPECT_EQ(old.find("statusLine")->find("command")->as_string(), "~/.claude/statusline.sh");
}

TEST_F(SettingsFileTest, InstallUpdatesAnOlderCcgaugeStatusLineKeepingItsSettings) {
  write(R"({"statusLine":{"type":"command","command":"/opt/old/ccgauge statusline","padding":1,
            "refreshInterval":10}})");
  Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_TRUE(change->changed);
  EXPECT_NE(change->message.find("/opt/old/ccgauge statusline"), std::string::npos);
  JsonValue status_line = *tree().find("statusLine");
  EXPECT_EQ(status_line.find("command")->as_string(), kCommand);
  EXPECT_EQ(status_line.find("padding")->to_int64(), 1);
  EXPECT_EQ(status_line.find("refreshInterval")->to_int64(), 10);
}

TEST_F(SettingsFileTest, InstallThenUninstallGivesBackTheSameTree) {
  write(kRichSettings);
  ASSERT_TRUE(install_status_line(settings_path(), kCommand));
  Result<SettingsChange> removed = uninstall_status_line(settings_path());
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_TRUE(removed->changed);
  EXPECT_EQ(removed->message.rfind("removed the status line from " + settings_path(), 0), 0u);
  EXPECT_EQ(read(), kRichSettings);
  EXPECT_EQ(backups().size(), 2u);
}

TEST_F(SettingsFileTest, UninstallLeavesAForeignStatusLineAlone) {
  const std::string original = R"({"statusLine":{"type":"command","command":"starship prompt"}})";
  write(original);
  age_file();
  Result<SettingsChange> change = uninstall_status_line(settings_path());
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_FALSE(change->changed);
  EXPECT_EQ(change->message, "left the status line in " + settings_path() +
                                 " alone: it runs \"starship prompt\", not ccgauge");
  EXPECT_EQ(read(), original);
  EXPECT_EQ(stat_of(settings_path()).st_mtim.tv_sec, 946684800);
  EXPECT_TRUE(backups().empty());
  // "ccgauge" alone is not enough: it must be ccgauge's statusline command.
  write(R"({"statusLine":{"type":"command","command":"ccgauge-wrapper.sh"}})");
  ASSERT_TRUE(uninstall_status_line(settings_path()));
  EXPECT_NE(tree().find("statusLine"), nullptr);
}

TEST_F(SettingsFileTest, UninstallWithoutFileOrStatusLineDoesNothing) {
  Result<SettingsChange> missing = uninstall_status_line(settings_path());
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_FALSE(missing->changed);
  EXPECT_EQ(missing->message, "nothing to do: " + settings_path() + " does not exist");
  EXPECT_FALSE(fs::exists(fs::path(settings_path()).parent_path()));
  write(R"({"model":"opus"})");
  Result<SettingsChange> none = uninstall_status_line(settings_path());
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->changed);
  EXPECT_EQ(read(), R"({"model":"opus"})");
}

TEST_F(SettingsFileTest, UninstallUsesTheGivenMatcher) {
  write(R"({"statusLine":{"type":"command","command":"my-line"}})");
  Result<SettingsChange> change =
      uninstall_status_line(settings_path(), matches_exactly("my-line"));
  ASSERT_TRUE(change);
  EXPECT_TRUE(change->changed);
  EXPECT_EQ(tree().find("statusLine"), nullptr);
}

// --- Bad files --------------------------------------------------------------------------------

enum class Breaks { kEverything, kStatusLineOnly, kHooksOnly };

struct BadFile {
  const char* name;
  const char* text;
  const char* error;  // Expected after "<path>: ".
  Breaks breaks = Breaks::kEverything;
};

class BadSettingsFileTest : public SettingsFileTest,
                            public ::testing::WithParamInterface<BadFile> {};

TEST_P(BadSettingsFileTest, IsAnErrorAndNothingIsWritten) {
  const BadFile& bad = GetParam();
  using Operation = std::function<Result<SettingsChange>()>;
  std::vector<Operation> operations;
  if (bad.breaks != Breaks::kHooksOnly) {
    operations.push_back([&] { return install_status_line(settings_path(), kCommand); });
    operations.push_back([&] { return uninstall_status_line(settings_path()); });
  }
  if (bad.breaks != Breaks::kStatusLineOnly) {
    operations.push_back([&] {
      return install_hooks(settings_path(), kHookCommand, {"Stop", "PostToolUse"});
    });
    operations.push_back(
        [&] { return uninstall_hooks(settings_path(), matches_exactly(kHookCommand)); });
  }
  for (const Operation& operation : operations) {
    write(bad.text);
    ASSERT_EQ(::chmod(settings_path().c_str(), 0640), 0);
    age_file();
    Result<SettingsChange> change = operation();
    ASSERT_FALSE(change) << "accepted " << bad.name;
    EXPECT_EQ(change.error().code, Errc::kInvalidInput);
    EXPECT_EQ(change.error().message,
              settings_path() + ": " + bad.error + "; the file was not changed");
    EXPECT_EQ(read(), bad.text);
    struct stat st = stat_of(settings_path());
    EXPECT_EQ(st.st_mtim.tv_sec, 946684800);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    EXPECT_TRUE(other_files().empty());  // No backup, no temporary file.
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadSettingsFileTest,
    ::testing::Values(
        BadFile{"trailing_comma", "{\n  \"model\": \"opus\",\n}\n",
                "line 3, column 1: trailing comma before '}'"},
        BadFile{"truncated", "{\n  \"model\": \"op", "line 2, column 15: unterminated string"},
        BadFile{"top_level_array", "[{\"model\": \"opus\"}]",
                "the top level is an array, expected an object"},
        BadFile{"top_level_string", "\"x\"", "the top level is a string, expected an object"},
        BadFile{"comment", "{\n  // mine\n  \"model\": \"opus\"\n}",
                "line 2, column 3: unexpected '/', expected a member name in double quotes"},
        BadFile{"status_line_string", R"({"statusLine": "ccgauge statusline"})",
                "\"statusLine\" is a string, expected an object", Breaks::kStatusLineOnly},
        BadFile{"hooks_array", R"({"hooks": []})", "\"hooks\" is an array, expected an object",
                Breaks::kHooksOnly},
        BadFile{"hooks_event_object", R"({"hooks": {"Stop": {"hooks": []}}})",
                "\"hooks.Stop\" is an object, expected an array", Breaks::kHooksOnly}),
    [](const ::testing::TestParamInfo<BadFile>& info) { return std::string(info.param.name); });

TEST_F(SettingsFileTest, ADirectoryInPlaceOfTheFileIsAnError) {
  fs::create_directories(fs::path(settings_path()).parent_path());
  fs::create_directory(settings_path());  // A directory where the file should be.
  Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().message, settings_path() + " is not a regular file");
}

// --- Files on disk ----------------------------------------------------------------------------

TEST_F(SettingsFileTest, KeepsTheFileMode) {
  for (mode_t mode : {0600, 0640, 0664}) {
    write(R"({"model":"opus"})");
    ASSERT_EQ(::chmod(settings_path().c_str(), mode), 0);
    Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
    ASSERT_TRUE(change) << change.error().message;
    EXPECT_EQ(stat_of(settings_path()).st_mode & 07777, mode);
    EXPECT_EQ(stat_of(change->backup_path).st_mode & 07777, mode);
    fs::remove(change->backup_path);
  }
}

TEST_F(SettingsFileTest, ANewFileGetsTheUsualMode) {
  mode_t old_mask = ::umask(022);
  Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
  ::umask(old_mask);
  ASSERT_TRUE(change);
  EXPECT_EQ(stat_of(settings_path()).st_mode & 07777, 0644u);
}

TEST_F(SettingsFileTest, EditsTheTargetOfASymlink) {
  std::string target = dir_ / "dotfiles/claude/settings.json";
  write_file(target, R"({"model":"opus"})");
  fs::create_directories(fs::path(settings_path()).parent_path());
  fs::create_symlink("../dotfiles/claude/settings.json", settings_path());

  Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_TRUE(fs::is_symlink(settings_path()));
  EXPECT_NE(slurp(target).find(kCommand), std::string::npos);
  EXPECT_EQ(fs::path(change->backup_path).parent_path(), fs::path(target).parent_path());
  EXPECT_EQ(slurp(change->backup_path), R"({"model":"opus"})");
}

TEST_F(SettingsFileTest, KeepsAByteOrderMark) {
  write("\xEF\xBB\xBF{\"model\":\"opus\"}");
  ASSERT_TRUE(install_status_line(settings_path(), kCommand));
  std::string text = read();
  EXPECT_EQ(text.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_EQ(parse(text.substr(3)).find("model")->as_string(), "opus");
}

TEST_F(SettingsFileTest, BackupsInTheSameSecondGetDistinctNames) {
  write(R"({"model":"opus"})");
  Result<SettingsChange> first = install_status_line(settings_path(), kCommand);
  Result<SettingsChange> second = uninstall_status_line(settings_path());
  Result<SettingsChange> third = install_status_line(settings_path(), kCommand);
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(backups().size(), 3u);
  EXPECT_EQ(slurp(first->backup_path), R"({"model":"opus"})");
  EXPECT_NE(slurp(second->backup_path).find("statusLine"), std::string::npos);
  EXPECT_EQ(slurp(third->backup_path), "{\n  \"model\": \"opus\"\n}\n");
  // settings.json.ccgauge-backup-YYYYmmddTHHMMSSZ
  std::string name = fs::path(first->backup_path).filename().string();
  std::string stamp = name.substr(std::string("settings.json.ccgauge-backup-").size());
  ASSERT_GE(stamp.size(), 16u);
  EXPECT_EQ(stamp[8], 'T');
  EXPECT_EQ(stamp[15], 'Z');
}

// --- Hooks ------------------------------------------------------------------------------------

constexpr const char* kOtherToolsHooks = R"({
  "model": "opus",
  "hooks": {
    "PostToolUse": [
      {
        "matcher": "Edit|Write",
        "hooks": [
          {
            "type": "command",
            "command": "prettier --write",
            "timeout": 30
          }
        ]
      }
    ],
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send done"
          },
          {
            "type": "http",
            "url": "http://localhost:9000/stop"
          }
        ]
      },
      {
        "hooks": []
      }
    ]
  },
  "theme": "dark"
}
)";

TEST_F(SettingsFileTest, InstallHooksKeepsOtherToolsHooks) {
  write(kOtherToolsHooks);
  Result<SettingsChange> change =
      install_hooks(settings_path(), kHookCommand, {"PostToolUse", "Stop", "SessionStart"});
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_TRUE(change->changed);
  EXPECT_EQ(
      change->message.rfind(
          "installed hooks in " + settings_path() + " for PostToolUse, Stop, SessionStart", 0),
      0u);
  JsonValue before = parse(kOtherToolsHooks);
  JsonValue after = tree();
  // Keys around hooks untouched and in order.
  ASSERT_EQ(after.members().size(), 3u);
  EXPECT_EQ(after.members()[0].first, "model");
  EXPECT_EQ(after.members()[2].first, "theme");
  const JsonValue& hooks = *after.find("hooks");
  const JsonValue& old_hooks = *before.find("hooks");
  // PostToolUse: the other tool's group first, then ours with the tool matcher.
  const JsonValue::Array& post = hooks.find("PostToolUse")->items();
  ASSERT_EQ(post.size(), 2u);
  EXPECT_EQ(post[0], old_hooks.find("PostToolUse")->items()[0]);
  EXPECT_EQ(post[1].dump(JsonValue::Style::kCompact),
            R"({"matcher":"*","hooks":[{"type":"command","command":")" + std::string(kHookCommand) +
                R"(","timeout":10}]})");
  // Stop: both old groups kept; ours has no matcher (Stop takes none).
  const JsonValue::Array& stop = hooks.find("Stop")->items();
  ASSERT_EQ(stop.size(), 3u);
  EXPECT_EQ(stop[0], old_hooks.find("Stop")->items()[0]);
  EXPECT_EQ(stop[1], old_hooks.find("Stop")->items()[1]);
  EXPECT_EQ(stop[2].dump(JsonValue::Style::kCompact), R"({"hooks":[{"type":"command","command":")" +
                                                          std::string(kHookCommand) +
                                                          R"(","timeout":10}]})");
  EXPECT_EQ(hooks.members()[2].first, "SessionStart");
  EXPECT_EQ(slurp(change->backup_path), kOtherToolsHooks);
}

TEST_F(SettingsFileTest, InstallHooksIsIdempotentPerEvent) {
  write(kOtherToolsHooks);
  ASSERT_TRUE(install_hooks(settings_path(), kHookCommand, {"Stop"}));
  std::string once = read();
  age_file();
  Result<SettingsChange> again = install_hooks(settings_path(), kHookCommand, {"Stop"});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->message, "the hooks are already installed in " + settings_path() + " (Stop)");
  EXPECT_EQ(read(), once);
  EXPECT_EQ(stat_of(settings_path()).st_mtim.tv_sec, 946684800);
  EXPECT_EQ(backups().size(), 1u);
  // A wider set adds only the missing events.
  Result<SettingsChange> wider =
      install_hooks(settings_path(), kHookCommand, {"Stop", "SessionEnd"});
  ASSERT_TRUE(wider);
  EXPECT_TRUE(wider->changed);
  EXPECT_EQ(wider->message.rfind("installed hooks in " + settings_path() + " for SessionEnd", 0),
            0u);
  EXPECT_EQ(tree().find("hooks")->find("Stop")->items().size(), 3u);
}

TEST_F(SettingsFileTest, OurCommandInsideAnotherGroupCountsAsInstalled) {
  write(R"({"hooks":{"Stop":[{"hooks":[{"type":"command","command":"notify-send"},
            {"type":"command","command":")" +
        std::string(kHookCommand) + R"("}]}]}})");
  Result<SettingsChange> change = install_hooks(settings_path(), kHookCommand, {"Stop"});
  ASSERT_TRUE(change);
  EXPECT_FALSE(change->changed);
}

TEST_F(SettingsFileTest, InstallHooksWithOptionsIntoAMissingFile) {
  Result<SettingsChange> change =
      install_hooks(settings_path(), kHookCommand, {"PreToolUse", "UserPromptSubmit"},
                    HookOptions{.timeout_s = 5, .async = true});
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_EQ(change->backup_path, "");
  std::string handler = R"({"type":"command","command":")" + std::string(kHookCommand) +
                        R"(","timeout":5,"async":true})";
  EXPECT_EQ(tree().dump(JsonValue::Style::kCompact),
            R"({"hooks":{"PreToolUse":[{"matcher":"*","hooks":[)" + handler +
                R"(]}],"UserPromptSubmit":[{"hooks":[)" + handler + "]}]}}");
}

TEST_F(SettingsFileTest, UnknownHookEventsAreRejected) {
  write(R"({"model":"opus"})");
  Result<SettingsChange> change = install_hooks(settings_path(), kHookCommand, {"Stop", "OnStop"});
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().code, Errc::kInvalidInput);
  EXPECT_EQ(change.error().message.rfind("unknown hook event \"OnStop\"", 0), 0u);
  EXPECT_EQ(read(), R"({"model":"opus"})");
  EXPECT_TRUE(other_files().empty());
  EXPECT_FALSE(install_hooks(settings_path(), kHookCommand, {}));
}

TEST_F(SettingsFileTest, UninstallHooksRemovesOnlyOurs) {
  write(kOtherToolsHooks);
  ASSERT_TRUE(install_hooks(settings_path(), kHookCommand,
                            {"PostToolUse", "Stop", "SessionStart", "SessionEnd"}));
  Result<SettingsChange> change = uninstall_hooks(settings_path(), matches_exactly(kHookCommand));
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_TRUE(change->changed);
  EXPECT_EQ(change->message.rfind("removed the hooks from " + settings_path() +
                                      " for PostToolUse, Stop, SessionStart, SessionEnd",
                                  0),
            0u);
  // Exactly the file as it was, including the other tool's empty group.
  EXPECT_EQ(read(), kOtherToolsHooks);

  Result<SettingsChange> again = uninstall_hooks(settings_path(), matches_exactly(kHookCommand));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->message, "nothing to do: no ccgauge hooks in " + settings_path());
}

TEST_F(SettingsFileTest, UninstallHooksDropsWhatItEmptied) {
  write(R"({"model":"opus"})");
  ASSERT_TRUE(install_hooks(settings_path(), kHookCommand, {"Stop", "PostToolUse"}));
  ASSERT_TRUE(uninstall_hooks(settings_path(), matches_exactly(kHookCommand)));
  EXPECT_EQ(read(), "{\n  \"model\": \"opus\"\n}\n");  // "hooks" is gone too.

  // Ours sharing a group with another handler: only ours goes.
  write(R"({"hooks":{"Stop":[{"hooks":[{"type":"command","command":"notify-send"},
            {"type":"command","command":"/old/ccgauge hook"}]}]}})");
  ASSERT_TRUE(uninstall_hooks(settings_path(), [](std::string_view command) {
    return command.find("ccgauge hook") != std::string_view::npos;
  }));
  EXPECT_EQ(tree().dump(JsonValue::Style::kCompact),
            R"({"hooks":{"Stop":[{"hooks":[{"type":"command","command":"notify-send"}]}]}})");
}

TEST_F(SettingsFileTest, UninstallHooksWithoutHooksDoesNothing) {
  Result<SettingsChange> missing = uninstall_hooks(settings_path(), matches_exactly(kHookCommand));
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->changed);
  EXPECT_FALSE(fs::exists(settings_path()));
  write(R"({"hooks":{}})");
  Result<SettingsChange> none = uninstall_hooks(settings_path(), matches_exactly(kHookCommand));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->changed);
  EXPECT_EQ(read(), R"({"hooks":{}})");
}

TEST_F(SettingsFileTest, HooksStatusReportsEachEvent) {
  Result<std::vector<HookEventStatus>> none =
      hooks_status(settings_path(), matches_exactly(kHookCommand), {"Stop", "SessionStart"});
  ASSERT_TRUE(none);
  ASSERT_EQ(none->size(), 2u);
  EXPECT_FALSE((*none)[0].installed);
  EXPECT_FALSE((*none)[1].installed);

  write(kOtherToolsHooks);
  ASSERT_TRUE(install_hooks(settings_path(), kHookCommand, {"Stop", "Notification"}));
  Result<std::vector<HookEventStatus>> status = hooks_status(
      settings_path(), matches_exactly(kHookCommand), {"Stop", "PostToolUse", "SessionStart"});
  ASSERT_TRUE(status) << status.error().message;
  ASSERT_EQ(status->size(), 4u);
  EXPECT_EQ((*status)[0].event, "Stop");
  EXPECT_TRUE((*status)[0].installed);
  EXPECT_EQ((*status)[0].other_handlers, 2);
  EXPECT_EQ((*status)[1].event, "PostToolUse");
  EXPECT_FALSE((*status)[1].installed);
  EXPECT_EQ((*status)[1].other_handlers, 1);
  EXPECT_EQ((*status)[2].event, "SessionStart");
  EXPECT_FALSE((*status)[2].installed);
  // An event not asked about that has ours is reported too.
  EXPECT_EQ((*status)[3].event, "Notification");
  EXPECT_TRUE((*status)[3].installed);
  EXPECT_EQ((*status)[3].other_handlers, 0);

  write(R"({"hooks":"none"})");
  Result<std::vector<HookEventStatus>> bad =
      hooks_status(settings_path(), matches_exactly(kHookCommand), {"Stop"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"hooks\" is a string, expected an object"),
            std::string::npos);
}

TEST_F(SettingsFileTest, HookEventNames) {
  EXPECT_EQ(known_hook_events().size(), 33u);
  EXPECT_TRUE(is_tool_hook_event("PostToolUseFailure"));
  EXPECT_TRUE(is_tool_hook_event("PermissionDenied"));
  EXPECT_FALSE(is_tool_hook_event("Stop"));
  EXPECT_FALSE(is_tool_hook_event("PostToolBatch"));
}

TEST_F(SettingsFileTest, DisabledHooksAreMentioned) {
  write(R"({"disableAllHooks":true})");
  Result<SettingsChange> change = install_status_line(settings_path(), kCommand);
  ASSERT_TRUE(change);
  EXPECT_NE(change->message.find("\"disableAllHooks\" is true"), std::string::npos);
}

}  // namespace
}  // namespace ccgauge::cli

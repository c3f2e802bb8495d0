#include "ingest/transcripts/discovery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace ccgauge::ingest {
namespace {

using ccgauge::testing::TempDir;
using ccgauge::testing::write_file;

TEST(Discovery, ConfigDirListWithHomeAndProjectsDir) {
  TempDir home;
  std::filesystem::create_directories(home / "a/projects");
  std::filesystem::create_directories(home / "b/projects");
  Environment env{" ~/a , " + (home / "b/projects") + ",,/nope", "", home.path()};
  auto dirs = find_config_dirs(env);
  ASSERT_TRUE(dirs);
  EXPECT_EQ(*dirs, (std::vector<std::string>{home / "a", home / "b"}));
}

TEST(Discovery, InvalidConfigDirIsAnError) {
  TempDir home;
  auto dirs = find_config_dirs(Environment{home / "missing", "", home.path()});
  ASSERT_FALSE(dirs);
  EXPECT_NE(dirs.error().message.find("CLAUDE_CONFIG_DIR"), std::string::npos);
}

TEST(Discovery, DefaultsAreMergedAndMayBeAbsent) {
  TempDir home;
  auto none = find_config_dirs(Environment{"", "", home.path()});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  std::filesystem::create_directories(home / ".config/claude/projects");
  std::filesystem::create_directories(home / ".claude/projects");
  auto both = find_config_dirs(Environment{"", "", home.path()});
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, (std::vector<std::string>{home / ".config/claude", home / ".claude"}));
}

TEST(Discovery, ListsSessionsSubagentsAndFollowsLinksWithoutLoops) {
  TempDir home;
  write_file(home / "c/projects/-p/s1.jsonl", "{}\n");
  write_file(home / "c/projects/-p/s1/subagents/agent-7.jsonl", "{}\n");
  write_file(home / "c/projects/-p/s1/subagents/flow/agent-8.jsonl", "{}\n");
  write_file(home / "c/projects/-p/notes.txt", "x");
  write_file(home / "elsewhere/-q/s2.jsonl", "{}\n");
  std::filesystem::create_directory_symlink(home / "elsewhere/-q", home / "c/projects/-q");
  std::filesystem::create_directory_symlink(home / "c/projects", home / "c/projects/-p/loop");
  std::vector<DiscoveryProblem> problems;
  auto files = list_transcripts({home / "c"}, problems);
  ASSERT_EQ(files.size(), 4u);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(files[0].path_session, "s1");
  EXPECT_FALSE(files[0].subagent);
  EXPECT_EQ(files[1].path_session, "s1");
  EXPECT_TRUE(files[1].subagent);
  EXPECT_EQ(files[2].path_session, "s1");
  EXPECT_EQ(files[3].project_dir, "-q");
  EXPECT_EQ(files[3].path_session, "s2");
}

TEST(Discovery, UnreadableDirectoryIsNamed) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root reads every directory";
  }
  TempDir home;
  write_file(home / "c/projects/-p/s1.jsonl", "{}\n");
  std::filesystem::permissions(home / "c/projects/-p", std::filesystem::perms::none);
  std::vector<DiscoveryProblem> problems;
  list_transcripts({home / "c"}, problems);
  std::filesystem::permissions(home / "c/projects/-p", std::filesystem::perms::owner_all);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, home / "c/projects/-p");
}

}  // namespace
}  // namespace ccgauge::ingest

#!/usr/bin/env bash
# `make run`: today's report and the recent 5-hour blocks for this machine's Claude Code data.
# Without Claude Code data, it says so and shows how to try a generated sample.
set -uo pipefail
bin=${1:-build/ccgauge}

has_data=0
if [ -n "${CLAUDE_CONFIG_DIR:-}" ]; then
  has_data=1  # ccgauge itself says if the directories are not valid
else
  for dir in "${XDG_CONFIG_HOME:-$HOME/.config}/claude/projects" "$HOME/.claude/projects"; do
    [ -d "$dir" ] && has_data=1
  done
fi

if [ "$has_data" -eq 0 ]; then
  cat <<MSG
No Claude Code data on this machine (looked in ~/.claude/projects and ~/.config/claude/projects).
Point ccgauge at data with CLAUDE_CONFIG_DIR=/path/to/claude-config, or try a generated sample:

  $bin demo

MSG
  exit 0
fi

today=$(date +%Y%m%d)
"$bin" daily --since "$today" || exit $?
echo
"$bin" blocks --recent || exit $?
if "$bin" daily --json 2>/dev/null | grep -q '"totalTokens": 0,\?$'; then
  echo
  echo "The Claude Code data here holds no usage yet. To see ccgauge at work, try: $bin demo"
fi

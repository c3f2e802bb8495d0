#!/usr/bin/env bash
# `make run`: today's report, then the daemon (`ccgauge serve`) on this machine's Claude Code
# data and the default ledger, until Ctrl-C. Without Claude Code data, it says so, shows how to
# try a generated sample, and still starts the daemon (serving the ledger as it is).
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
else
  "$bin" daily --since "$(date +%Y%m%d)" || exit $?
  echo
fi

echo "Starting the daemon (Ctrl-C stops it; CCGAUGE_LISTEN=ADDR:PORT to move it)."
exec "$bin" serve --listen "${CCGAUGE_LISTEN:-127.0.0.1:8321}"

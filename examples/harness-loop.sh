#!/usr/bin/env bash
# A headless task loop: one `claude -p` per task, each reported to ccgauge as a harness run, so
# `ccgauge harness` lists every task with its duration, result, and the tokens and cost of the
# Claude Code session it started.
#
#   examples/harness-loop.sh TASKS_FILE        (one task per line: ID<TAB>prompt)
#
# `ccgauge emit` never fails the loop: it delivers to the daemon when one runs (CCGAUGE_URL,
# default http://127.0.0.1:8321), else writes the ledger, else spools the event for later.
set -uo pipefail  # not -e: one failed task must not end the loop
TASKS_FILE=${1:?usage: examples/harness-loop.sh TASKS_FILE   (one task per line: ID<TAB>prompt)}
LABEL=${LABEL:-nightly}
LOGS=${LOGS:-$(mktemp -d)}

while IFS=$'\t' read -r task prompt; do
  [[ -z $task || $task == \#* ]] && continue
  ccgauge emit start --task "$task" --label "$LABEL" --source harness-loop.sh

  # --output-format json ends with {"type":"result","is_error":...,"session_id":"...",...}.
  result=$(claude -p "$prompt" --output-format json 2> "$LOGS/$task.err")
  status=$?
  session=$(printf '%s' "$result" | sed -n 's/.*"session_id" *: *"\([^"]*\)".*/\1/p' | head -n 1)

  if [[ $status -eq 0 ]] && ! printf '%s' "$result" | grep -q '"is_error" *: *true'; then
    ccgauge emit end --task "$task" --label "$LABEL" --session "$session" --success true
  else
    ccgauge emit end --task "$task" --label "$LABEL" --session "$session" --success false \
      --error "exit $status: $(tail -n 1 "$LOGS/$task.err")"
  fi
done < "$TASKS_FILE"

ccgauge harness --label "$LABEL"

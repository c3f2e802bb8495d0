#!/usr/bin/env bash
# Times `ccgauge statusline` as Claude Code calls it: 500 calls with realistic stdin JSON against
# a ledger that is current with a generated history, one transcript growing as a session would.
#
#   bench/statusline.sh BUILD_DIR [SIZE]     (SIZE: the history, 1GiB by default)
#
# Prints p50, p90, p99 and max wall time per call. Target (issue 3): p99 <= 5 ms.
#
# MODE=direct (default): no daemon runs; each call opens the ledger, records, catches up the
# transcript and computes the line itself.
# MODE=daemon: `ccgauge serve` runs on the same ledger; each call hands its input to the daemon
# over the Unix socket next to the spool (cli/statusline.h) and prints its answer.
set -euo pipefail
BUILD=${1:?usage: bench/statusline.sh BUILD_DIR [SIZE]}
SIZE=${2:-1GiB}
CALLS=${CALLS:-500}
HERE=$(cd "$(dirname "$0")" && pwd)
CCGAUGE=$(cd "$BUILD" && pwd)/ccgauge
GEN=$(cd "$BUILD" && pwd)/ccgauge_gen
DATA=$HERE/data/statusline-$SIZE
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [[ ! -d $DATA/projects ]]; then
  rm -rf "$DATA"
  "$GEN" --out "$DATA" --size "$SIZE" --seed 11 > /dev/null
fi
export CLAUDE_CONFIG_DIR=$DATA HOME=$TMP NO_COLOR=1
LEDGER=$TMP/ledger.db
"$CCGAUGE" daily --json --ledger "$LEDGER" > /dev/null  # the ledger is current
# ...and finished: the first report leaves its indexes and checkpoint to a background process
# (ledger::checkpoint_in_background), which holds this lock until done.
flock "$LEDGER.checkpoint.lock" true

# A live session: its transcript gets a new response before each call.
SESSION=$DATA/projects/-bench-live/live-session.jsonl
mkdir -p "$(dirname "$SESSION")"
: > "$SESSION"
reset=$(( $(date +%s) + 9000 ))
cat > "$TMP/stdin.json" <<JSON
{"session_id":"live-session","transcript_path":"$SESSION","cwd":"/bench/live",
 "model":{"id":"claude-opus-4-6","display_name":"Opus"},"version":"2.1.90",
 "cost":{"total_cost_usd":3.21,"total_duration_ms":600000},
 "context_window":{"total_input_tokens":81234,"context_window_size":200000,"used_percentage":41},
 "rate_limits":{"five_hour":{"used_percentage":37.5,"resets_at":$reset},
                "seven_day":{"used_percentage":12.0,"resets_at":$((reset + 400000))}}}
JSON

MODE=${MODE:-direct}
if [[ $MODE == daemon ]]; then
  source "$HERE/daemon.sh"
  start_daemon "$CCGAUGE" "$LEDGER" "$TMP"
  trap 'kill $DAEMON_PID 2> /dev/null; wait $DAEMON_PID 2> /dev/null; rm -f "$SESSION"; rm -rf "$TMP"' EXIT
  for _ in $(seq 100); do  # the status line socket comes up after the HTTP server
    compgen -G "$TMP/.local/state/ccgauge/spool/*.sock" > /dev/null && break
    sleep 0.05
  done
  compgen -G "$TMP/.local/state/ccgauge/spool/*.sock" > /dev/null || { echo "no status line socket"; exit 1; }
fi

for i in $(seq "$CALLS"); do
  ts=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  printf '{"sessionId":"live-session","cwd":"/bench/live","timestamp":"%s","requestId":"req_%d","type":"assistant","message":{"model":"claude-opus-4-6","id":"msg_%d","usage":{"input_tokens":12,"cache_read_input_tokens":80000,"output_tokens":420}}}\n' \
    "$ts" "$i" "$i" >> "$SESSION"
  start=${EPOCHREALTIME/./}
  "$CCGAUGE" statusline --ledger "$LEDGER" < "$TMP/stdin.json" > "$TMP/line.txt"
  end=${EPOCHREALTIME/./}
  echo $((end - start)) >> "$TMP/times"
done
rm -f "$SESSION"

echo "mode: $MODE"
echo "last line: $(cat "$TMP/line.txt")"
sort -n "$TMP/times" | awk -v calls="$CALLS" '
  { t[NR] = $1 }
  END {
    printf "statusline over %d calls: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      NR, t[int(NR * 0.50)] / 1000, t[int(NR * 0.90)] / 1000, t[int(NR * 0.99)] / 1000, t[NR] / 1000
    p99 = t[int(NR * 0.99)] / 1000
    printf "target p99 <= 5 ms: %s\n", (p99 <= 5 ? "met" : "MISSED")
  }'

#!/usr/bin/env bash
# Measures ccgauge against ccusage v20 (the pinned native build) on a generated Claude Code tree,
# then checks ccgauge's numbers against the generator's true totals and against ccusage.
#
#   bench/compare.sh BUILD_DIR [SIZE]      (SIZE: 1GiB by default; 200MiB, 64MiB, ... also work)
#
# Builds nothing: BUILD_DIR must already hold ccgauge and ccgauge_gen (`make bench` builds them).
# The tree is cached under bench/data/ and reused while its parameters stay the same. Appends made
# for the incremental measurement are undone on exit (the files are truncated back).
#
# Exits non-zero when a correctness check fails. Performance targets are reported; they fail the
# run only with CCG_BENCH_STRICT=1 (a shared 2-core VM is too noisy to gate on by default).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: bench/compare.sh BUILD_DIR [SIZE]" >&2
  exit 2
fi

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=$(cd "$1" && pwd)
SIZE=${2:-1GiB}
SEED=7
DAYS=30
END_DATE=2026-06-30
GEN_FORMAT=1            # bump when the generator's output changes, to regenerate cached trees
CCUSAGE_RUNS=3
COLD_RUNS=3
WARM_RUNS=5
APPEND_RUNS=5
APPEND_BYTES=1MiB

CCGAUGE=$BUILD_DIR/ccgauge
GEN=$BUILD_DIR/ccgauge_gen
for bin in "$CCGAUGE" "$GEN"; do
  if [[ ! -x $bin ]]; then
    echo "compare.sh: $bin is missing; run 'make bench' (or build it) first" >&2
    exit 2
  fi
done
for tool in node npm /usr/bin/time; do
  if ! command -v "$tool" > /dev/null; then
    echo "compare.sh: $tool is required" >&2
    exit 2
  fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ccgauge-bench.XXXXXX")
DATA=$BENCH_DIR/data/compat-$SIZE-seed$SEED-$DAYS-days-to-$END_DATE
JOURNAL=$DATA/append.journal
RESULTS=$BENCH_DIR/data/results
STRICT=${CCG_BENCH_STRICT:-0}
FAILURES=0

# Truncates appended files back to their sizes before the appends (newest append first).
restore_tree() {
  if [[ -f $JOURNAL ]]; then
    tac "$JOURNAL" | while IFS=$'\t' read -r size path; do
      [[ -f $path ]] && truncate -s "$size" "$path"
    done
    rm -f "$JOURNAL"
  fi
}
cleanup() {
  restore_tree
  rm -rf "$TMP"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# 1. ccusage, pinned by bench/package-lock.json.

NATIVE=$BENCH_DIR/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage
LAUNCHER=$BENCH_DIR/node_modules/.bin/ccusage
CCUSAGE_PIN=20.0.24
if [[ ! -f $NATIVE || ! -e $LAUNCHER ]]; then
  echo "== installing ccusage (npm ci in bench/)"
  # npm ci refuses a lockfile that lacks ccusage's optional binaries for other platforms, which
  # happens when the lockfile was written where the registry could not serve them. npm install
  # --no-save still installs exactly the lockfile's versions and integrity hashes.
  (cd "$BENCH_DIR" && { npm ci --no-audit --no-fund --loglevel=error 2> /dev/null ||
    npm install --no-save --no-audit --no-fund --loglevel=error; })
fi
if [[ ! -f $NATIVE ]]; then
  echo "compare.sh: the ccusage native binary is missing: $NATIVE" >&2
  exit 2
fi
chmod +x "$NATIVE"  # the npm launcher does this on its first run; we run the binary directly
CCUSAGE_VERSION=$("$NATIVE" --version 2>/dev/null | head -1 || true)
if [[ $CCUSAGE_VERSION != *"$CCUSAGE_PIN"* ]]; then
  echo "compare.sh: expected ccusage $CCUSAGE_PIN, found '$CCUSAGE_VERSION'" >&2
  exit 2
fi

# ---------------------------------------------------------------------------------------------
# 2. The tree (ccusage-compatible, so that both tools must agree exactly).

restore_tree  # a previous run that was killed may have left appends behind
PARAMS="format=$GEN_FORMAT size=$SIZE seed=$SEED days=$DAYS end=$END_DATE compatible"
if [[ -f $DATA/params && $(cat "$DATA/params") == "$PARAMS" && -f $DATA/totals.json ]]; then
  echo "== reusing $DATA"
else
  echo "== generating $SIZE into $DATA"
  rm -rf "$DATA"
  mkdir -p "$DATA"
  "$GEN" --out "$DATA" --size "$SIZE" --seed "$SEED" --days "$DAYS" --end "$END_DATE" \
    --compatible --totals "$DATA/totals.json"
  echo "$PARAMS" > "$DATA/params"
fi
TRUTH=$DATA/totals.json

# ---------------------------------------------------------------------------------------------
# 3. Timing helpers. Every run: TZ=UTC, warm page cache, stdout to a file.

export TZ=UTC LOG_LEVEL=0
export CLAUDE_CONFIG_DIR=$DATA

# run_timed OUT CMD...: runs CMD with stdout to OUT; prints "wall_s rss_kb". Wall time comes from
# bash's clock (/usr/bin/time's %e has only 10 ms resolution, and forking `date` around the run
# would add its own start-up), peak RSS from /usr/bin/time.
run_timed() {
  local out=$1 start end
  shift
  start=${EPOCHREALTIME/./}
  if ! /usr/bin/time -f '%M' -o "$TMP/time" "$@" > "$out" 2> "$TMP/stderr"; then
    echo "compare.sh: command failed: $*" >&2
    sed 's/^/  /' "$TMP/stderr" >&2
    tail -2 "$TMP/time" >&2 || true
    exit 1
  fi
  end=${EPOCHREALTIME/./}
  echo "$((end - start)) $(tail -1 "$TMP/time")" | awk '{ printf "%.4f %d\n", $1 / 1e6, $2 }'
}

# median of the first (wall) column and the max of the second (RSS) over lines on stdin.
summarize() {
  sort -n -k1,1 | awk '{ wall[NR] = $1; if ($2 > rss) rss = $2 }
    END { printf "%.4f %d\n", wall[int((NR + 1) / 2)], rss }'
}

# ccusage_runs CMD...: median over CCUSAGE_RUNS; keeps the last report in $TMP/ccusage.json.
ccusage_runs() {
  for _ in $(seq "$CCUSAGE_RUNS"); do
    run_timed "$TMP/ccusage.json" "$@"
  done | summarize
}

echo "== timing (TZ=UTC, $(nproc) CPUs, $(cat "$DATA/params"))"
"$NATIVE" claude daily --json --offline > /dev/null  # warm the page cache
read -r NATIVE_WALL NATIVE_RSS < <(ccusage_runs "$NATIVE" claude daily --json --offline)
read -r LAUNCH_WALL LAUNCH_RSS < <(ccusage_runs "$LAUNCHER" claude daily --json --offline)

# A cold run prints its report, then leaves the bulk load's index builds and final checkpoint to
# a child process (ledger::checkpoint_in_background), which holds ledger.db.checkpoint.lock while
# it works. Each run waits for that child before the next starts, and the time until the ledger
# is finished is reported too.
: > "$TMP/cold.times"
for _ in $(seq "$COLD_RUNS"); do
  rm -f "$TMP"/ledger.db*
  start=${EPOCHREALTIME/./}
  run_timed "$TMP/cold.json" "$CCGAUGE" daily --json --ledger "$TMP/ledger.db" >> "$TMP/cold.times"
  flock "$TMP/ledger.db.checkpoint.lock" true
  echo "$(( ${EPOCHREALTIME/./} - start ))" | awk '{ printf "%.4f\n", $1 / 1e6 }' >> "$TMP/cold.finished"
done
read -r COLD_WALL COLD_RSS < <(summarize < "$TMP/cold.times")
COLD_FINISHED=$(sort -n "$TMP/cold.finished" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
read -r WARM_WALL WARM_RSS < <(
  for _ in $(seq "$WARM_RUNS"); do
    run_timed "$TMP/warm.json" "$CCGAUGE" daily --json --ledger "$TMP/ledger.db"
  done | summarize)

APPEND_TOTALS=()
read -r APPEND_WALL APPEND_RSS < <(
  for i in $(seq "$APPEND_RUNS"); do
    "$GEN" --append "$DATA" --bytes "$APPEND_BYTES" --seed "$((100 + i))" \
      --totals "$TMP/append-$i.json" --journal "$JOURNAL" > /dev/null
    run_timed "$TMP/appended.json" "$CCGAUGE" daily --json --ledger "$TMP/ledger.db"
  done | summarize)
for i in $(seq "$APPEND_RUNS"); do
  APPEND_TOTALS+=("$TMP/append-$i.json")
done

# ---------------------------------------------------------------------------------------------
# 4. Report.

report_row() {  # NAME WALL RSS_KB [REFERENCE_WALL]
  awk -v name="$1" -v wall="$2" -v rss="$3" -v ref="${4:-}" 'BEGIN {
    ratio = ref == "" ? "" : sprintf("%.3fx", wall / ref)
    printf "  %-30s %9.3f %10.1f %12s\n", name, wall, rss / 1024, ratio }'
}
# target NAME CONDITION-AWK-EXPR: prints met/MISSED.
target() {
  local name=$1 expr=$2
  if awk "BEGIN { exit !($expr) }"; then
    echo "  met     $name"
  else
    echo "  MISSED  $name"
    if [[ $STRICT == 1 ]]; then FAILURES=$((FAILURES + 1)); fi
  fi
}

echo
echo "ccusage: ${CCUSAGE_VERSION:-unknown version} (native binary unless noted)"
printf "  %-30s %9s %10s %12s\n" "" "wall s" "RSS MB" "vs ccusage"
report_row "ccusage claude daily" "$NATIVE_WALL" "$NATIVE_RSS"
report_row "ccusage via npm launcher" "$LAUNCH_WALL" "$LAUNCH_RSS" "$NATIVE_WALL"
report_row "ccgauge cold (empty ledger)" "$COLD_WALL" "$COLD_RSS" "$NATIVE_WALL"
report_row "  and its ledger finished" "$COLD_FINISHED" "$COLD_RSS" "$NATIVE_WALL"
report_row "ccgauge warm" "$WARM_WALL" "$WARM_RSS" "$NATIVE_WALL"
report_row "ccgauge after +$APPEND_BYTES" "$APPEND_WALL" "$APPEND_RSS" "$NATIVE_WALL"
echo "  (medians: ccusage and cold of $CCUSAGE_RUNS/$COLD_RUNS runs, warm of $WARM_RUNS," \
  "after-append of $APPEND_RUNS appends; RSS is the largest run's)"
echo
echo "targets:"
target "cold wall <= 1/4 of ccusage ($COLD_WALL s vs $NATIVE_WALL s)" "$COLD_WALL <= $NATIVE_WALL / 4"
target "cold peak RSS <= 80 MB ($((COLD_RSS / 1024)) MB)" "$COLD_RSS <= 80 * 1024"
target "warm <= 50 ms ($WARM_WALL s)" "$WARM_WALL <= 0.050"
target "after append <= 60 ms ($APPEND_WALL s)" "$APPEND_WALL <= 0.060"

# ---------------------------------------------------------------------------------------------
# 5. Correctness.

cat > "$TMP/check.js" << 'EOF'
// node check.js MODE ACTUAL EXPECTED...
//   truth:   ACTUAL's tokens per day equal the sum of the generator totals files given
//   ccusage: ACTUAL's tokens per day equal ccusage's, and cost within $0.000001
//   same:    the two reports are identical JSON
const fs = require('fs');
const [mode, actualPath, ...expectedPaths] = process.argv.slice(2);
const load = (path) => JSON.parse(fs.readFileSync(path, 'utf8'));
const KEYS = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens', 'totalTokens'];
const zero = () => Object.fromEntries(KEYS.map((k) => [k, 0]));

function byDay(reports) {
  const days = new Map();
  for (const report of reports) {
    if (!Array.isArray(report.daily)) throw new Error('no "daily" array');
    for (const row of report.daily) {
      const day = days.get(row.date) || { ...zero(), totalCost: 0 };
      for (const k of KEYS) day[k] += row[k];
      day.totalCost += row.totalCost || 0;
      days.set(row.date, day);
    }
  }
  return days;
}

function compare(actual, expected, withCost) {
  const problems = [];
  const dates = [...new Set([...actual.keys(), ...expected.keys()])].sort();
  const sum = { actual: zero(), expected: zero() };
  for (const date of dates) {
    const a = actual.get(date) || { ...zero(), totalCost: 0 };
    const e = expected.get(date) || { ...zero(), totalCost: 0 };
    for (const k of KEYS) {
      sum.actual[k] += a[k];
      sum.expected[k] += e[k];
      if (a[k] !== e[k]) problems.push(`${date} ${k}: ccgauge ${a[k]}, expected ${e[k]} (${a[k] - e[k]})`);
    }
    if (withCost && Math.abs(a.totalCost - e.totalCost) > 1e-6) {
      problems.push(`${date} totalCost: ccgauge ${a.totalCost}, ccusage ${e.totalCost}`);
    }
  }
  return { problems, dates: dates.length, sum };
}

let result;
try {
  const actual = load(actualPath);
  if (mode === 'same') {
    const same = JSON.stringify(actual) === JSON.stringify(load(expectedPaths[0]));
    result = { problems: same ? [] : ['the reports differ'], dates: (actual.daily || []).length };
  } else {
    const expected = expectedPaths.map(load);
    result = compare(byDay([actual]), byDay(expected), mode === 'ccusage');
    if (mode === 'ccusage') {
      const a = actual.totals || {}, e = expected[0].totals || {};
      for (const k of KEYS) if (a[k] !== e[k]) result.problems.push(`totals ${k}: ${a[k]} vs ${e[k]}`);
      if (Math.abs((a.totalCost || 0) - (e.totalCost || 0)) > 1e-6 * Math.max(1, result.dates)) {
        result.problems.push(`totals totalCost: ${a.totalCost} vs ${e.totalCost}`);
      }
    }
  }
} catch (error) {
  result = { problems: [`cannot compare: ${error.message}`], dates: 0 };
}
for (const p of result.problems.slice(0, 12)) console.log(`        ${p}`);
if (result.problems.length > 12) console.log(`        ... ${result.problems.length - 12} more`);
console.log(`        (${result.dates} days${result.sum ? `, ${result.sum.actual.totalTokens} tokens` : ''})`);
process.exit(result.problems.length === 0 ? 0 : 1);
EOF

check() {  # NAME MODE ACTUAL EXPECTED...
  local name=$1
  shift
  if node "$TMP/check.js" "$@" > "$TMP/check.out"; then
    echo "  PASS  $name"
  else
    echo "  FAIL  $name"
    FAILURES=$((FAILURES + 1))
  fi
  cat "$TMP/check.out"
}

echo
echo "correctness:"
check "ccgauge cold = true totals (tokens per day)" truth "$TMP/cold.json" "$TRUTH"
check "ccgauge cold = ccusage (tokens per day, cost within \$0.000001)" \
  ccusage "$TMP/cold.json" "$TMP/ccusage.json"
check "ccusage = true totals (the tree is ccusage-compatible)" truth "$TMP/ccusage.json" "$TRUTH"
check "ccgauge warm = ccgauge cold" same "$TMP/warm.json" "$TMP/cold.json"
check "ccgauge after $APPEND_RUNS appends = true totals + appended" \
  truth "$TMP/appended.json" "$TRUTH" "${APPEND_TOTALS[@]}"

mkdir -p "$RESULTS"
cp "$TMP/ccusage.json" "$TMP/cold.json" "$TMP/warm.json" "$TMP/appended.json" "$RESULTS/"
echo
echo "reports kept in $RESULTS"
if [[ $FAILURES -gt 0 ]]; then
  echo "$FAILURES check(s) failed"
  exit 1
fi
echo "all checks passed"

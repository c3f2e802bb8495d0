# Sourced by the benchmarks that also time their calls with the daemon running (MODE=daemon).

# start_daemon CCGAUGE LEDGER DIR: starts `ccgauge serve` on LEDGER (loopback, a free port, no
# OTLP receivers) with its output in DIR/serve.out and DIR/serve.err, sets DAEMON_PID, and
# returns once it listens; exits the script when it does not start within a minute. The caller
# kills DAEMON_PID (in its EXIT trap).
start_daemon() {
  local ccgauge=$1 ledger=$2 dir=$3
  "$ccgauge" serve --listen 127.0.0.1:0 --no-otlp --ledger "$ledger" \
    > "$dir/serve.out" 2> "$dir/serve.err" &
  DAEMON_PID=$!
  for _ in $(seq 600); do
    grep -q "listening on" "$dir/serve.out" 2> /dev/null && return 0
    sleep 0.1
  done
  echo "the daemon did not start:"
  cat "$dir/serve.err"
  exit 1
}

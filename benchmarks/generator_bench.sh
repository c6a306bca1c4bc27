#!/usr/bin/env bash
# The Generator Service's cost: tasks/s of create + execute?wait=true with templates
# rendered and best practices analyzed by a fake remote answering after a fixed latency
# (tests/e2e/support/fake_generator.py), against the built-in generator, in one sitting.
# Reports the TCP connections the node opened to the remote (connection reuse).
#
#   benchmarks/generator_bench.sh [--seconds N] [--clients "1 16"] [--latency-ms 5]
# Needs build/app/core-engine and build/benchmarks/load_driver.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=6
client_counts="1 16"
latency_ms=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --clients) client_counts=$2; shift 2 ;;
    --latency-ms) latency_ms=$2; shift 2 ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Waits for a process's first stdout line (its listening line) and prints it.
first_line() {
  for _ in $(seq 1 200); do
    [[ -s "$1" ]] && head -1 "$1" && return 0
    sleep 0.05
  done
  echo "no listening line in $1" >&2
  return 1
}

run() {  # run <label> <clients> [core-engine args...]
  local label=$1 clients=$2
  shift 2
  rm -rf "$work/data"
  ./build/app/core-engine --port 0 --ws-port 0 --data-dir "$work/data" "$@" \
    >"$work/ce.out" 2>"$work/ce.err" &
  local ce_pid=$!
  pids+=("$ce_pid")
  local line port
  line=$(first_line "$work/ce.out")
  port=$(sed 's/.*http=127.0.0.1:\([0-9]*\).*/\1/' <<<"$line")
  echo "== $label, $clients clients, ${seconds} s"
  ./build/benchmarks/load_driver --port "$port" --clients "$clients" --duration "$seconds" \
    --components vpc,eks --server-pid "$ce_pid" | grep -E 'completed|latency|server cpu|errors'
  curl -s "http://127.0.0.1:$port/api/statistics" |
    python3 -c 'import json,sys; g=json.load(sys.stdin)["data"]["generator_service"]
print("generator      " + ", ".join("%s=%s" % (k, g[k]) for k in ("mode","calls","attempts","failures","connections_opened","latency_ms") if k in g))'
  kill "$ce_pid"
  wait "$ce_pid" || true
}

python3 tests/e2e/support/fake_generator.py --delay-ms "$latency_ms" >"$work/fake.out" &
pids+=("$!")
fake_port=$(first_line "$work/fake.out" | sed 's/.*port=//')
echo "machine        $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "task           generate aws staging [vpc,eks]: 2 renders + 4 best-practice calls each"
echo "remote         fake generator service, ${latency_ms} ms per answer, port $fake_port"
for clients in $client_counts; do
  run "built-in generator" "$clients"
  run "remote generator" "$clients" --generator-service-url "http://127.0.0.1:$fake_port"
done
echo "fake accepted  $(curl -s "http://127.0.0.1:$fake_port/_stats") (connections include this script's own)"
echo "machine        load average $(cut -d' ' -f1-3 /proc/loadavg) at end"

#!/usr/bin/env bash
# Context switches and CPU time per request of each server thread under a SendMessage load.
#
#   scripts/ctx-switches.sh [serve flags...]      e.g. --fsync always   or   --in-memory
#
# Starts `wharf serve` on a fresh data directory, drives it with `wharf bench sqs` (32 connections, 4 s),
# and reads every thread's voluntary + involuntary context switches and CPU ticks from /proc over the
# middle 3 s. WHARF (default: target/release/wharf) picks the binary.
set -euo pipefail
WHARF=${WHARF:-target/release/wharf}
PORT=${PORT:-4591}
data=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
"$WHARF" serve --port "$PORT" --data-dir "$data" "$@" >/dev/null 2>&1 &
server=$!
sleep 0.5
snapshot() {
  for task in /proc/"$server"/task/*; do
    echo "${task##*/} $(cat "$task/comm" | tr ' ' _) $(awk '/ctxt_switches/ {s += $2} END {print s}' "$task/status") $(awk '{print $14 + $15}' "$task/stat")"
  done
}
"$WHARF" bench sqs --endpoint "http://127.0.0.1:$PORT" --duration 4 --warmup 0 --connections 32 --json >"$data/bench.json" 2>/dev/null &
bench=$!
sleep 0.5
snapshot >"$data/before"
sleep 3
snapshot >"$data/after"
wait "$bench"
python3 - "$data" <<'PY'
import json, os, sys
d = sys.argv[1]
rps = json.load(open(os.path.join(d, "bench.json")))["requests_per_s"]
ticks = os.sysconf("SC_CLK_TCK")
before = {l.split()[0]: l.split() for l in open(os.path.join(d, "before"))}
print(f"{rps:,.0f} requests/s")
for line in open(os.path.join(d, "after")):
    tid, comm, switches, cpu = line.split()
    if tid not in before:
        continue
    requests = rps * 3
    d_switch = int(switches) - int(before[tid][2])
    d_cpu = (int(cpu) - int(before[tid][3])) / ticks
    print(f"{comm:<18} {tid:>8}  switches/request {d_switch / requests:.3f}  CPU µs/request {d_cpu * 1e6 / requests:.2f}")
PY

#!/usr/bin/env bash
# Measures a large SQS backlog over HTTP (docs/storage.md, "Large backlogs"):
#   1. starts `wharf serve` (durable, fsync always) on an empty data directory;
#   2. fills one queue with 1 KiB messages through `wharf bench sqs --scenario send --batch 10` for SECS
#      seconds while sampling the server's RSS every 0.5 s;
#   3. kills the server with SIGKILL (so the bench never deletes its queue), restarts it on the same
#      directory and times spawn -> first 200 from /ready, then reports the recovered message count and RSS.
# Usage: scripts/measure-backlog.sh [path/to/wharf] [SECS]   (default: target/release/wharf, 14 s)
set -euo pipefail
BIN=${1:-target/release/wharf}
SECS=${2:-14}
PORT=${PORT:-4597}
DIR=$(mktemp -d /tmp/wharf-backlog.XXXXXX)
trap 'kill "${SERVER:-}" "${BENCH:-}" "${SAMPLER:-}" 2>/dev/null || true; rm -rf "$DIR"' EXIT

rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
messages() { curl -s "http://127.0.0.1:$PORT/_wharf/info" | grep -o '"messages":[0-9]*' | cut -d: -f2; }

"$BIN" serve --port "$PORT" --data-dir "$DIR" > "$DIR.server.log" 2>&1 &
SERVER=$!
until curl -sf "http://127.0.0.1:$PORT/ready" > /dev/null; do sleep 0.01; done
( while kill -0 "$SERVER" 2>/dev/null; do echo "$(messages) $(rss "$SERVER")"; sleep 0.5; done ) \
  > "$DIR.rss.log" 2>/dev/null &
SAMPLER=$!
"$BIN" bench sqs --endpoint "http://127.0.0.1:$PORT" --scenario send --message-size 1024 \
  --connections 16 --batch 10 --duration 600 --warmup 0 > /dev/null 2>&1 &
BENCH=$!
sleep "$SECS"
echo "loaded: $(messages) messages; peak RSS while loading: $(hwm "$SERVER") MiB"
echo "RSS samples (messages MiB):"; tr '\n' ';' < "$DIR.rss.log"; echo
kill -9 "$SERVER"; kill "$BENCH" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true
start=$(date +%s%N)
"$BIN" serve --port "$PORT" --data-dir "$DIR" > "$DIR.server2.log" 2>&1 &
SERVER=$!
until curl -sf "http://127.0.0.1:$PORT/ready" > /dev/null; do sleep 0.01; done
echo "restart to ready: $(( ($(date +%s%N) - start) / 1000000 )) ms; recovered $(messages) messages;" \
  "RSS $(rss "$SERVER") MiB (peak $(hwm "$SERVER") MiB); data dir $(du -sh "$DIR" | cut -f1)"
rm -f "$DIR".*.log

#!/usr/bin/env bash
# bench/serve-memory.sh [SECONDS] [MODEL] [CONCURRENCY] — does `netcanvas-cli serve` hold its
# memory under sustained load? (docs/serving.md, "Memory under load"). Trains one quick epoch of
# MODEL (default vgg-small) on the bundled sample, serves it and drives it for SECONDS (default
# 600) at CONCURRENCY (default 64) keep-alive clients, one 28x28 PNG per request, printing the
# server's RSS every 10 s; then a summary: RSS after 1 minute, at the middle, at the end, the
# maximum, and the growth over the second half (MB per minute).
# Build first: cmake --build build --target netcanvas-cli bench_serve_load
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-600}
MODEL=${2:-vgg-small}
CONC=${3:-64}
BUILD=${BUILD:-build}
CLI=$BUILD/app/cli/netcanvas-cli
LOAD=$BUILD/bench/bench_serve_load
IMAGE=resources/sample-fashion/bag/00018.png
WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then kill -TERM "$SERVER"; wait "$SERVER" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
"$CLI" train "models/$MODEL.json" --data resources/sample-fashion --epochs 1 --out "$WORK/run" -q > /dev/null
"$CLI" serve "$WORK/run" --port 0 --max-batch 256 --max-delay-ms 2 > "$WORK/serve.log" 2>&1 &
SERVER=$!
port=""
for _ in $(seq 1 100); do
  port=$(grep -o '127.0.0.1:[0-9]*' "$WORK/serve.log" | head -1 | cut -d: -f2 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$WORK/serve.log"; exit 1; }
rss() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status"; }
echo "# $MODEL on port $port: RSS $(rss) MB when idle; $CONC clients for $SECS s"
"$LOAD" --port "$port" --image "$IMAGE" --concurrency "$CONC" --seconds "$SECS" --pid "$SERVER" --sample-every 10 |
  tee "$WORK/samples.jsonl"
echo "# RSS $(rss) MB after the load"
python3 - "$WORK/samples.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
s = [(r["t"], r["rss_mb"]) for r in rows if "rss_mb" in r]
end = [r for r in rows if "concurrency" in r][-1]
at = lambda t: min(s, key=lambda p: abs(p[0] - t))[1]
T = s[-1][0]
half = [p for p in s if p[0] >= T / 2]
slope = (half[-1][1] - half[0][1]) / max(1e-9, (half[-1][0] - half[0][0]) / 60)
print(f"requests {end['ok']} ok, {end['errors']} errors, {end['images_per_s']:.0f} img/s, p99 {end['p99_ms']:.1f} ms")
print(f"RSS: 1 min {at(60):.1f} MB, {T/2:.0f} s {at(T/2):.1f} MB, {T:.0f} s {s[-1][1]:.1f} MB, max {max(p[1] for p in s):.1f} MB; "
      f"second half: {slope:+.2f} MB/min")
PY

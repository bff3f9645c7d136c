#!/usr/bin/env bash
# bench/serve-load.sh [SECONDS_PER_LEVEL] — load test of `netcanvas-cli serve` on loopback
# (docs/serving.md, "Performance"). For the lenet5 and vgg-small templates: trains one quick
# epoch on the bundled sample (the weights' values do not change the speed), measures the
# CLI's batch-256 inference throughput (`netcanvas-cli bench`), serves the run and drives it
# with bench_serve_load at concurrency 1, 8 and 64 (one 28x28 PNG per request, keep-alive
# connections), sampling the server's RSS. Prints one JSON line per level and a summary.
# Build first: cmake --build build --target netcanvas-cli bench_serve_load
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
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

for model in lenet5 vgg-small; do
  "$CLI" train "models/$model.json" --data resources/sample-fashion --epochs 1 --out "$WORK/$model" -q > /dev/null
  batch256=$("$CLI" bench "models/$model.json" --batch 32 --steps 8 --warmup 2 --infer-batch 256 --latency-steps 20 --json |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["infer_samples_per_s"], 1))')
  "$CLI" serve "$WORK/$model" --port 0 --max-batch 256 --max-delay-ms 2 > "$WORK/$model.log" 2>&1 &
  SERVER=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(grep -o '127.0.0.1:[0-9]*' "$WORK/$model.log" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$WORK/$model.log"; exit 1; }
  echo "# $model: batch-256 inference (netcanvas-cli bench): $batch256 images/s; serving on port $port"
  "$LOAD" --port "$port" --image "$IMAGE" --concurrency 1,8,64 --seconds "$SECS" --pid "$SERVER" | tee "$WORK/$model.jsonl"
  curl -s "http://127.0.0.1:$port/metrics" | grep -E '^netcanvas_batch_size_(sum|count)' | tr '\n' ' '
  echo
  kill -TERM "$SERVER"
  wait "$SERVER" || true
  SERVER=""
  python3 - "$WORK/$model.jsonl" "$batch256" "$model" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
b256 = float(sys.argv[2])
for r in rows:
    print(f"  {sys.argv[3]:9s} c{r['concurrency']:<3d} {r['images_per_s']:8.1f} img/s  p50 {r['p50_ms']:7.2f} ms  "
          f"p99 {r['p99_ms']:7.2f} ms  errors {r['errors']}  RSS {r['rss_mb_first']:.1f}->{r['rss_mb_last']:.1f} MB")
c64 = [r for r in rows if r['concurrency'] == 64]
if c64:
    print(f"  {sys.argv[3]:9s} c64 / batch-256 throughput: {c64[0]['images_per_s'] / b256:.2f}")
PY
done

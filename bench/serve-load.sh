#!/usr/bin/env bash
# bench/serve-load.sh [SECONDS_PER_LEVEL] [ROUNDS] — load test of `netcanvas-cli serve` on
# loopback (docs/serving.md, "Performance"). For the lenet5 and vgg-small templates: trains one
# quick epoch on the bundled sample (the weights' values do not change the speed), serves the
# run, then alternates ROUNDS times (so that a busy machine weighs on every measurement alike):
#   - the CLI's batch-256 inference throughput (`netcanvas-cli bench --infer-batch 256`);
#   - bench_serve_load at concurrency 1, 8 and 64 with one 28x28 PNG per request;
#   - bench_serve_load at concurrency 64 with binary tensor bodies of 32 uint8 samples
#     (application/x-netcanvas-tensor);
# all on keep-alive connections, sampling the server's RSS. Prints one JSON line per level and,
# per model, the medians over the rounds and the median of each round's c64 / batch-256 ratio.
# Build first: cmake --build build --target netcanvas-cli bench_serve_load
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
ROUNDS=${2:-3}
BUILD=${BUILD:-build}
CLI=$BUILD/app/cli/netcanvas-cli
LOAD=$BUILD/bench/bench_serve_load
IMAGE=resources/sample-fashion/bag/00018.png
MODELS=${MODELS:-lenet5 vgg-small}
WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then kill -TERM "$SERVER"; wait "$SERVER" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

for model in $MODELS; do
  "$CLI" train "models/$model.json" --data resources/sample-fashion --epochs 1 --out "$WORK/$model" -q > /dev/null
  # 64 clients × 32 images = 2048 queued images at most: --max-queue above that (no 429).
  "$CLI" serve "$WORK/$model" --port 0 --max-batch 256 --max-delay-ms 2 --max-queue 4096 > "$WORK/$model.log" 2>&1 &
  SERVER=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(grep -o '127.0.0.1:[0-9]*' "$WORK/$model.log" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$WORK/$model.log"; exit 1; }
  echo "# $model: serving on port $port; $ROUNDS rounds of $SECS s per level"
  : > "$WORK/$model.jsonl"
  for round in $(seq 1 "$ROUNDS"); do
    b=$("$CLI" bench "models/$model.json" --batch 32 --steps 8 --warmup 2 --infer-batch 256 --latency-steps 20 --json |
      python3 -c 'import json,sys; print(round(json.load(sys.stdin)["infer_samples_per_s"], 1))')
    echo "{\"round\": $round, \"batch256\": $b}" | tee -a "$WORK/$model.jsonl"
    "$LOAD" --port "$port" --image "$IMAGE" --concurrency 1,8,64 --seconds "$SECS" --pid "$SERVER" |
      sed "s/^{/{\"round\": $round, \"body\": \"png\", /" | tee -a "$WORK/$model.jsonl"
    "$LOAD" --port "$port" --tensor-batch 32 --concurrency 64 --seconds "$SECS" --pid "$SERVER" |
      sed "s/^{/{\"round\": $round, \"body\": \"tensor32\", /" | tee -a "$WORK/$model.jsonl"
  done
  curl -s "http://127.0.0.1:$port/metrics" | grep -E '^netcanvas_batch_size_(sum|count)' | tr '\n' ' '
  echo
  kill -TERM "$SERVER"
  wait "$SERVER" || true
  SERVER=""
  python3 - "$WORK/$model.jsonl" "$model" <<'PY'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
name = sys.argv[2]
b256 = {r["round"]: r["batch256"] for r in rows if "batch256" in r}
print(f"  {name:9s} batch-256 (CLI bench): median {st.median(b256.values()):8.1f} img/s over {len(b256)} rounds")
levels = sorted({(r["body"], r["concurrency"]) for r in rows if "body" in r})
for body, c in levels:
    rs = [r for r in rows if r.get("body") == body and r["concurrency"] == c]
    med = lambda k: st.median(r[k] for r in rs)
    line = (f"  {name:9s} {body:8s} c{c:<3d} {med('images_per_s'):8.1f} img/s ({med('requests_per_s'):7.1f} req/s)  "
            f"p50 {med('p50_ms'):7.2f} ms  p99 {med('p99_ms'):7.2f} ms  errors {sum(r['errors'] for r in rs)}  "
            f"RSS {rs[0]['rss_mb_first']:.1f}->{rs[-1]['rss_mb_last']:.1f} MB")
    if c == 64:
        ratios = [r["images_per_s"] / b256[r["round"]] for r in rs]
        line += f"  c64/batch-256: median {st.median(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)})"
    print(line)
PY
done

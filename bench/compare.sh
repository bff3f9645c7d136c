#!/usr/bin/env bash
# NetCanvas vs PyTorch on this machine, in one run (docs/benchmarks.md). Not a CTest test.
#
# Installs what it needs (python3-torch, libopenblas-dev; as root through apt-get), builds
# netcanvas-cli and bench_gemm_peak, then for each model runs `netcanvas-cli bench` and
# bench/compare_pytorch.py alternately, ROUNDS times each (who goes first alternates per
# round), and prints the medians as a table of ratios NetCanvas / PyTorch; then the GEMM
# peak and, with EPOCH=1, one real training epoch on Fashion-MNIST each way.
#
# Usage: bench/compare.sh [model ...]        (default: mlp lenet5 vgg-small; also lstm, bench/models/lstm.json)
# On a GPU (docs/gpu.md): DEVICE=cuda bench/compare.sh   (both frameworks on the same GPU; builds
#   the CUDA plugin; needs a CUDA build of PyTorch, and EPOCH=0 since the epoch run is CPU-only)
# Environment (defaults): THREADS=2 ROUNDS=3 BATCH=64 STEPS=1000 VGG_STEPS=15 LATENCY_STEPS=200
#   WARMUP=20 EPOCH=1 EPOCH_MODELS="mlp lenet5" DATA=/usr/share/datasets/fashion-mnist
#   BUILD=build-bench JOBS=2 QUIET_WAIT=120 (seconds to wait, before each run, for the
#   other processes on the machine to go below 10% CPU) RETRIES=2 (repeats of a run that
#   other processes disturbed by 10% or more; the least disturbed one is kept). How much
#   CPU other processes took before and during each run is recorded and summarized.
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
BATCH=${BATCH:-64}
STEPS=${STEPS:-1000}
VGG_STEPS=${VGG_STEPS:-15}
WARMUP=${WARMUP:-20}
LATENCY_STEPS=${LATENCY_STEPS:-200}
EPOCH=${EPOCH:-1}
EPOCH_MODELS=${EPOCH_MODELS:-mlp lenet5}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
BUILD=${BUILD:-build-bench}
JOBS=${JOBS:-2}
QUIET_WAIT=${QUIET_WAIT:-120}
RETRIES=${RETRIES:-2}
PYTHON=${PYTHON:-/usr/bin/python3} # Debian's interpreter: python3-torch is installed for it
DEVICE=${DEVICE:-cpu}
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(mlp lenet5 vgg-small)

# ---- what the benchmark needs ----
missing=()
"$PYTHON" -c 'import torch' 2>/dev/null || missing+=(python3-torch)
dpkg -s libopenblas-dev >/dev/null 2>&1 || missing+=(libopenblas-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]} ..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    echo "compare.sh: needs Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    "$PYTHON" -c 'import torch' 2>/dev/null || exit 1
    echo "compare.sh: continuing without OpenBLAS: the GEMM peak is Eigen's only" >&2
  fi
fi

# ---- build ----
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNETCANVAS_BUILD_TESTS=OFF -DNETCANVAS_BUILD_APP=OFF \
  -DNETCANVAS_BUILD_BENCH=ON >/dev/null
targets=(netcanvas-cli bench_gemm_peak)
[ "$DEVICE" != cpu ] && targets+=(netcanvas_cuda) # next to netcanvas-cli, where it is looked for
cmake --build "$BUILD" -j"$JOBS" --target "${targets[@]}" >/dev/null
CLI=$BUILD/app/cli/netcanvas-cli
GEMM=$BUILD/bench/bench_gemm_peak
OUT=$BUILD/bench-results
rm -rf "$OUT"
mkdir -p "$OUT"

# ---- runs ----
# run NAME FILE cmd...: appends cmd's last output line (JSON) to FILE. Before the command it
# waits up to QUIET_WAIT seconds for other processes to use under 10% of the CPU; while it
# runs it measures the share of the CPU that other processes took (the machine's busy time
# minus the command's own CPU time). A run disturbed by 10% or more is repeated up to
# RETRIES times and the least disturbed attempt is kept; both readings are recorded.
run() {
  local name=$1 file=$2
  shift 2
  "$PYTHON" - "$name" "$file" "$QUIET_WAIT" "$RETRIES" "$@" <<'PY'
import json, os, resource, subprocess, sys, time
name, file, quiet_wait, retries, cmd = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
hz = os.sysconf("SC_CLK_TCK")
def jiffies():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:8]]
    return v[0] + v[1] + v[2] + v[5] + v[6], v[3] + v[4]
def busy_percent():  # while this process sleeps: everybody else
    b0, i0 = jiffies()
    time.sleep(1)
    b1, i1 = jiffies()
    return round(100.0 * (b1 - b0) / max(b1 - b0 + i1 - i0, 1))
def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
best = None
for attempt in range(1, retries + 2):
    before, waited = busy_percent(), 0
    while before >= 10 and waited < quiet_wait:
        time.sleep(4)
        waited += 5
        before = busy_percent()
    b0, i0 = jiffies()
    c0 = cpu_seconds()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True).stdout
    b1, i1 = jiffies()
    others = round(100.0 * max(0.0, (b1 - b0) / hz - (cpu_seconds() - c0)) / max((b1 - b0 + i1 - i0) / hz, 1e-9))
    rec = {"run": name, "attempt": attempt, "busy_before": before, "others_during": others,
           "result": json.loads(out.strip().splitlines()[-1])}
    print(f"  {name} (attempt {attempt}): other processes used {before}% of the CPU before, {others}% during",
          file=sys.stderr)
    if best is None or others < best["others_during"]:
        best = rec
    if others < 10:
        break
with open(file, "a") as f:
    f.write(json.dumps(best) + "\n")
PY
}
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=1 # PyTorch: its OpenMP pool only

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for m in "${models[@]}"; do
  steps=$STEPS
  [ "$m" = vgg-small ] && steps=$VGG_STEPS
  [ "$m" = lstm ] && steps=${LSTM_STEPS:-40}
  common=(--batch "$BATCH" --threads "$THREADS" --steps "$steps" --warmup "$WARMUP" --latency-steps "$LATENCY_STEPS" --device "$DEVICE" --json)
  for r in $(seq 1 "$ROUNDS"); do
    path="models/$m.json"
    [ -f "bench/models/$m.json" ] && path="bench/models/$m.json" # benchmark-only models (lstm)
    nc=(run "netcanvas $m round $r" "$OUT/bench.jsonl" "$CLI" bench "$path" "${common[@]}")
    pt=(run "pytorch $m round $r" "$OUT/bench.jsonl" "$PYTHON" bench/compare_pytorch.py "$path" --cli "$CLI" "${common[@]}")
    if [ $((r % 2)) -eq 1 ]; then "${nc[@]}"; "${pt[@]}"; else "${pt[@]}"; "${nc[@]}"; fi
    # The GEMM peak beside every vgg-small round: the machine's speed drifts over minutes, and
    # "percent of the peak" only means something when both were measured at the same time.
    [ "$m" = vgg-small ] && run "gemm peak round $r" "$OUT/gemm.jsonl" "$GEMM" --size 2048 --threads "$THREADS" --json
  done
done
[[ " ${models[*]} " == *" vgg-small "* ]] || run "gemm peak" "$OUT/gemm.jsonl" "$GEMM" --size 2048 --threads "$THREADS" --json

# One epoch each way; the whole command's wall time, as a user waits for it (the fit time
# comes from the JSON).
seconds() { date +%s.%N; }
epoch_netcanvas() {
  local s line
  s=$(seconds)
  line=$("$CLI" train "models/$1.json" --data "$DATA" --out "$OUT/epoch-$1" --epochs 1 --batch "$BATCH" \
         --optimizer sgd --lr 0.01 --schedule constant --val-fraction 0 --threads "$THREADS" --quiet --json | tail -n 1)
  echo "{\"framework\": \"netcanvas\", \"wall_seconds\": $(awk "BEGIN { print $(seconds) - $s }"), \"train\": $line}"
}
epoch_pytorch() {
  local s line
  s=$(seconds)
  line=$("$PYTHON" bench/compare_pytorch.py "models/$1.json" --cli "$CLI" --epoch "$DATA" --batch "$BATCH" \
         --threads "$THREADS" --json | tail -n 1)
  echo "{\"framework\": \"pytorch\", \"wall_seconds\": $(awk "BEGIN { print $(seconds) - $s }"), \"train\": $line}"
}
export -f seconds epoch_netcanvas epoch_pytorch
export CLI DATA OUT BATCH THREADS PYTHON
if [ "$EPOCH" = 1 ] && [ -d "$DATA" ]; then
  for m in $EPOCH_MODELS; do
    # shellcheck disable=SC2016 # $1 expands in the child shell
    run "netcanvas epoch $m" "$OUT/epoch.jsonl" bash -c 'epoch_netcanvas "$1"' _ "$m"
    # shellcheck disable=SC2016
    run "pytorch epoch $m" "$OUT/epoch.jsonl" bash -c 'epoch_pytorch "$1"' _ "$m"
  done
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# ---- table ----
"$PYTHON" - "$OUT" "$THREADS" "$BATCH" "$ROUNDS" "${models[@]}" <<'PY'
import json, os, statistics, sys
out, threads, batch, rounds, models = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
def load(name):
    p = os.path.join(out, name)
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []
bench, gemm, epoch = load("bench.jsonl"), load("gemm.jsonl"), load("epoch.jsonl")
# A row's network is the name on the command line ("netcanvas lstm round 1"), not the graph's
# own name (bench/models/lstm.json calls itself lstm-bench).
def network(r):
    return r["run"].split()[1]
def med(framework, model, key):
    v = [r["result"][key] for r in bench if r["result"]["framework"] == framework and network(r) == model]
    return statistics.median(v) if v else float("nan")
runs = bench + gemm + epoch
busy = [r["busy_before"] for r in runs]
during = [r["others_during"] for r in runs]
print(f"NetCanvas / PyTorch, {threads} threads, float32, batch {batch}, median of {rounds} interleaved rounds")
print(f"other processes' share of the CPU: right before a run up to {max(busy)}% (median {statistics.median(busy)}%), "
      f"during a run up to {max(during)}% (median {statistics.median(during)}%)")
print()
hdr = ["network", "train samples/s NC", "PT", "ratio", "batch-1 latency ms NC", "PT", "ratio",
       "train GFLOP/s NC", "PT", "peak MB NC", "PT", "others' CPU %"]
rows = []
for m in models:
    nc_t, pt_t = med("netcanvas", m, "train_samples_per_s"), med("pytorch", m, "train_samples_per_s")
    nc_l, pt_l = med("netcanvas", m, "latency_ms_median"), med("pytorch", m, "latency_ms_median")
    rows.append([m, f"{nc_t:.0f}", f"{pt_t:.0f}", f"{nc_t / pt_t:.2f}x", f"{nc_l:.3f}", f"{pt_l:.3f}",
                 f"{nc_l / pt_l:.2f}x", f"{med('netcanvas', m, 'train_gflops'):.1f}",
                 f"{med('pytorch', m, 'train_gflops'):.1f}", f"{med('netcanvas', m, 'peak_rss_mb'):.0f}",
                 f"{med('pytorch', m, 'peak_rss_mb'):.0f}",
                 f"{max([r['others_during'] for r in bench if network(r) == m] or [0])}"])
w = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
line = lambda r: "| " + " | ".join(str(c).rjust(w[i]) if i else str(c).ljust(w[i]) for i, c in enumerate(r)) + " |"
print(line(hdr))
print("|" + "|".join("-" * (x + 2) for x in w) + "|")
for r in rows:
    print(line(r))
print()
print("also (medians, NC / PT): inference samples/s at batch 256; batch-1 latency p90 ms; training step p10-p90 ms;")
print("peak RSS growth above the RSS before the network was built (MB; PyTorch's baseline includes libtorch)")
for m in models:
    def both(key, f):
        return f"{med('netcanvas', m, key):{f}} / {med('pytorch', m, key):{f}}"
    growth = {fw: med(fw, m, "peak_rss_mb") - med(fw, m, "baseline_rss_mb") for fw in ("netcanvas", "pytorch")}
    print(f"  {m}: infer {both('infer_samples_per_s', '.0f')}; latency p90 {both('latency_ms_p90', '.3f')}; step "
          f"{med('netcanvas', m, 'train_step_ms_p10'):.2f}-{med('netcanvas', m, 'train_step_ms_p90'):.2f} / "
          f"{med('pytorch', m, 'train_step_ms_p10'):.2f}-{med('pytorch', m, 'train_step_ms_p90'):.2f}; "
          f"memory growth {growth['netcanvas']:.0f} / {growth['pytorch']:.0f}")
if gemm:
    g = dict(gemm[0]["result"])
    for k in g:  # medians over the runs (one per vgg-small round)
        if k.endswith("_gflops") and all(r["result"].get(k) is not None for r in gemm):
            g[k] = statistics.median(r["result"][k] for r in gemm)
    parts = [f"{k[:-7]} {g[k]:.1f}" for k in g if k.endswith("_gflops") and k != "peak_gflops" and g[k] is not None]
    print(f"\nGEMM peak (sgemm {g['size']}x{g['size']}, {g['threads']} threads, best of {g['reps']}, median of "
          f"{len(gemm)} runs): {', '.join(parts)} GFLOP/s; peak {g['peak_gflops']:.1f} ({g['peak_library']})")
    if "vgg-small" in models:
        for fw, label in (("netcanvas", "NetCanvas"), ("pytorch", "PyTorch")):
            print(f"vgg-small training, {label}: {med(fw, 'vgg-small', 'train_gflops'):.1f} GFLOP/s = "
                  f"{100 * med(fw, 'vgg-small', 'train_gflops') / g['peak_gflops']:.0f}% of the GEMM peak")
if epoch:
    print("\none training epoch of Fashion-MNIST (60,000 samples, SGD momentum 0.9 lr 0.01), seconds:")
    print("| network | fit NC | fit PT | PT/NC | whole command NC | PT | PT/NC | others' CPU % |")
    print("|---|---|---|---|---|---|---|---|")
    by = {}
    for r in epoch:
        x = r["result"]
        x["others"] = r["others_during"]
        by[(x["framework"], x["train"]["model"])] = x
    for m in dict.fromkeys(k[1] for k in by):
        nc, pt = by.get(("netcanvas", m)), by.get(("pytorch", m))
        if not nc or not pt:
            continue
        fn, fp = nc["train"]["seconds"], pt["train"]["fit_seconds"]
        print(f"| {m} | {fn:.1f} | {fp:.1f} | {fp / fn:.2f}x | {nc['wall_seconds']:.1f} | {pt['wall_seconds']:.1f} | "
              f"{pt['wall_seconds'] / nc['wall_seconds']:.2f}x | {max(nc['others'], pt['others'])} |")
    print("fit = normalization, loader and the epoch (netcanvas-cli train's \"seconds\"); whole command = process wall time,")
    print("with dataset decoding, test-set evaluation (and for NetCanvas saving weights; for PyTorch `import torch`)")
print("others' CPU %: the most CPU that other processes took during any run of that row (after retries)")
print(f"\nraw results: {out}/*.jsonl")
PY

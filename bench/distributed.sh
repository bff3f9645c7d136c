#!/usr/bin/env bash
# Data-parallel scaling on this machine (docs/distributed.md, "Scaling"): alternating rounds of
#   A  1 rank  x 2 threads, batch 64                      (netcanvas-cli train)
#   B  2 ranks x 1 thread,  batch 32 each (global 64)     (mpirun -np 2 ... --distributed)
#   C  as B with --sync blocking (no overlap: the all-reduce after the whole backward)
# on Fashion-MNIST (or $DATA), one epoch each by default; prints every round's samples/s,
# validation accuracy and the all-reduce report, then the medians and the ratio B/A.
# Usage: bench/distributed.sh [ROUNDS] [EPOCHS]     (BUILD=build, MODEL=models/lenet5.json)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
EPOCHS=${2:-1}
BUILD=${BUILD:-build}
MODEL=${MODEL:-models/lenet5.json}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
CLI="$BUILD/app/cli/netcanvas-cli"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPI=(mpirun -np 2 --oversubscribe --bind-to none)
common=(train "$MODEL" --data "$DATA" --epochs "$EPOCHS" --seed 1 --warmup-epochs 0 --json --quiet)

field() { python3 -c "import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(d.get(sys.argv[2], 'nan'))" "$1" "$2"; }
report() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('%.0f B/step, wait %.2f ms/step, backward %.2f ms/step, %d buckets' % (d['allreduce_bytes_per_step'], d['wait_ms_per_step'], d['backward_ms_per_step'], d['buckets']))" "$1"; }

declare -a A B C
for r in $(seq 1 "$ROUNDS"); do
  "$CLI" "${common[@]}" --batch 64 --threads 2 --out "$OUT/a$r" > "$OUT/a$r.log"
  A+=("$(field "$OUT/a$r.log" samples_per_second)")
  echo "round $r A 1x2: $(field "$OUT/a$r.log" samples_per_second) samples/s, val acc $(field "$OUT/a$r.log" validation_accuracy)"
  "${MPI[@]}" "$CLI" "${common[@]}" --distributed --batch 32 --threads 1 --out "$OUT/b$r" > "$OUT/b$r.log"
  B+=("$(python3 -c "import json; print(json.load(open('$OUT/b$r/metrics.json'))['samples_per_second'] * 2)")")
  echo "round $r B 2x1 overlap: ${B[-1]} samples/s, val acc $(field "$OUT/b$r.log" validation_accuracy); $(report "$OUT/b$r/distributed.json")"
  "${MPI[@]}" "$CLI" "${common[@]}" --distributed --sync blocking --batch 32 --threads 1 --out "$OUT/c$r" > "$OUT/c$r.log"
  C+=("$(python3 -c "import json; print(json.load(open('$OUT/c$r/metrics.json'))['samples_per_second'] * 2)")")
  echo "round $r C 2x1 blocking: ${C[-1]} samples/s; $(report "$OUT/c$r/distributed.json")"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mA=$(median "${A[@]}"); mB=$(median "${B[@]}"); mC=$(median "${C[@]}")
echo "median samples/s: A 1 rank x 2 threads $mA, B 2 ranks x 1 thread (overlap) $mB, C (blocking) $mC"
python3 -c "print('ratio B/A %.2f, C/A %.2f' % ($mB/$mA, $mC/$mA))"

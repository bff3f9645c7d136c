#!/usr/bin/env bash
# Transfer learning, measured (docs/transfer-learning.md): LeNet-5 on TRAIN of scikit-learn's
# 8x8 handwritten digits (upscaled to 28x28 by make-digits-idx.py), evaluated on the held-out
# digits (the rest of the 1,797), three ways on the same TRAIN images:
#   new-classifier  the zoo's Fashion-MNIST convolutions, frozen, under a freshly initialized
#                   classifier (--init-from --freeze conv1,conv2 --reinit fc1,fc2 --fit-output)
#   new-head        the zoo's convolutions frozen and its hidden dense layers fc1, fc2 loaded,
#                   only the output layer new (--init-from --freeze conv1,conv2 --fit-output)
#   from-scratch    the same network, every layer initialized
# Per seed S: the TRAIN digits are pick S and the training seed is S.
#
#   scripts/transfer-digits.sh [SEEDS...]       # default: 1 2 3
#   EPOCHS=30 TRAIN=300 CLI=path/to/netcanvas-cli scripts/transfer-digits.sh
# Prints one line per run and the medians; needs python3-sklearn and python3-numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CLI:-build/app/cli/netcanvas-cli}
EPOCHS=${EPOCHS:-30}
TRAIN=${TRAIN:-300}
PYTHON=/usr/bin/python3
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
[ -x "$CLI" ] || { echo "transfer-digits.sh: $CLI not found: build first (scripts/build.sh)" >&2; exit 1; }
[ -f models/zoo/lenet5.safetensors ] || { echo "transfer-digits.sh: models/zoo/lenet5.safetensors missing: run scripts/train-zoo.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--epochs "$EPOCHS" --threads 2 --json --quiet)
results=$work/results.csv
echo "seed,method,test_accuracy,seconds" > "$results"
for s in "${seeds[@]}"; do
  "$PYTHON" scripts/make-digits-idx.py "$work/digits-$s" --train "$TRAIN" --seed "$s" > /dev/null
  "$CLI" train models/lenet5.json --data "$work/digits-$s" --out "$work/nc-$s" --seed "$s" "${common[@]}" \
    --init-from models/zoo/lenet5.safetensors --freeze conv1,conv2 --reinit fc1,fc2 --fit-output | tail -n 1 > "$work/nc-$s.json"
  "$CLI" train models/lenet5.json --data "$work/digits-$s" --out "$work/nh-$s" --seed "$s" "${common[@]}" \
    --init-from models/zoo/lenet5.safetensors --freeze conv1,conv2 --fit-output | tail -n 1 > "$work/nh-$s.json"
  "$CLI" train models/lenet5.json --data "$work/digits-$s" --out "$work/sc-$s" --seed "$s" "${common[@]}" \
    | tail -n 1 > "$work/sc-$s.json"
  for m in nc nh sc; do
    "$PYTHON" -c 'import json,sys; j=json.load(open(sys.argv[1])); print("%s,%s,%.4f,%.1f" % (sys.argv[2], sys.argv[3], j["test_accuracy"], j["seconds"]))' \
      "$work/$m-$s.json" "$s" "$(case $m in nc) echo new-classifier ;; nh) echo new-head ;; *) echo from-scratch ;; esac)" >> "$results"
  done
  tail -n 3 "$results"
done
"$PYTHON" - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for method in ("new-classifier", "new-head", "from-scratch"):
    acc = [float(r["test_accuracy"]) for r in rows if r["method"] == method]
    sec = [float(r["seconds"]) for r in rows if r["method"] == method]
    print(f"{method}: median test accuracy {statistics.median(acc):.4f} over {len(acc)} seeds "
          f"(min {min(acc):.4f}, max {max(acc):.4f}); median {statistics.median(sec):.1f} s")
by = {(r["seed"], r["method"]): float(r["test_accuracy"]) for r in rows}
seeds = sorted({r["seed"] for r in rows})
diff = [by[(s, "new-classifier")] - by[(s, "from-scratch")] for s in seeds]
print(f"new-classifier minus from-scratch, per seed: {', '.join(f'{d * 100:+.1f}' for d in diff)} points "
      f"(median {statistics.median(diff) * 100:+.1f})")
PY

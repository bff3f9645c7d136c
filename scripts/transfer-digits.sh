#!/usr/bin/env bash
# Transfer learning, measured (docs/transfer-learning.md): the zoo's Fashion-MNIST LeNet-5
# fine-tuned with frozen convolutions on 300 of scikit-learn's 8x8 handwritten digits (upscaled
# to 28x28 by make-digits-idx.py) against the same network trained from scratch on the same 300,
# both evaluated on the held-out digits (the other 1,497); also fine-tuning every layer
# (--init-from without --freeze). Per seed S: the 300 are pick S and training seed S.
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
  "$CLI" train models/lenet5.json --data "$work/digits-$s" --out "$work/finetune-$s" --seed "$s" "${common[@]}" \
    --init-from models/zoo/lenet5.safetensors --freeze conv1,conv2 --fit-output | tail -n 1 > "$work/ft-$s.json"
  "$CLI" train models/lenet5.json --data "$work/digits-$s" --out "$work/all-$s" --seed "$s" "${common[@]}" \
    --init-from models/zoo/lenet5.safetensors --fit-output | tail -n 1 > "$work/fa-$s.json"
  "$CLI" train models/lenet5.json --data "$work/digits-$s" --out "$work/scratch-$s" --seed "$s" "${common[@]}" \
    | tail -n 1 > "$work/sc-$s.json"
  for m in ft fa sc; do
    "$PYTHON" -c 'import json,sys; j=json.load(open(sys.argv[1])); print("%s,%s,%.4f,%.1f" % (sys.argv[2], sys.argv[3], j["test_accuracy"], j["seconds"]))' \
      "$work/$m-$s.json" "$s" "$(case $m in ft) echo fine-tune-frozen-convs ;; fa) echo fine-tune-all ;; *) echo from-scratch ;; esac)" >> "$results"
  done
  tail -n 3 "$results"
done
"$PYTHON" - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for method in ("fine-tune-frozen-convs", "fine-tune-all", "from-scratch"):
    acc = [float(r["test_accuracy"]) for r in rows if r["method"] == method]
    sec = [float(r["seconds"]) for r in rows if r["method"] == method]
    print(f"{method}: median test accuracy {statistics.median(acc):.4f} over {len(acc)} seeds "
          f"(min {min(acc):.4f}, max {max(acc):.4f}); median {statistics.median(sec):.1f} s")
PY

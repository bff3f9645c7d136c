#!/usr/bin/env bash
# The README's main command: installs, builds (Release) and runs the main job.
# Today that is the headless demo: train LeNet-5 on Fashion-MNIST, then evaluate it and
# print the confusion matrix. Extra arguments go to `netcanvas-cli train`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
DATA=/usr/share/datasets/fashion-mnist
OUT=${OUT:-runs/lenet5-fashion-mnist}
echo
echo "== NetCanvas demo: LeNet-5 on Fashion-MNIST (run saved in $OUT) =="
./build/app/cli/netcanvas-cli info models/lenet5.json
./build/app/cli/netcanvas-cli train models/lenet5.json --data "$DATA" --out "$OUT" "$@"
echo
echo "== Evaluating the trained weights on the official test split =="
./build/app/cli/netcanvas-cli eval --weights "$OUT/weights.safetensors" --data "$DATA"

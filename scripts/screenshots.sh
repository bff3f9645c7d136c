#!/usr/bin/env bash
# Takes the README's screenshots under Xvfb (docs/screenshots/): the designer with LeNet-5,
# the Data tab on Fashion-MNIST, LeNet-5 training with live charts, and after one epoch of
# training the Inspect views: feature maps, the evaluation, a Grad-CAM explanation. Needs a
# Release build (build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
APP=./build/app/netcanvas
OUT=docs/screenshots
mkdir -p "$OUT"
run() { xvfb-run -a -s "-screen 0 1280x800x24" "$APP" "$@"; }
run --screenshot "$OUT/designer-lenet5.png" --after 3 models/lenet5.json
run --tab data --screenshot "$OUT/data.png" --after 6
run --train-on-start --screenshot "$OUT/training.png" --after "${TRAIN_SECONDS:-25}"
for view in maps evaluation explain; do
  run --train-on-start --epochs 1 --inspect "$view" --screenshot "$OUT/inspect-$view.png"
done
echo "screenshots in $OUT"

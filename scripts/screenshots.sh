#!/usr/bin/env bash
# Takes the README's screenshots under Xvfb (docs/screenshots/): the designer with LeNet-5,
# and LeNet-5 training on Fashion-MNIST with live charts. Needs a Release build (build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
APP=./build/app/netcanvas
OUT=docs/screenshots
mkdir -p "$OUT"
run() { xvfb-run -a -s "-screen 0 1280x800x24" "$APP" "$@"; }
run --screenshot "$OUT/designer-lenet5.png" --after 3 models/lenet5.json
run --train-on-start --screenshot "$OUT/training.png" --after "${TRAIN_SECONDS:-25}"
echo "screenshots in $OUT"

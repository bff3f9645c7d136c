#!/usr/bin/env bash
# Takes the README's screenshots under Xvfb (docs/screenshots/), at 1280×800 and (designer,
# training, feature maps) 1920×1080: the designer with LeNet-5,
# the Data tab on Fashion-MNIST, LeNet-5 training with live charts, and after one epoch of
# training the Inspect views: feature maps, the evaluation, a Grad-CAM explanation; then the
# Label mode's walk-through on 1,000 unlabeled Fashion-MNIST images (scripts/make-label-demo.py):
# the folder just opened, and after 300 labels and a training round, the unlabeled images
# least confident first. Needs a Release build (build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
APP=./build/app/netcanvas
OUT=docs/screenshots
mkdir -p "$OUT"
run() { xvfb-run -a -s "-screen 0 ${SCREEN:-1280x800}x24" "$APP" "$@"; }
run --screenshot "$OUT/designer-lenet5.png" --after 3 models/lenet5.json
run --tab data --screenshot "$OUT/data.png" --after 6
run --train-on-start --screenshot "$OUT/training.png" --after "${TRAIN_SECONDS:-25}"
for view in maps evaluation explain; do
  run --train-on-start --epochs 1 --inspect "$view" --screenshot "$OUT/inspect-$view.png"
done
# The same window on a 1920×1080 screen (the layout gives the extra room to the work).
SCREEN=1920x1080 run --screenshot "$OUT/designer-lenet5-1920.png" --after 3 models/lenet5.json
SCREEN=1920x1080 run --train-on-start --screenshot "$OUT/training-1920.png" --after "${TRAIN_SECONDS:-25}"
SCREEN=1920x1080 run --train-on-start --epochs 1 --inspect maps --screenshot "$OUT/inspect-maps-1920.png"
DEMO=$(mktemp -d)
trap 'rm -rf "$DEMO"' EXIT
python3 scripts/make-label-demo.py "$DEMO" 1000 >/dev/null
run --label "$DEMO/images" --screenshot "$OUT/label-start.png" --after 4
run --label "$DEMO/images" --label-demo "$DEMO/truth.csv:300" --label-round --screenshot "$OUT/label-round.png"
echo "screenshots in $OUT"

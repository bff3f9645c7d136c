#!/usr/bin/env bash
# The README's main command: installs, builds (Release) and runs the main job.
# With a display: the NetCanvas app on its default project (LeNet-5; Fashion-MNIST when the
# dataset package is installed, else the small sample dataset in resources/).
# Without a display (or with --headless): the headless demo — train LeNet-5 on
# Fashion-MNIST with netcanvas-cli, evaluate it and print the confusion matrix.
# Extra arguments go to `netcanvas-cli train` in the headless demo.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh

headless=0
if [ "${1:-}" = "--headless" ]; then headless=1; shift; fi
if [ $headless -eq 0 ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run.sh: no display found (DISPLAY is not set): running the headless demo instead of the app."
  headless=1
fi
if [ $headless -eq 0 ] && [ -x build/app/netcanvas ]; then
  exec ./build/app/netcanvas "$@"
fi

DATA=/usr/share/datasets/fashion-mnist
[ -d "$DATA" ] || DATA=resources/sample-fashion
OUT=${OUT:-runs/lenet5-demo}
echo
echo "== NetCanvas headless demo: LeNet-5 on $DATA (run saved in $OUT) =="
./build/app/cli/netcanvas-cli info models/lenet5.json
./build/app/cli/netcanvas-cli train models/lenet5.json --data "$DATA" --out "$OUT" "$@"
echo
echo "== Evaluating the saved weights on the test split =="
./build/app/cli/netcanvas-cli eval --weights "$OUT/weights.safetensors" --data "$DATA"

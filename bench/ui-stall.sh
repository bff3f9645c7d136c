#!/usr/bin/env bash
# The UI thread while the app trains LeNet-5 on Fashion-MNIST (the default project) under
# Xvfb: the longest gap between ticks of a 5 ms timer (target < 30 ms) and how often the
# charts refresh. Usage: bench/ui-stall.sh [SECONDS=20] [ROUNDS=3]. Needs a Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_=${1:-20}
ROUNDS=${2:-3}
for i in $(seq 1 "$ROUNDS"); do
  xvfb-run -a -s "-screen 0 1280x800x24" ./build/app/netcanvas --train-on-start --measure-ui "$SECONDS_" 2>/dev/null | grep '^ui:'
done

#!/usr/bin/env bash
# What live feature maps cost training: the app trains LeNet-5 on Fashion-MNIST for one
# epoch with and without the Feature Maps view in Live mode (redrawn from the newest
# weights every 300 ms), alternately, and prints the samples/s of each run and the ratio of
# the medians. Usage: bench/live-maps.sh [ROUNDS=3]. Needs a Release build and Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
run() { xvfb-run -a -s "-screen 0 1280x800x24" ./build/app/netcanvas --train-on-start --epochs 1 --report "$@" 2>/dev/null | grep '^run:'; }
off=() on=()
for i in $(seq 1 "$ROUNDS"); do
  line=$(run); echo "off: $line"; off+=("$(sed -E 's/run: ([0-9]+) samples.*/\1/' <<<"$line")")
  line=$(run --live-maps); echo "on:  $line"; on+=("$(sed -E 's/run: ([0-9]+) samples.*/\1/' <<<"$line")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mo=$(median "${off[@]}"); mn=$(median "${on[@]}")
awk -v o="$mo" -v n="$mn" 'BEGIN { printf "median samples/s: live off %d, live on %d: live maps cost %.1f%% of training throughput\n", o, n, 100 * (1 - n / o) }'

#!/usr/bin/env bash
# Soak: the app trains LeNet-5 on Fashion-MNIST (the default project) under Xvfb for MINUTES
# with the Training tab's charts and the Feature Maps view in Live mode open, printing the
# resident memory and the UI thread's longest stall every minute, then a summary. Memory must
# stay flat after a warm-up: the run fails (exit 1) when the resident size grows by more than
# BOUND_MB between the sample at WARMUP minutes and the last one, or any later sample exceeds
# that first one by more than BOUND_MB.
#   bench/soak.sh [MINUTES=60] [BOUND_MB=64] [WARMUP=5]     (needs a Release build and Xvfb; not CTest)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-60}
BOUND=${2:-64}
WARMUP=${3:-5}
[ "$WARMUP" -lt "$MINUTES" ] || WARMUP=$((MINUTES / 2))
log=$(mktemp)
trap 'rm -f "$log"' EXIT
xvfb-run -a -s "-screen 0 1280x800x24" ./build/app/netcanvas --train-on-start --epochs 100000 --tab training \
  --live-maps --measure-ui $((MINUTES * 60)) --soak-sample 60 2>/dev/null | tee "$log" | grep -E '^(soak|ui):'
awk -v bound="$BOUND" -v warm="$WARMUP" '
  /^soak:/ { t = $2 + 0; rss = $5 + 0; n++
             if (t >= warm * 60 && base == "") { base = rss; baseT = t }
             if (base != "" && rss - base > grow) grow = rss - base
             if (rss > peak) peak = rss; last = rss; lastT = t }
  /^ui:/   { stall = $4 }
  END {
    if (n < 2 || base == "") { print "soak: too few samples"; exit 1 }
    printf "soak summary: %d samples over %.0f min; resident %.1f MB at minute %.0f, %.1f MB at the end, peak %.1f MB; " \
           "growth after warm-up %.1f MB (bound %d MB); longest UI stall %s ms\n",
           n, lastT / 60, base, baseT / 60, last, peak, grow, bound, stall
    exit grow > bound ? 1 : 0
  }' "$log"

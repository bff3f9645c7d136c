#!/usr/bin/env bash
# Real-data check (not a CTest test: it takes minutes): trains each template with its own
# recipe on Fashion-MNIST and prints test accuracy and wall time.
# Usage: bench/realdata.sh [model ...]   (default: mlp lenet5 vgg-small)
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CLI:-./build/app/cli/netcanvas-cli}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(mlp lenet5 vgg-small)
printf '%-10s %8s %8s %10s %12s\n' model epochs test_acc wall_s samples/s
for m in "${models[@]}"; do
  start=$(date +%s.%N)
  line=$("$CLI" train "models/$m.json" --data "$DATA" --out "runs/realdata-$m" --json --quiet | tail -n 1)
  end=$(date +%s.%N)
  python3 - "$m" "$start" "$end" "$line" <<'PY'
import json, sys
m, s, e, line = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
j = json.loads(line)
print(f"{m:<10} {j['epochs']:>8} {100*j['test_accuracy']:>7.2f}% {e-s:>10.1f} {j['samples_per_second']:>12.0f}")
PY
done

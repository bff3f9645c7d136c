#!/usr/bin/env bash
# Trains the model zoo: each template of models/ on Fashion-MNIST with its own recipe (the
# model JSON's "training" block, seed 1), writes models/zoo/<name>.safetensors (self-contained:
# model, class names and normalization embedded) and records the official test split's
# accuracy in models/zoo/index.json, which the app reads (File > New from Template > Pretrained).
#
#   scripts/train-zoo.sh                  # mlp and lenet5 (the committed zoo)
#   scripts/train-zoo.sh vgg-small        # also vgg-small (1.9 MB of weights, ~10 min on 2 cores;
#                                         # not committed: the repository stays under 2 MB)
#   CLI=path/to/netcanvas-cli DATA=folder scripts/train-zoo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CLI:-build/app/cli/netcanvas-cli}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
PYTHON=/usr/bin/python3
[ -x "$CLI" ] || { echo "train-zoo.sh: $CLI not found: build first (scripts/build.sh)" >&2; exit 1; }
[ -d "$DATA" ] || { echo "train-zoo.sh: $DATA not found: install dataset-fashion-mnist (scripts/install-deps.sh)" >&2; exit 1; }

models=(mlp lenet5 "$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in "${models[@]}"; do
  [ -f "models/$m.json" ] || { echo "train-zoo.sh: no template models/$m.json" >&2; exit 1; }
  echo "== $m =="
  "$CLI" train "models/$m.json" --data "$DATA" --out "$work/$m" --json --quiet --threads 2 > "$work/$m.out"
  tail -n 1 "$work/$m.out" > "$work/$m.json-line"
  cp "$work/$m/weights.safetensors" "models/zoo/$m.safetensors"
  "$PYTHON" - "$m" "$work/$m.json-line" "models/$m.json" <<'PY'
import json, sys, os
name, line, model = sys.argv[1], sys.argv[2], sys.argv[3]
summary = json.load(open(line))
index_path = "models/zoo/index.json"
index = json.load(open(index_path)) if os.path.exists(index_path) else {"format": "netcanvas-zoo", "version": 1, "models": []}
recipe = json.load(open(model)).get("training", {})
entry = {
    "name": name,
    "template": f"{name}.json",
    "weights": f"{name}.safetensors",
    "dataset": "Fashion-MNIST",
    "classes": 10,
    "test_accuracy": round(summary["test_accuracy"], 4),
    "epochs": summary.get("epochs", recipe.get("epochs")),
    "seed": recipe.get("seed", 1),
    "command": f"scripts/train-zoo.sh (netcanvas-cli train models/{name}.json --data fashion-mnist)",
}
index["models"] = [e for e in index["models"] if e["name"] != name] + [entry]
index["models"].sort(key=lambda e: e["name"])
with open(index_path + ".tmp", "w") as f:
    json.dump(index, f, indent=2)
    f.write("\n")
os.replace(index_path + ".tmp", index_path)
print(f"{name}: test accuracy {entry['test_accuracy']:.4f}")
PY
done

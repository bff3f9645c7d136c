#!/usr/bin/env bash
# Sequences and numbers on real data (docs/datasets.md, "Sequences"): the issue's checks, each
# over several seeds, with the medians printed at the end.
#   1. lstm-forecast on statsmodels' weekly Mauna Loa co2 (a series with a trend and a yearly
#      cycle; 59 empty cells interpolated), the test part being its last 20 % in time, against
#      the naive last-value forecast of the same test windows;
#   2. gru-text and conv1d-text on four categories of the fortune package's cookies
#      (computers, definitions, songs-poems, zippy), against the majority class of the test split;
#   3. mlp-regression on scikit-learn's diabetes (442 patients, 10 features; the target, one
#      year's disease progression, written as the first column "progression"): R² on the test split.
#
#   scripts/sequence-checks.sh [SEEDS...]      # default: 1 2 3
#   CLI=path/to/netcanvas-cli scripts/sequence-checks.sh
# Needs python3-statsmodels, fortunes and python3-sklearn (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CLI:-build/app/cli/netcanvas-cli}
PYTHON=/usr/bin/python3
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
[ -x "$CLI" ] || { echo "sequence-checks.sh: $CLI not found: build first (scripts/build.sh)" >&2; exit 1; }
datasets=$("$PYTHON" -c 'import os, statsmodels; print(os.path.dirname(statsmodels.__file__))')/datasets
co2=$datasets/co2/co2.csv
[ -f "$co2" ] || { echo "sequence-checks.sh: $co2 missing: apt-get install python3-statsmodels" >&2; exit 1; }
fortunes=/usr/share/games/fortunes
for f in computers definitions songs-poems zippy; do
  [ -f "$fortunes/$f" ] || { echo "sequence-checks.sh: $fortunes/$f missing: apt-get install fortunes" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The fortunes as "category<TAB>text" lines (a cookie's lines joined; '%' separates cookies).
"$PYTHON" - "$fortunes" "$work/fortunes.txt" <<'PY'
import sys
root, out = sys.argv[1], sys.argv[2]
with open(out, "w", encoding="utf-8") as o:
    for cat in ("computers", "definitions", "songs-poems", "zippy"):
        text = open(f"{root}/{cat}", encoding="utf-8", errors="replace").read()
        for cookie in text.split("\n%\n"):
            words = " ".join(cookie.replace("\t", " ").split())
            if words and words != "%":
                o.write(f"{cat}\t{words}\n")
PY
# Diabetes as a CSV with the target first, by name.
"$PYTHON" - "$work/diabetes.csv" <<'PY'
import csv, gzip, os, sys, sklearn
base = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data")
rows = [l.split() for l in gzip.open(os.path.join(base, "diabetes_data_raw.csv.gz"), "rt")]
target = [float(l) for l in gzip.open(os.path.join(base, "diabetes_target.csv.gz"), "rt") if l.strip()]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["progression", "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"])
    for t, r in zip(target, rows):
        w.writerow([t] + r)
PY

results=$work/results.csv
echo "check,seed,metric,value,baseline,seconds" > "$results"
json() { "$PYTHON" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(",".join(str(j.get(k)) for k in sys.argv[2:]))' "$@"; }
common=(--threads 2 --json --quiet)
for s in "${seeds[@]}"; do
  "$CLI" train models/lstm-forecast.json --data "$co2" --task series --target co2 --differences --seed "$s" \
    --out "$work/co2-$s" "${common[@]}" | tail -n 1 > "$work/co2-$s.json"
  echo "co2-lstm-forecast,$s,test_rmse,$(json "$work/co2-$s.json" test_rmse naive_test_rmse seconds)" >> "$results"
  for m in gru-text conv1d-text; do
    "$CLI" train "models/$m.json" --data "$work/fortunes.txt" --task text --seed "$s" \
      --out "$work/$m-$s" "${common[@]}" | tail -n 1 > "$work/$m-$s.json"
    majority=$("$PYTHON" -c 'import json,sys; c=json.load(open(sys.argv[1]))["confusion"]["matrix"]; t=[sum(r) for r in c]; print(max(t)/sum(t))' "$work/$m-$s/metrics.json")
    echo "fortunes-$m,$s,test_accuracy,$(json "$work/$m-$s.json" test_accuracy),$majority,$(json "$work/$m-$s.json" seconds)" >> "$results"
  done
  "$CLI" train models/mlp-regression.json --data "$work/diabetes.csv" --task regression --target progression --test-fraction 0.2 \
    --seed "$s" --out "$work/diabetes-$s" "${common[@]}" | tail -n 1 > "$work/diabetes-$s.json"
  echo "diabetes-mlp-regression,$s,test_r2,$(json "$work/diabetes-$s.json" test_r2),,$(json "$work/diabetes-$s.json" seconds)" >> "$results"
  echo "diabetes-mlp-regression,$s,test_rmse,$(json "$work/diabetes-$s.json" test_rmse),,$(json "$work/diabetes-$s.json" seconds)" >> "$results"
  tail -n 5 "$results"
done
"$PYTHON" - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("\nmedians over seeds %s:" % sorted({r["seed"] for r in rows}))
for key in dict.fromkeys((r["check"], r["metric"]) for r in rows):
    sel = [r for r in rows if (r["check"], r["metric"]) == key]
    value = statistics.median(float(r["value"]) for r in sel)
    base = [float(r["baseline"]) for r in sel if r["baseline"] not in ("", "None")]
    secs = statistics.median(float(r["seconds"]) for r in sel)
    line = "  %-26s %-13s %.4f" % (key[0], key[1], value)
    if base:
        b = statistics.median(base)
        line += "   baseline %.4f (%s)" % (b, "naive last value" if key[1] == "test_rmse" else "majority class")
        line += "   ratio %.3f" % (value / b)
    print(line + "   %.1f s" % secs)
PY

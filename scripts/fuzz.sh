#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.cpp) with clang-14 under AddressSanitizer and
# UndefinedBehaviorSanitizer (scripts/asan-build.sh: build-asan/, shared with
# scripts/sanitize.sh) and runs each for a bounded time, targets in parallel over the cores.
#   scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# Corpus of a target: fuzz/regressions/<target>/ (committed: seeds and every input that once
# failed) plus the repository's own files of that kind, copied into build-asan/fuzz-corpus/<target>/
# where new coverage accumulates. A crash, leak, sanitizer report, timeout (10 s) or an
# allocation over 2 GB fails the run; the input is saved as build-asan/fuzz-findings/<target>/*:
# fix the bug, then copy the input into fuzz/regressions/<target>/ (CTest then replays it in
# tests/engine/test_fuzz_regressions). Prints executions and coverage per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
BUILD=${ASAN_BUILD_DIR:-build-asan}
./scripts/asan-build.sh netcanvas_fuzzers

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp | sed 's/^fuzz_//')"); done
fi

# The repository's own files of each kind join the committed corpus.
seed() {
  local t=$1 dir=$BUILD/fuzz-corpus/$1
  mkdir -p "$dir" "$BUILD/fuzz-findings/$t"
  cp -n fuzz/regressions/"$t"/* "$dir"/ 2>/dev/null || true
  case $t in
    model_json) cp -n models/*.json "$dir"/ ;;
    image) find resources -name '*.png' | head -20 | while read -r f; do cp -n "$f" "$dir/$(echo "$f" | tr / _)"; done ;;
    onnx) # ONNX's own small models (libonnx-testdata), when installed
      find /usr/share/libonnx-testdata/data/pytorch-converted /usr/share/libonnx-testdata/data/pytorch-operator \
        -name model.onnx -size -64k 2>/dev/null | while read -r f; do
        cp -n "$f" "$dir/$(basename "$(dirname "$f")").onnx"
      done ;;
  esac
}

run() {
  local t=$1 log=$BUILD/fuzz-$1.log
  seed "$t"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$BUILD/fuzz/fuzz_$t" "$BUILD/fuzz-corpus/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-findings/$t/" >"$log" 2>&1
  echo $? >"$BUILD/fuzz-$t.rc"
}

status=0
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 1; done
  rm -f "$BUILD/fuzz-$t.rc"
  (set +e; run "$t") &
done
wait

printf '%-12s %12s %8s %8s  %s\n' target executions cov ft result
for t in "${targets[@]}"; do
  log=$BUILD/fuzz-$t.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  result=ok
  if [ "$(cat "$BUILD/fuzz-$t.rc" 2>/dev/null)" != 0 ]; then result="FAILED (see $log, $BUILD/fuzz-findings/$t/)"; status=1; fi
  printf '%-12s %12s %8s %8s  %s\n' "$t" "$execs" "$cov" "$ft" "$result"
done
exit $status

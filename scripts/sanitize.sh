#!/usr/bin/env bash
# The engine test suite (tests/engine, the CLI tests) under AddressSanitizer and
# UndefinedBehaviorSanitizer: built by scripts/asan-build.sh into build-asan/ (clang-14; no app,
# no widgets, no CUDA plugin, no benchmarks) and run by CTest. Any sanitizer report fails its
# test (halt_on_error), a leak too. Used by CI (.ci/run) after the test command.
#   scripts/sanitize.sh [ctest -R regex, default: engine/ and app/test_cli]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD_DIR:-build-asan}
mapfile -t targets < <(cd tests && ls engine/test_*.cpp app/test_cli*.cpp | xargs -n1 basename | sed 's/\.cpp$//' \
  | grep -v '^test_cudnn_descriptors$')
./scripts/asan-build.sh "${targets[@]}"
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$BUILD" --output-on-failure --timeout 900 -j "$(nproc)" -R "${1:-^(engine/|app/test_cli)}"

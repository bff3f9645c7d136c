#!/usr/bin/env bash
# The engine test suite (tests/engine, the CLI tests) built with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-asan/: no app, no widgets, no CUDA plugin, no
# benchmarks. Any sanitizer report fails its test (halt_on_error). Used by CI after CTest.
#   scripts/sanitize.sh [ctest -R regex, default: engine/ and app/test_cli]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD_DIR:-build-asan}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNETCANVAS_BUILD_APP=OFF -DNETCANVAS_BUILD_BENCH=OFF -DNETCANVAS_CUDA=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
fi
mapfile -t targets < <(cd tests && ls engine/test_*.cpp app/test_cli*.cpp | xargs -n1 basename | sed 's/\.cpp$//' \
  | grep -v '^test_cudnn_descriptors$')
cmake --build "$BUILD" --parallel "$(nproc)" --target "${targets[@]}"
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$BUILD" --output-on-failure --timeout 900 -j "$(nproc)" -R "${1:-^(engine/|app/test_cli)}"

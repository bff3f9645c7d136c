#!/usr/bin/env bash
# The one sanitizer build behind scripts/sanitize.sh and scripts/fuzz.sh: clang-14 with
# AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer's coverage instrumentation
# (-fsanitize=fuzzer-no-link) in build-asan/, configured on first use. It holds the engine, the
# CLI, the engine and CLI tests and the fuzz targets (no app, widgets, CUDA or benchmarks): the
# engine is compiled once for both scripts, which halves their cold build in CI.
#   scripts/asan-build.sh TARGET...
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD_DIR:-build-asan}
CC=${ASAN_CC:-clang-14}
CXX=${ASAN_CXX:-clang++-14}
command -v "$CXX" >/dev/null || { echo "asan-build: $CXX not found (scripts/install-deps.sh installs clang-14)" >&2; exit 1; }
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  # -O1: what ASan's documentation recommends (fast enough tests, a shorter compile than -O2);
  # line tables only: file and line in every report's stack.
  CC=$CC CXX=$CXX cmake -S . -B "$BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DNETCANVAS_FUZZ=ON -DNETCANVAS_BUILD_APP=OFF -DNETCANVAS_BUILD_BENCH=OFF -DNETCANVAS_CUDA=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
fi
cmake --build "$BUILD" --parallel "$(nproc)" --target "$@"

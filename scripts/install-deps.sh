#!/usr/bin/env bash
# Installs every Debian 12 package NetCanvas needs to build, test and run. Idempotent:
# when everything is present it does nothing (no network).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  # the format check (scripts/check-format.sh, part of the test suite)
  clang-format git
  # engine
  libeigen3-dev nlohmann-json3-dev libcli11-dev zlib1g-dev
  # the inference service (engine/serve, netcanvas-cli serve)
  libcpp-httplib-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  # ONNX export and import (engine/interop): protoc compiles onnx.proto of libonnx-dev
  libprotobuf-dev protobuf-compiler libonnx-dev
  # ONNX checks in the tests: OpenCV's dnn reads our exports; ONNX's conformance data; the
  # checker, torch.onnx.export and the exported PyTorch code under /usr/bin/python3
  libopencv-dnn-dev libonnx-testdata python3-onnx python3-torch python3-numpy
  # data-parallel training (engine/distributed, train --distributed; optional at build time:
  # without it --distributed says it is unavailable) and its mpirun tests
  libopenmpi-dev openmpi-bin
  # engine GEMMs (optional at build time: without it the engine falls back to Eigen)
  libopenblas-dev
  # GUI and tests (Qt 6; libqt6opengl6-dev is needed by Qt Charts' CMake config)
  qt6-base-dev libqt6opengl6-dev qt6-charts-dev qt6-svg-dev
  # headless GUI runs and screenshots
  xvfb xauth x11-utils xdotool
  # fuzzing (scripts/fuzz.sh: libFuzzer, ASan, UBSan) in CI
  clang-14 libclang-rt-14-dev
  # real data for the demo, checks and benchmarks
  dataset-fashion-mnist
  # the transfer-learning measurement (scripts/transfer-digits.sh: sklearn's 8x8 digits, numpy),
  # PyTorch cross-checks (tests/engine/test_torch_sequence) and bench/compare_pytorch.py
  python3 python3-sklearn python3-numpy python3-torch
  # sequences and numbers (scripts/sequence-checks.sh): statsmodels' time series (co2),
  # the fortune packages' categorized texts, sklearn's diabetes (above)
  python3-statsmodels fortunes
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root; run as root" >&2; exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

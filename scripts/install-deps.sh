#!/usr/bin/env bash
# Installs the Debian packages qnt needs to build and test. Idempotent and
# quiet when everything is already there. Run as root (or with sudo).
set -euo pipefail

packages=(
  # toolchain: LLVM/MLIR 22, clang, lit/FileCheck, Ninja, ccache
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22
  # OpenMP runtime for libraries compiled with parallel=True (threads)
  libomp-22-dev
  cmake ninja-build ccache
  # C++ unit tests
  libgtest-dev
  # Python front end and its tests
  python3 python3-numpy python3-onnx python3-pytest
  # plots of the equalization report (docs/equalization-results.md)
  python3-matplotlib
  # real data: Fashion-MNIST and ONNX's operator conformance tests
  dataset-fashion-mnist libonnx-testdata
  # real photos for BlazeFace
  python3-skimage python3-pil
)
# node + npm run onnxruntime (npm) as the reference runtime. The machine image
# may ship its own Node.js (with npm); only fall back to Debian's otherwise.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
qnt_apt_install install-deps.sh "${packages[@]}"

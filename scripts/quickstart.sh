#!/usr/bin/env bash
# README's first command: install what qnt needs (Debian packages), build it,
# and run the main job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
# The main job: quantize the bundled Fashion-MNIST model (recipe
# w8a8-per-channel, 1000 calibration images), compile it to an integer-only
# library and report its accuracy next to the fp32 library's on the 10k test
# images (top-1, agreement, size, latency, per-layer SQNR).
out="$root/build/quickstart"
echo "== python3 -m qnt quantize models/fmnist_mobilenet.onnx -o build/quickstart"
PYTHONPATH="$root/python" /usr/bin/python3 -m qnt quantize \
  "$root/models/fmnist_mobilenet.onnx" -o "$out"
# A small look at the qnt dialect: canonicalization and upstream interop.
echo "== qnt-opt --canonicalize examples/quant-interop.mlir"
"$root/build/bin/qnt-opt" --canonicalize "$root/examples/quant-interop.mlir"

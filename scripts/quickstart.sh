#!/usr/bin/env bash
# README's first command: install what qnt needs (Debian packages), build it,
# and run the main job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
# The main job: compile the bundled Fashion-MNIST model with qnt and evaluate
# it on the full 10k test set (fp32 top-1, images/s).
echo "== python3 -m qnt eval (models/fmnist_mobilenet.onnx, 10k test images)"
PYTHONPATH="$root/python" /usr/bin/python3 -m qnt eval
# A small look at the qnt dialect: canonicalization and upstream interop.
echo "== qnt-opt --canonicalize examples/quant-interop.mlir"
"$root/build/bin/qnt-opt" --canonicalize "$root/examples/quant-interop.mlir"

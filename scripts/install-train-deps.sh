#!/bin/bash
# Packages needed only to RETRAIN models/fmnist_mobilenet.onnx with
# scripts/train_fmnist.py: Debian's PyTorch (1.13, CPU, ~580 MB installed).
# CI and normal use of qnt do not need it.  Idempotent; quiet when installed.
set -euo pipefail
PKGS=(python3-torch python3-numpy python3-onnx dataset-fashion-mnist)
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
qnt_apt_install install-train-deps.sh "${PKGS[@]}"

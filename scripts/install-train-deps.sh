#!/bin/bash
# Packages needed only to RETRAIN models/fmnist_mobilenet.onnx with
# scripts/train_fmnist.py: Debian's PyTorch (1.13, CPU, ~580 MB installed).
# CI and normal use of qnt do not need it.  Idempotent; quiet when installed.
set -euo pipefail
PKGS=(python3-torch python3-numpy python3-onnx dataset-fashion-mnist)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO=sudo
echo "install-train-deps.sh: installing ${missing[*]}" >&2
$SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null

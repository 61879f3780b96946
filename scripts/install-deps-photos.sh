#!/bin/bash
# Real photos for BlazeFace inputs (qnt.photos) and the decoders they need:
#   python3-skimage  skimage/data/*.png|jpg (astronaut, camera, coffee, chelsea, ...)
#   python3-pil      PNG + JPEG decoding
#   darknet          /usr/share/darknet/data/*.jpg (person, kite, scream, dog, ...);
#                    optional (it pulls in OpenCV): skip it with --no-darknet
# Idempotent; quiet when everything is installed.
set -euo pipefail
PKGS=(python3-skimage python3-pil)
[[ "${1:-}" == "--no-darknet" ]] || PKGS+=(darknet)
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
qnt_apt_install install-deps-photos.sh "${PKGS[@]}"

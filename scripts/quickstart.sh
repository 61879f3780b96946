#!/usr/bin/env bash
# README's first command: install what qnt needs (Debian packages), build it,
# and run the main job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
opt="$root/build/bin/qnt-opt"
example="$root/examples/quant-interop.mlir"
echo "== qnt-opt --canonicalize examples/quant-interop.mlir"
"$opt" --canonicalize "$example"
echo "== qnt-opt --qnt-strip-stats --qnt-export-quant examples/quant-interop.mlir"
"$opt" --qnt-strip-stats --qnt-export-quant "$example"

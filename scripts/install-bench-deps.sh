#!/bin/bash
# Packages needed only by the benchmarks in bench/ that compare with other
# libraries: oneDNN (Debian libdnnl-dev 2.6) for bench/gemm.py, and perf
# (linux-perf) for bench/layers.py's per-op profiles. CI and normal use of
# qnt do not need them. Idempotent; quiet when installed.
set -euo pipefail
PKGS=(libdnnl-dev linux-perf)
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
qnt_apt_install install-bench-deps.sh "${PKGS[@]}"

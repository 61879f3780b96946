#!/bin/bash
# Packages needed only by the benchmarks in bench/ that compare with other
# libraries: oneDNN (Debian libdnnl-dev 2.6) for bench/gemm.py, perf
# (linux-perf) for bench/layers.py's per-op profiles, and networkx
# (python3-networkx: maximum matchings) for bench/maddubs_pairs.py. CI and
# normal use of qnt do not need them. Idempotent; quiet when installed.
set -euo pipefail
PKGS=(libdnnl-dev linux-perf python3-networkx)
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
qnt_apt_install install-bench-deps.sh "${PKGS[@]}"

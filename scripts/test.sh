#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is
# missing, builds with warnings as errors, runs ctest, then runs ctest again
# in an ASan+UBSan build, then briefly runs each fuzzer.
#   FUZZ_SECONDS=N   seconds per fuzzer (default 10; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-deps.sh

jobs=$(nproc)
echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== ASan+UBSan build"
cmake -S . -B build-asan -DSIGNET_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

if [ "${FUZZ_SECONDS:-10}" != 0 ]; then
  echo "== fuzzers"
  ./scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
fi
echo "== all tests passed"

#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang-14, ASan+UBSan) and runs each for
# SECONDS (default 60) on a copy of its seed corpus. Exit non-zero on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
CC=clang-14 cmake -S . -B build-fuzz -DSIGNET_FUZZ=ON -DSIGNET_TESTS=OFF -DSIGNET_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(sed -n 's/^signet_fuzzer(\([a-z0-9_]*\).*/fuzz_\1/p' fuzz/CMakeLists.txt)
bin="$PWD/build-fuzz/fuzz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for name in $(sed -n 's/^signet_fuzzer(\([a-z0-9_]*\).*/\1/p' fuzz/CMakeLists.txt); do
  mkdir -p "$work/$name"
  [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$work/$name/"
  echo "fuzz_$name: ${seconds}s"
  (cd "$work" && "$bin/fuzz_$name" -max_total_time="$seconds" \
     -print_final_stats=0 "$work/$name" 2>"$work/$name.log") || {
    tail -40 "$work/$name.log"; echo "fuzz_$name: FAILED" >&2; exit 1; }
done

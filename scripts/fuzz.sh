#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang-14, ASan+UBSan) and runs each for
# SECONDS (default 60) on a copy of its seed corpus and its past crash
# inputs (fuzz/regressions/NAME). Exit non-zero on a crash, whose input is
# copied into fuzz/regressions/NAME/ (replayed by ctest from then on: add
# its README line and commit it with the fix). Harness names after SECONDS
# run only those.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
all=$(sed -n 's/^signet_fuzzer(\([a-z0-9_]*\).*/\1/p' fuzz/CMakeLists.txt)
names=${*:-$all}
CC=clang-14 cmake -S . -B build-fuzz -DSIGNET_FUZZ=ON -DSIGNET_TESTS=OFF -DSIGNET_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(printf 'fuzz_%s ' $names)
bin="$PWD/build-fuzz/fuzz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for name in $names; do
  mkdir -p "$work/$name" "$work/$name.out"
  for d in "fuzz/corpus/$name" "fuzz/regressions/$name"; do
    [ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name README -exec cp {} "$work/$name/" \;
  done
  echo "fuzz_$name: ${seconds}s"
  (cd "$work" && "$bin/fuzz_$name" -max_total_time="$seconds" -print_final_stats=0 \
     -artifact_prefix="$work/$name.out/" "$work/$name" 2>"$work/$name.log") || {
    tail -40 "$work/$name.log"
    mkdir -p "fuzz/regressions/$name"
    for f in "$work/$name.out"/*; do
      [ -f "$f" ] || continue
      cp "$f" "fuzz/regressions/$name/"
      echo "fuzz_$name: input saved as fuzz/regressions/$name/$(basename "$f") (add its README line)" >&2
    done
    echo "fuzz_$name: FAILED" >&2
    exit 1
  }
done

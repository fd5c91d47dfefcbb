#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is
# missing, builds with warnings as errors, runs ctest, then runs ctest again
# in an ASan+UBSan build, then the threaded tests under ThreadSanitizer,
# then briefly runs each fuzzer. Between: static analysis (cppcheck,
# clang-tidy) and the integration tests under valgrind (docs/assurance.md).
# Every stage runs even when an earlier one failed (a stage whose build
# failed is skipped); a summary of all stages ends the output, and the exit
# status is non-zero when any stage failed.
#   FUZZ_SECONDS=N   seconds per fuzzer (default 10; 0 skips fuzzing)
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-deps.sh || { echo "test.sh: setup-deps failed" >&2; exit 3; }

jobs=$(nproc)
summary=()
failed=0
# stage NAME COMMAND...: runs one stage, records its outcome.
stage() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  if "$@"; then
    summary+=("PASS  $name ($((SECONDS - start)) s)")
    return 0
  fi
  summary+=("FAIL  $name ($((SECONDS - start)) s)")
  failed=1
  return 1
}
skip() { summary+=("SKIP  $1 (${2})"); }

build_release() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNET_WERROR=ON >/dev/null &&
    cmake --build build -j"$jobs"
}
build_asan() {
  cmake -S . -B build-asan -DSIGNET_SANITIZE=ON -DSIGNET_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
    >/dev/null &&
    cmake --build build-asan -j"$jobs"
}
test_asan() {
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"
}

if stage "release build" build_release; then
  stage "tests" ctest --test-dir build --output-on-failure -j"$jobs"
  # cppcheck and clang-tidy over the release build's compile_commands.json.
  stage "static analysis" ./scripts/static-analysis.sh build
  # The integration tests labelled valgrind, signet under memcheck.
  stage "integration tests under valgrind" ./scripts/valgrind.sh build
else
  skip "tests" "release build failed"
  skip "static analysis" "release build failed"
  skip "integration tests under valgrind" "release build failed"
fi
if stage "ASan+UBSan build" build_asan; then
  stage "tests under ASan+UBSan" test_asan
else
  skip "tests under ASan+UBSan" "ASan+UBSan build failed"
fi
# Threads: the tests labelled tsan (libraries used from several threads of
# one process, as the station does) under ThreadSanitizer.
build_tsan() {
  cmake -S . -B build-tsan -DSIGNET_TSAN=ON -DSIGNET_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
    >/dev/null && cmake --build build-tsan -j"$jobs"
}
test_tsan() {
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/common/tsan-softhsm.supp \
    ctest --test-dir build-tsan -L tsan --no-tests=error --output-on-failure -j"$jobs"
}
if stage "ThreadSanitizer build" build_tsan; then
  stage "threaded tests under ThreadSanitizer" test_tsan
else
  skip "threaded tests under ThreadSanitizer" "ThreadSanitizer build failed"
fi

if [ "${FUZZ_SECONDS:-10}" != 0 ]; then
  stage "fuzzers (${FUZZ_SECONDS:-10} s each)" ./scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
else
  skip "fuzzers" "FUZZ_SECONDS=0"
fi

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "== some stages FAILED" >&2
  exit 1
fi
echo "== all tests passed"

#!/usr/bin/env bash
# The integration tests labelled "valgrind" (tests/CMakeLists.txt says which
# and why), with every signet run under valgrind's memcheck
# (tests/common/valgrind-signet.sh; SoftHSM2's known leak suppressed by
# tests/common/valgrind-softhsm.supp). Fails when a test fails (a memory
# error or definite leak makes signet exit 99, which no test expects) or
# when any run's report is not empty (also the runs whose status a test
# ignores). The build should be a release one (no sanitizers).
#   scripts/valgrind.sh [BUILD_DIR]   (default: build, already built)
#   JOBS=N   tests run at once (default: the CPUs)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind not found (scripts/setup-deps.sh)" >&2; exit 3; }
reports=$(mktemp -d /tmp/signet-valgrind-XXXXXX)
SIGNET_VALGRIND=$reports ctest --test-dir "$build" -L valgrind --no-tests=error --output-on-failure \
  -j"${JOBS:-$(nproc)}"
rc=$?
runs=$(find "$reports" -name 'signet.*.log' | wc -l)
dirty=$(find "$reports" -name 'signet.*.log' -size +0)
if [ -n "$dirty" ]; then
  for f in $dirty; do
    echo "== $f"
    head -n 60 "$f"
  done
  echo "valgrind.sh: $(wc -w <<<"$dirty") of $runs signet runs reported errors or leaks (reports kept in $reports)" >&2
  exit 1
fi
rm -rf "$reports"
echo "valgrind.sh: $runs signet runs, no memory errors or definite leaks"
exit "$rc"

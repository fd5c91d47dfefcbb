#!/usr/bin/env bash
# Library code keeps no state in function-level statics: a long-running
# process (the station) calls it from several threads at once, so buffers
# are the caller's or allocated per call. Constant tables, atomics and
# _Thread_local are fine. Fails naming each offending line.
#   check_statics.sh [SOURCE_DIR]
set -euo pipefail
src=${1:-${SIGNET_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}}
cd "$src"
n=$(ls common/*.c formats/*.c hsm/*.c pki/*.c sign/*.c ledger/*.c provision/*.c provision/agent/*.c | wc -l)
[ "$n" -gt 20 ] || { echo "statics: only $n library sources found in $src" >&2; exit 1; }
bad=$(grep -nE '^[[:space:]]+static[[:space:]]' common/*.c formats/*.c hsm/*.c pki/*.c sign/*.c ledger/*.c provision/*.c provision/agent/*.c |
  grep -vE 'static[[:space:]]+(const|_Thread_local|atomic_)' || true)
if [ -n "$bad" ]; then
  printf '%s\n' "$bad" | sed 's/^/statics: function-level static state: /' >&2
  exit 1
fi
echo "statics: $n library sources, no function-level static state"

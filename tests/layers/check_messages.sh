#!/usr/bin/env bash
# Library messages name what is wrong, never a front end's options: a
# library error about a caller's parameter names it with sg_errf_param
# (include/signet/err.h) and the CLI adds its option (cli/util.c,
# param_flags). Fails naming each library string literal that holds an
# option (" --word", "(--word" or a literal that starts with "--word").
#   check_messages.sh [SOURCE_DIR]
set -euo pipefail
src=${1:-${SIGNET_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}}
cd "$src"
files=(common/*.c formats/*.c hsm/*.c pki/*.c sign/*.c ledger/*.c provision/*.c)
n=0
for f in "${files[@]}"; do [ -e "$f" ] && n=$((n + 1)); done
[ "$n" -gt 20 ] || { echo "messages: only $n library sources found in $src" >&2; exit 1; }
# Comment lines (" * ...", "/* ...", "// ...") may mention options.
bad=$(grep -nE '"([^"\\]|\\.)*([ (]|")--[A-Za-z]' "${files[@]}" 2>/dev/null |
  grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' || true)
if [ -n "$bad" ]; then
  printf '%s\n' "$bad" | sed 's/^/messages: a library string names a CLI option: /' >&2
  exit 1
fi
echo "messages: $n library sources, no CLI option in a string"

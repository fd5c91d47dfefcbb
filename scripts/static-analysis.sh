#!/usr/bin/env bash
# Static analysis of signet's own C sources (cli/ common/ formats/ hsm/
# ledger/ pki/ provision/ sign/; not tests/, fuzz/ or bench/): cppcheck
# (config: .cppcheck/suppressions.txt) and clang-tidy (config: .clang-tidy),
# both driven by the build's compile_commands.json. Prints every finding and
# exits 1 if there is any (the goal is zero: fix the code, or suppress a false
# positive at its line with the reason; docs/assurance.md says how); exits 3
# when a tool is missing or the build cannot be configured.
#   scripts/static-analysis.sh [BUILD_DIR]   (default: build; configured
#   here when it has no compile_commands.json yet)
#   JOBS=N   parallel analyser processes (default: the CPUs)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=${JOBS:-$(nproc)}
for tool in cppcheck clang-tidy-14 jq; do
  command -v "$tool" >/dev/null || { echo "static-analysis: $tool not found (scripts/setup-deps.sh)" >&2; exit 3; }
done
if [ ! -f "$build/compile_commands.json" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNET_WERROR=ON >/dev/null ||
    { echo "static-analysis: cannot configure $build" >&2; exit 3; }
fi
work=$(mktemp -d /tmp/signet-analysis-XXXXXX)
trap 'rm -rf "$work"' EXIT

# The compile commands of our sources, one per file (a source built into two
# targets has the same flags in both).
src=$PWD
jq --arg src "$src/" '[.[] | select(.file | startswith($src) and
    (ltrimstr($src) | test("^(cli|common|formats|hsm|ledger|pki|provision|sign)/.*\\.c$")))]
  | unique_by(.file)' "$build/compile_commands.json" >"$work/compile_commands.json"
n=$(jq length "$work/compile_commands.json")
[ "$n" -gt 50 ] || { echo "static-analysis: only $n sources in $build/compile_commands.json" >&2; exit 3; }
jq -r '.[].file' "$work/compile_commands.json" >"$work/files"

# Both analyse the code as written, not glibc's fortified wrappers of it.
start=$SECONDS
cppcheck --project="$work/compile_commands.json" -j"$jobs" -U_FORTIFY_SOURCE \
  --enable=warning,style,performance,portability --library=posix,gnu,openssl,sqlite3,.cppcheck/jansson.cfg \
  --inline-suppr --suppressions-list=.cppcheck/suppressions.txt --quiet \
  --template='{file}:{line}:{column}: {severity}: {message} [{id}]' >"$work/cppcheck" 2>&1
cppcheck_rc=$?
echo "static-analysis: cppcheck, $n files, $((SECONDS - start)) s"
start=$SECONDS
# clang-tidy prints a finding in a header once per file including it.
xargs -P"$jobs" -n2 clang-tidy-14 -p "$work" --quiet --extra-arg=-U_FORTIFY_SOURCE \
  <"$work/files" >"$work/tidy" 2>"$work/tidy.err"
tidy_rc=$?
echo "static-analysis: clang-tidy, $n files, $((SECONDS - start)) s"

findings=$( (grep -E '^[^ ].*: (error|warning|style|performance|portability|information): ' "$work/cppcheck";
  grep -E '^/.*: (warning|error): ' "$work/tidy") | sed "s|^$src/||" | sort -u)
if [ -n "$findings" ]; then
  printf '%s\n' "$findings"
  echo "static-analysis: $(grep -c . <<<"$findings") findings" >&2
  exit 1
fi
# A tool that failed without a finding in the format above (a crash, a bad
# configuration) must not pass silently.
if [ "$cppcheck_rc" -ne 0 ] || [ "$tidy_rc" -ne 0 ] || grep -q 'error:' "$work/tidy.err"; then
  cat "$work/cppcheck" "$work/tidy.err" >&2
  echo "static-analysis: an analyser failed (cppcheck $cppcheck_rc, clang-tidy $tidy_rc)" >&2
  exit 3
fi
echo "static-analysis: no findings"

#!/usr/bin/env bash
# What the container image runs, without an engine: `cmake --install --strip`
# of the build tree into a temp prefix (the Dockerfile's install), checks the
# installed binaries carry no symbols or debug info, then runs the image's
# smoke script (scripts/container-smoke.sh) with that signet as a non-root
# user (nobody, through setpriv, when the test runs as root), with SoftHSM2.
# Also checks that the smoke script fails when a step fails.
#   test_container_smoke.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
src=$(cd "$SIGNET_SOURCE_DIR" && pwd)
smoke="$src/scripts/container-smoke.sh"

# The prefix and the smoke script must be readable by the unprivileged user.
chmod 755 "$T"
prefix="$T/prefix"
cmake --install "$build" --prefix "$prefix" --strip >"$T/install.log" || { bad "cmake --install --strip failed"; finish; }
cp "$smoke" "$T/container-smoke.sh"
chmod -R a+rX "$prefix" "$T/container-smoke.sh"
for f in "$prefix/bin/signet" "$(readlink -f "$(find "$prefix" -name libsignet.so | head -n 1)")"; do
  readelf -S "$f" | grep -E '\.(debug_[a-z]+|symtab)\b' >"$T/sections" &&
    bad "$(basename "$f") is not stripped: $(tr -s ' \n' ' ' <"$T/sections" | head -c 200)" || ok
done

# as_user COMMAND...: COMMAND as a non-root user (nobody when this runs as
# root), with the installed signet first in PATH and a HOME of its own.
as_user() {
  local -a env=(env "PATH=$prefix/bin:$PATH" "HOME=$T/home" "SIGNET=$prefix/bin/signet" "TMPDIR=$T/tmp")
  if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || { echo "setpriv is missing (util-linux)" >&2; return 3; }
    setpriv --reuid=nobody --regid=nogroup --clear-groups "${env[@]}" "$@"
  else
    "${env[@]}" "$@"
  fi
}
mkdir -p "$T/home" "$T/tmp"
chmod 1777 "$T/home" "$T/tmp"

uid=$(as_user id -u) || bad "cannot run as a non-root user"
[ -n "$uid" ] && [ "$uid" != 0 ] && ok || bad "the smoke test would run as uid '$uid'"
if as_user bash "$T/container-smoke.sh" >"$T/smoke.out" 2>&1; then ok
else bad "container-smoke.sh as uid $uid failed: $(grep -m1 FAIL "$T/smoke.out" || tail -n 1 "$T/smoke.out")"; fi
cat "$T/smoke.out"
grep -q '^ok   sign --security-counter$' "$T/smoke.out" && grep -q '^ok   hsm list: key fw$' "$T/smoke.out" &&
  ok || bad "the smoke output lacks its steps"
[ -z "$(ls -A "$T/tmp")" ] && ok || bad "the smoke script left files in its TMPDIR: $(ls -A "$T/tmp")"

# A failing step fails the script: a signet whose verify says no.
mkdir -p "$T/fake"
printf '#!/bin/sh\n[ "$1" = verify ] && { echo "signet: verify: no" >&2; exit 1; }\nexec "%s" "$@"\n' \
  "$prefix/bin/signet" >"$T/fake/signet"
chmod 755 "$T/fake" "$T/fake/signet"
rc=0
as_user env SIGNET="$T/fake/signet" bash "$T/container-smoke.sh" >"$T/fail.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q '^FAIL verify: signet: verify: no$' "$T/fail.out" && ok ||
  bad "a failing verify: exit $rc, $(grep -m1 FAIL "$T/fail.out")"
finish

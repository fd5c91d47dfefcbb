#!/usr/bin/env bash
# signet-retry.sh COMMAND [ARGS...]: runs COMMAND (e.g. signet sign ...) and
# runs it again when it exits 3 (HSM, device, I/O or environment failure: a
# network HSM that did not answer, a full disk), up to $SIGNET_RETRIES tries
# in all (default 3), waiting $SIGNET_RETRY_DELAY seconds (default 10), then
# twice that, and so on. Exit codes 1 (the answer is "no") and 2 (usage or
# malformed input) are never retried: another try gives the same answer.
# Nor is an exit 3 about the PIN: a wrong PIN tried again counts against the
# token's PIN retry counter, and a real HSM locks the PIN at its limit.
# Exits with COMMAND's last exit code; its stderr passes through.
# (docs/ci.md, "Exit codes".)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: signet-retry.sh COMMAND [ARGS...]" >&2; exit 2; }
tries=${SIGNET_RETRIES:-3}
delay=${SIGNET_RETRY_DELAY:-10}
err=$(mktemp)
trap 'rm -f "$err"' EXIT
try=1
while :; do
	rc=0
	"$@" 2>"$err" || rc=$?
	cat "$err" >&2
	[ "$rc" -eq 3 ] || break
	# signet's PIN errors (README, "Exit codes"): never retried
	if grep -qE "wrong PIN|PIN locked|PIN expired|PIN not initialized|needs a PIN|PIN source|may access it" "$err"; then
		break
	fi
	[ "$try" -lt "$tries" ] || break
	echo "signet-retry.sh: exit 3, try $((try + 1)) of $tries in $((delay * try))s" >&2
	sleep $((delay * try))
	try=$((try + 1))
done
exit "$rc"

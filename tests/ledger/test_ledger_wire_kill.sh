#!/usr/bin/env bash
# kill -9 of `signet sign --ledger` at random moments of a large signing,
# and right when the output appears: every time, an output that exists has
# its release.started record in the ledger, and the ledger verifies. (With
# release.started appended after the publish instead, the kills at the
# output's appearance leave releases the ledger does not know of.)
#   WIRE_KILL_MIB (input size, default 256), WIRE_KILL_ROUNDS (default 20)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
new_token release
U="pkcs11:token=release;pin-source=file:$PINFILE"
L="$T/kill.ledger"
MIB=${WIRE_KILL_MIB:-256}
ROUNDS=${WIRE_KILL_ROUNDS:-20}
"$S" hsm keygen --type ecdsa-p256 --key "$U;object=fw" 2>/dev/null
token_keys "$U"
"$S" ledger init --ledger "$L" --origin kill.example/log 2>/dev/null
truncate -s "${MIB}M" "$T/big.bin"

sign() { # OUT
  exec "$S" sign --key "$U;object=fw" --version 1.0.0 --ledger "$L" "$T/big.bin" "$1" 2>/dev/null
}
started() { # OUT: how many release.started records name OUT's base name
  "$S" ledger export --ledger "$L" --format jsonl |
    jq -s --arg o "$(basename "$1")" '[.[] | select(.type == "release.started" and .output == $o)] | length'
}
# The invariant after a round, whatever the moment of the kill.
invariant() { # OUT
  if [ -e "$1" ] && [ "$(started "$1")" = 0 ]; then
    bad "$(basename "$1") was published with no release.started record"
  else
    ok
  fi
  "$S" ledger verify --ledger "$L" --pubkey "$T/log.pem" >/dev/null 2>"$T/verify.txt" && ok ||
    bad "the ledger does not verify: $(cat "$T/verify.txt")"
  rm -f "$1" "$T"/.*.signet-tmp-*
}

# One run to the end: how long it takes, and that it records both records.
cp -a "$T/tokens" "$T/tokens.bak"
t0=$(date +%s%N)
(sign "$T/full.sgn") && ok || bad "sign --ledger of the ${MIB} MiB input failed"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$("$S" ledger export --ledger "$L" --format jsonl | wc -l)" = 2 ] && ok || bad "a full run made no 2 records"

published=0
for i in $(seq 1 "$ROUNDS"); do
  out="$T/out-$i.sgn"
  (sign "$out") &
  pid=$!
  if [ $((i % 2)) = 0 ]; then
    # at a random moment of the run
    sleep "$(awk -v r="$RANDOM" -v ms="$ms" 'BEGIN { printf "%.3f", r / 32767 * ms * 1.1 / 1000 }')"
  else
    # the moment the output appears
    while kill -0 "$pid" 2>/dev/null && [ ! -e "$out" ]; do :; done
  fi
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # SoftHSM2 may be killed in the middle of rewriting its token files: they
  # are the test's scaffolding, not what is under test, so put them back.
  rm -rf "$T/tokens" && cp -a "$T/tokens.bak" "$T/tokens"
  [ -e "$out" ] && published=$((published + 1))
  invariant "$out"
done
# The rounds must have caught published outputs, or they proved nothing.
[ "$published" -gt 0 ] && ok || bad "no round killed signet after it published"
echo "$ROUNDS rounds of ${MIB} MiB (a full run: ${ms} ms), $published killed after publishing"
finish

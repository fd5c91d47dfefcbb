#!/usr/bin/env bash
# signet station run when the station itself fails mid-unit, not the device
# (docs/provisioning.md §2, `interrupted`): the unit ends interrupted, no
# further unit starts, the run exits 3 with one line naming the fixture, the
# unit and the reason, and a rerun without the fault finishes every unit.
# Two real faults: OpenSSL's RAND_bytes refusing the station's nonces
# ($FAULT_RAND, preloaded) and the token's C_GenerateRandom giving out
# ($FAULT_P11: SoftHSM2 wrapped by tests/common/fault_pkcs11.c, the module
# the station loads).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/station_lib.sh"
for f in "${FAULT_RAND:-}" "${FAULT_P11:-}"; do
  [ -n "$f" ] && [ -f "$f" ] || { echo "FAULT_RAND, FAULT_P11: the fault libraries (ctest sets them)" >&2; exit 1; }
done
# ASan: the preloaded library comes before its runtime.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

run() { # OUT [station run options...] -> exit status in $rc
  local out=$1
  shift
  rc=0
  "$S" station run "${CA[@]}" --json "$@" >"$T/$out" 2>"$T/$out.err" </dev/null || rc=$?
}

records_since() { "$S" ledger export --ledger "$L" --format jsonl | tail -n +$(($1 + 1)); }
ledger_lines() { "$S" ledger export --ledger "$L" --format jsonl | wc -l; }

# stopped NAME FILE SIZE0 REASON: the run of FILE (records from SIZE0 on)
# stopped at its first fault: exit 3, one line naming a fixture, a unit and
# REASON, that unit ($unit) started and not passed, no unit started after it
stopped() {
  local name=$1 out=$2 size0=$3 reason=$4
  [ "$rc" = 3 ] && ok || bad "($name) exit $rc, wanted 3: $(head -c 300 "$T/$out.err")"
  [ "$(wc -l <"$T/$out.err")" = 1 ] &&
    grep -Eq "^signet: fixture [a-d], unit u-[0-9a-f]{16}: .*$reason" "$T/$out.err" && ok ||
    bad "($name) stderr: $(cat "$T/$out.err")"
  unit=$(grep -Eo "u-[0-9a-f]{16}" "$T/$out.err" | head -1 || true)
  records_since "$size0" >"$T/$name.recs"
  has "$T/$name.recs" ".type == \"unit.started\" and .unit == \"$unit\"" && ok ||
    bad "($name) the unit named, $unit, never started"
  has "$T/$name.recs" ".unit == \"$unit\" and (.type == \"unit.prelock\" or .type == \"unit.locked\")" &&
    bad "($name) the unit named went on: $(jq -c "select(.unit == \"$unit\")" "$T/$name.recs")" || ok
  # the units in flight when it stopped (one per fixture), and none after
  [ "$(jq -r 'select(.type == "unit.started") | .unit' "$T/$name.recs" | wc -l)" -le 2 ] && ok ||
    bad "($name) units started after the fault: $(jq -r 'select(.type == "unit.started") | .unit' "$T/$name.recs" | tr '\n' ' ')"
  has "$T/$out" '.event == "end"' && ok || bad "($name) no end event"
}

# rerun NAME DEVICE A UID_A B UID_B: the simulated devices A and B from their
# first again, no fault: every unit passes (or was provisioned already),
# DEVICE included
rerun() {
  local name=$1 dev=$2
  stop_sims
  sim "$3" --uid "$4" --units 6
  sim "$5" --uid "$6" --units 6 --latency 5
  run "$name.json" --fixture "$(fx "$3")" --fixture "$(fx "$5")" --count 6 --lock
  [ "$rc" = 0 ] || [ "$rc" = 1 ] && ok || bad "($name) exit $rc: $(head -c 300 "$T/$name.json.err")"
  [ "$(results "$T/$name.json" | wc -l)" = 6 ] && ok || bad "($name) $(results "$T/$name.json")"
  results "$T/$name.json" | awk '$4 != "pass" && $5 != "already-provisioned"' | grep . &&
    bad "($name) $(results "$T/$name.json")" || ok
  [ -z "$dev" ] || results "$T/$name.json" | awk -v d="$dev" '$2 == d && $4 == "pass"' | grep -q . &&
    ok || bad "($name) the stopped unit's device $dev did not pass: $(results "$T/$name.json")"
  check_all
}

# ---- no randomness for a nonce: the 3rd nonce (SGP_NONCE_LEN, 32 bytes)
# of the run is refused; each unit asks for three (check, key, verify), so
# it is a fixture's first unit that stops, and its device the first one
sim a --uid 31000000 --units 6
sim b --uid 32000000 --units 6 --latency 5
size0=$(ledger_lines)
rc=0
SIGNET_FAULT_RAND=32:3 LD_PRELOAD=$FAULT_RAND "$S" station run "${CA[@]}" --json \
  --fixture "$(fx a)" --fixture "$(fx b)" --count 6 --lock >"$T/rand.json" 2>"$T/rand.json.err" \
  </dev/null || rc=$?
stopped rand rand.json "$size0" "no randomness for a nonce"
has "$T/rand.recs" ".type == \"unit.failed\" and .unit == \"$unit\" and .reason == \"interrupted\" and .detail == \"no randomness for a nonce\"" &&
  ok || bad "(rand) unit $unit is not failed interrupted: $(jq -c "select(.unit == \"$unit\")" "$T/rand.recs")"
has "$T/rand.json" ".event == \"result\" and .unit == \"$unit\" and .result == \"failed\" and .reason == \"interrupted\"" &&
  ok || bad "(rand) no interrupted result for $unit"
# a unit of the other fixture in flight finished or ended interrupted
results "$T/rand.json" | awk '$4 != "pass" && $5 != "interrupted"' | grep . &&
  bad "(rand) a unit ended otherwise: $(results "$T/rand.json")" || ok
dev=$(jq -r "select(.type == \"unit.identified\" and .unit == \"$unit\") | .device" "$T/rand.recs")
rerun rand2 "$dev" a 31000000 b 32000000

# ---- the token's generator gives out at the first certificate serial
size0=$(ledger_lines)
stop_sims
sim c --uid 33000000 --units 6
sim d --uid 34000000 --units 6 --latency 5
rc=0
SIGNET_FAULT_RANDOM=1 SIGNET_PKCS11_MODULE=$FAULT_P11 SIGNET_FAULT_PKCS11_MODULE=$MODULE \
  "$S" station run "${CA[@]}" --json --fixture "$(fx c)" --fixture "$(fx d)" --count 6 --lock \
  >"$T/p11.json" 2>"$T/p11.json.err" </dev/null || rc=$?
stopped p11 p11.json "$size0" "C_GenerateRandom"
# the token failed: the unit stops where it was, without a result (as for a
# kill), the database owes nothing
has "$T/p11.recs" ".unit == \"$unit\" and .type == \"unit.cert_issued\"" &&
  bad "(p11) unit $unit has a certificate" || ok
dev=$(jq -r "select(.type == \"unit.identified\" and .unit == \"$unit\") | .device" "$T/p11.recs")
rerun p11b "$dev" c 33000000 d 34000000

stop_sims
finish

#!/usr/bin/env bash
# signet station run end to end against simulated devices (docs/provisioning.md):
# 100 units on 4 fixtures with faults (noise, power cuts, a faked lock, a lying
# UID), each ending as section 2 says; then no --lock and a resume with --lock,
# --dry-run, an already provisioned unit, a clone on two fixtures at once, a
# key certified for another device, a refused lock, forged key proofs and
# challenge answers, --rework; usage errors.
# After each run the invariants are checked from outside (station_check.py:
# openssl verifies every certificate, the database and the ledger agree, one
# live certificate per device, record order) and the ledger verifies.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/station_lib.sh"

run() { # OUT [station run options...] -> exit status in $rc
  local out=$1
  shift
  rc=0
  "$S" station run "${CA[@]}" --json "$@" >"$T/$out" 2>"$T/$out.err" </dev/null || rc=$?
}

# ---- usage and setup errors: exit 2 or 3, one line, nothing recorded
size0=$("$S" ledger export --ledger "$L" --format jsonl | wc -l)
expect 2 "--fixture, --ca-key" "$S" station run --profile sim --ledger "$L"
expect 2 "--fixture: usb:/dev/x: not a fixture (unix:PATH, tcp:HOST:PORT, pty:PATH, serial:PATH, gdb:HOST:PORT or cmsis-dap[:SERIAL])" "$S" station run "${CA[@]}" --fixture usb:/dev/x
expect 2 "--count and --loop" "$S" station run "${CA[@]}" --fixture unix:/x --count 1 --loop
expect 2 "not with --lock" "$S" station run "${CA[@]}" --fixture unix:/x --dry-run --lock
expect 2 "given twice" "$S" station run "${CA[@]}" --fixture a=unix:/x --fixture a=unix:/y
printf '{"signet_target": 1, "name": "x"}' >"$T/bad.json"
expect 2 "bad.json" "$S" station run "${CA[@]}" --profile "$T/bad.json" --fixture unix:/x
expect 2 "no-such-profile" "$S" station run "${CA[@]}" --profile no-such-profile --fixture unix:/x
expect 3 "" "$S" station run "${CA[@]}" --fixture unix:/x --ca-key "pkcs11:token=nope;object=factory"
expect 2 "none.ledger" "$S" station run "${CA[@]}" --fixture unix:/x --ledger "$T/none.ledger"
[ "$("$S" ledger export --ledger "$L" --format jsonl | wc -l)" = "$size0" ] && ok ||
  bad "a refused run appended records"

# ---- (a) 100 units on 4 fixtures with faults
# (noise of 1 in 5,000 bytes costs a retry, 1 s, every few units; the faulty
# fixtures answer 10 ms late, so that each fixture gets its share of the count)
sim noisy --uid 0a000000 --units 120 --drop 0.0002 --corrupt 0.0002 --seed 5
sim cut --uid 0b000000 --units 120 --power-cut-after 3
sim fake --uid 0c000000 --units 120 --fake-lock --latency 10
sim liar --uid 0d000000 --units 120 --lie-uid 0dffffff --latency 10
run a.json --fixture "$(fx noisy)" --fixture "$(fx cut)" --fixture "$(fx fake)" \
  --fixture "$(fx liar)" --count 100 --lock --ledger-key "$U;object=log"
[ "$rc" = 1 ] && ok || bad "(a) exit $rc, wanted 1: $(head -c 300 "$T/a.json.err")"
results "$T/a.json" >"$T/a.txt"
[ "$(wc -l <"$T/a.txt")" = 100 ] && ok || bad "(a) $(wc -l <"$T/a.txt") results, wanted 100"
has "$T/a.json" '.event == "end" and .pass + .failed + .quarantined == 100' && ok ||
  bad "(a) the end event's counts: $(tail -1 "$T/a.json")"
# each fixture's units end as its fault says
awk '$1 == "noisy" && $4 != "pass" && $5 != "no-response"' "$T/a.txt" | grep . &&
  bad "(a) a noisy unit ended otherwise than pass or no-response" || ok
[ "$(awk '$1 == "noisy" && $4 == "pass"' "$T/a.txt" | wc -l)" -gt 0 ] && ok ||
  bad "(a) no noisy unit passed"
awk '$1 == "fake" && !($3 == "lock-check" && $4 == "quarantined" && $5 == "lock-failed")' \
  "$T/a.txt" | grep . && bad "(a) a faked lock was not quarantined lock-failed" || ok
awk '$1 == "liar" && !($3 == "verify" && $4 == "quarantined" && $5 == "uid-changed")' \
  "$T/a.txt" | grep . && bad "(a) a lying UID was not quarantined uid-changed" || ok
# a power cut at the 3rd change: the unit fails (transport) and the same device,
# retried at once, passes
awk '$1 == "cut" && !(($4 == "failed" && $5 == "transport") || $4 == "pass")' "$T/a.txt" |
  grep . && bad "(a) a power-cut unit ended otherwise" || ok
awk '$1 == "cut" && $4 == "failed" { f[$2]++ } $1 == "cut" && $4 == "pass" { p[$2]++ }
     END { for (d in f) if (!(d in p)) missing++; print missing + 0 }' "$T/a.txt" >"$T/cut.txt"
# (the count may end right after the last cut, before its retry)
[ "$(cat "$T/cut.txt")" -le 1 ] && ok || bad "(a) power-cut devices never passed: $(cat "$T/cut.txt")"
[ "$(awk '$1 == "cut" && $4 == "failed"' "$T/a.txt" | wc -l)" -gt 0 ] && ok ||
  bad "(a) no power cut happened"
# a passed unit's certificate is on the device, and the device is locked
dev=$(awk '$1 == "cut" && $4 == "pass" { print $2; exit }' "$T/a.txt")
n=$((16#$dev - 16#0b000000))
state="$T/cut.state"
[ "$n" = 0 ] || state="$T/cut.state.$n"
[ "$(lock_bits "$state")" = 7 ] && ok || bad "(a) passed device $dev is not locked"
check_all
verify_ledger

# ---- (b) without --lock: not locked; then --lock resumes and locks
stop_sims
sim open --uid 0e000000 --units 3
run b1.json --fixture "$(fx open)"
[ "$rc" = 0 ] && ok || bad "(b) exit $rc without --lock"
[ "$(results "$T/b1.json")" = "open 0e000000 prelock not-locked -" ] && ok ||
  bad "(b) $(results "$T/b1.json")"
[ "$(lock_bits "$T/open.state")" = 0 ] && ok || bad "(b) locked without --lock"
stop_sims
sim open --uid 0e000000 --units 3 # the same device again (a new process starts at unit 0)
run b2.json --fixture "$(fx open)" --lock
[ "$rc" = 0 ] && ok || bad "(b) exit $rc with --lock"
[ "$(results "$T/b2.json")" = "open 0e000000 lock-check pass -" ] && ok ||
  bad "(b) resume: $(results "$T/b2.json")"
[ "$(lock_bits "$T/open.state")" = 7 ] && ok || bad "(b) not locked by the resume"
# the resume issued nothing new: one certificate for the device
[ "$(sqlite3 "$DB" "SELECT count(*) FROM certs WHERE device_serial = '0e000000'")" = 1 ] && ok ||
  bad "(b) the resume issued a second certificate"
# a unit left unlocked (its prelock says "not-locked") and then locked by
# something else is no unit the station accounts for: locked-unaccounted
stop_sims
sim other --uid 0e100000
run o1.json --fixture "$(fx other)"
stop_sims
python3 - "$T/other.state" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[41:45] = (7).to_bytes(4, "little")  # the lock bits, set behind the station's back
open(sys.argv[1], "wb").write(b)
PY
sim other --uid 0e100000
run o2.json --fixture "$(fx other)" --lock
[ "$(results "$T/o2.json")" = "other 0e100000 check quarantined locked-unaccounted" ] && ok ||
  bad "(locked behind its back) $(results "$T/o2.json")"
# (d) once more: already provisioned, nothing written
stop_sims
sim open --uid 0e000000 --units 3
run d.json --fixture "$(fx open)" --lock
[ "$rc" = 1 ] && ok || bad "(d) exit $rc for a provisioned unit"
[ "$(results "$T/d.json")" = "open 0e000000 check failed already-provisioned" ] && ok ||
  bad "(d) $(results "$T/d.json")"
check_all

# ---- (c) --dry-run: every read, nothing written, one unit.dry_run record
stop_sims
sim dry --uid 0f000000
sum0=$(sha256sum <"$T/dry.state")
certs0=$(sqlite3 "$DB" "SELECT count(*) FROM certs")
size0=$("$S" ledger export --ledger "$L" --format jsonl | wc -l)
run c.json --fixture "$(fx dry)" --dry-run
[ "$rc" = 0 ] && ok || bad "(c) exit $rc: $(cat "$T/c.json.err")"
[ "$(results "$T/c.json")" = "dry 0f000000 verify dry-run -" ] && ok || bad "(c) $(results "$T/c.json")"
[ "$(sha256sum <"$T/dry.state")" = "$sum0" ] && ok || bad "(c) the dry run changed the device"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM certs")" = "$certs0" ] && ok || bad "(c) the dry run issued"
"$S" ledger export --ledger "$L" --format jsonl | tail -n +$((size0 + 1)) >"$T/c.recs"
[ "$(jq -r .type "$T/c.recs" | tr '\n' ' ')" = "unit.started unit.identified unit.dry_run " ] && ok ||
  bad "(c) records: $(jq -r .type "$T/c.recs" | tr '\n' ' ')"
has "$T/c.recs" '.type == "unit.dry_run" and .lock_bits == 7 and .bytes > 500' && ok ||
  bad "(c) the dry_run record: $(tail -1 "$T/c.recs")"
has "$T/c.recs" '.type == "unit.started" and .lock == "dry-run"' && ok ||
  bad "(c) unit.started lock"

# ---- a clone on two fixtures at once: one of them is quarantined duplicate-uid
stop_sims
sim twin1 --uid 11000000 --latency 15
sim twin2 --uid 11000000 --latency 15
run clone.json --fixture "$(fx twin1)" --fixture "$(fx twin2)"
[ "$rc" = 1 ] && ok || bad "(clone) exit $rc"
[ "$(results "$T/clone.json" | awk '$4 == "quarantined" && $5 == "duplicate-uid"' | wc -l)" = 1 ] &&
  ok || bad "(clone) $(results "$T/clone.json")"
check_all

# ---- a key certified for another device: quarantined key-reused, nothing issued
stop_sims
sim orig --uid 12000000
run k1.json --fixture "$(fx orig)"
stop_sims
python3 - "$T/orig.state" "$T/copy.state" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[9:13] = bytes.fromhex("12000099")  # another UID, the same key and slots
open(sys.argv[2], "wb").write(b)
PY
sim copy --uid 12000099
run k2.json --fixture "$(fx copy)"
[ "$rc" = 1 ] && ok || bad "(key) exit $rc"
[ "$(results "$T/k2.json")" = "copy 12000099 check quarantined key-reused" ] && ok ||
  bad "(key) $(results "$T/k2.json")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM certs WHERE device_serial = '12000099'")" = 0 ] && ok ||
  bad "(key) a certificate for the clone"
# quarantined once: refused again, naming the earlier record
run k3.json --fixture "$(fx copy)"
has "$T/k3.json" '.event == "result" and .reason == "key-reused" and (.detail | test("ledger index"))' &&
  ok || bad "(key) second run: $(results "$T/k3.json")"

# ---- a refused lock: quarantined lock-failed, and unit.prelock before it
stop_sims
sim refuse --uid 13000000 --refuse-lock
run r.json --fixture "$(fx refuse)" --lock
[ "$(results "$T/r.json")" = "refuse 13000000 lock quarantined lock-failed" ] && ok ||
  bad "(refuse) $(results "$T/r.json")"

# ---- forged signatures (a device reporting a key it does not hold): KEYGEN's
# key proof fails -> quarantined key-proof, nothing issued; the challenge after
# writing fails -> quarantined challenge, never locked
stop_sims
sim forgek --uid 1c000000 --forge-sig keygen
run fk.json --fixture "$(fx forgek)" --lock
[ "$(results "$T/fk.json")" = "forgek 1c000000 key quarantined key-proof" ] && ok ||
  bad "(forge keygen) $(results "$T/fk.json")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM certs WHERE device_serial = '1c000000'")" = 0 ] && ok ||
  bad "(forge keygen) a certificate was issued for a key the device did not prove"
stop_sims
sim forgec --uid 1d000000 --forge-sig challenge
run fc.json --fixture "$(fx forgec)" --lock
[ "$(results "$T/fc.json")" = "forgec 1d000000 verify quarantined challenge" ] && ok ||
  bad "(forge challenge) $(results "$T/fc.json")"
"$S" ledger export --ledger "$L" --format jsonl >"$T/fc.jsonl"
has "$T/fc.jsonl" '.device == "1d000000" and (.type == "unit.prelock" or .type == "unit.locked")' &&
  bad "(forge challenge) the unit got a prelock or lock record" || ok
expect 2 "--forge-sig: keygen or challenge, not 'lock'" "$S" sim --state "$T/x.state" \
  --listen "unix:$T/x.sock" --forge-sig lock
check_all

# ---- --rework of an open unit with a live certificate: the old one revoked
stop_sims
sim orig --uid 12000000
old=$(sqlite3 "$DB" "SELECT serial FROM certs WHERE device_serial = '12000000' AND revoked_at IS NULL")
run w.json --fixture "$(fx orig)" --rework
[ "$rc" = 0 ] && ok || bad "(rework) exit $rc: $(results "$T/w.json") $(cat "$T/w.json.err")"
[ "$(sqlite3 "$DB" "SELECT reason IS NOT NULL FROM certs WHERE serial = '$old'")" = 1 ] && ok ||
  bad "(rework) the old certificate $old is not revoked"
"$S" ledger export --ledger "$L" --format jsonl >"$T/all.jsonl"
has "$T/all.jsonl" ".type == \"cert.revoked\" and .serial == \"$old\" and .reason == \"superseded\"" &&
  ok || bad "(rework) no cert.revoked record for $old"
new=$(jq -r 'select(.event == "result") | .serial' "$T/w.json")
[ -n "$new" ] && [ "$new" != "$old" ] && ok || bad "(rework) no new certificate"
check_all

# ---- inject mode (profile sim-inject): the station makes the key and writes it
# to the device's secret slot; the certificate certifies that key; a rerun with
# --lock resumes with the key read back from the device
stop_sims
sim inj --uid 16000000 --units 3
run i1.json --fixture "$(fx inj)" --profile sim-inject
[ "$(results "$T/i1.json")" = "inj 16000000 prelock not-locked -" ] && ok ||
  bad "(inject) $(results "$T/i1.json") $(cat "$T/i1.json.err")"
# the key slot (3) of the device's file, after the fixed part and the slots before it,
# as an EC private key: its public half is the certificate's
python3 - "$T/inj.state" "$T/inj.key.der" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
off, slots = 8 + 1 + 32 + 4 + 1 + 32 + 65, {}
for sid in (1, 2, 3, 0x10):
    n = struct.unpack_from("<I", b, off)[0]
    slots[sid] = b[off + 4:off + 4 + n]
    off += 4 + n
d = slots[3]
assert len(d) == 32, len(d)
der = bytes.fromhex("30310201010420") + d + bytes.fromhex("a00a06082a8648ce3d030107")
open(sys.argv[2], "wb").write(der)
PY
serial=$(jq -r 'select(.event == "result") | .serial' "$T/i1.json")
sqlite3 "$DB" "SELECT hex(der) FROM certs WHERE serial = '$serial'" | xxd -r -p >"$T/inj.cert.der"
openssl x509 -inform DER -in "$T/inj.cert.der" -noout -pubkey >"$T/inj.cert.pub"
openssl ec -inform DER -in "$T/inj.key.der" -pubout 2>/dev/null >"$T/inj.key.pub"
cmp -s "$T/inj.cert.pub" "$T/inj.key.pub" && ok || bad "(inject) the certificate is not the injected key's"
"$S" ledger export --ledger "$L" --format jsonl >"$T/all.jsonl"
has "$T/all.jsonl" ".type == \"unit.cert_issued\" and .serial == \"$serial\" and .key_mode == \"inject\"" &&
  ok || bad "(inject) key_mode"
stop_sims
sim inj --uid 16000000 --units 3
run i2.json --fixture "$(fx inj)" --profile sim-inject --lock
[ "$(results "$T/i2.json")" = "inj 16000000 lock-check pass -" ] && ok ||
  bad "(inject) resume: $(results "$T/i2.json") $(cat "$T/i2.json.err")"
[ "$(jq -r 'select(.event == "result") | .serial' "$T/i2.json")" = "$serial" ] && ok ||
  bad "(inject) the resume issued another certificate"
"$S" ledger export --ledger "$L" --format jsonl >"$T/all.jsonl"
has "$T/all.jsonl" '.type == "unit.verified" and .device == "16000000" and .challenge == "none"' &&
  ok || bad "(inject) unit.verified challenge"
check_all

# ---- a fixture whose device never answers does not stall another: the good
# fixture's unit passes while the silent one is still retrying
stop_sims
sim quick --uid 19000000
python3 - "$T/silent.sock" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
c, _ = s.accept()  # takes the station's bytes and never answers
time.sleep(30)
PY
silent=$!
for i in $(seq 1 100); do [ -S "$T/silent.sock" ] && break; sleep 0.05; done
run h.json --fixture "$(fx quick)" --fixture "silent=unix:$T/silent.sock"
kill "$silent" 2>/dev/null || true
[ "$(results "$T/h.json" | tr '\n' ';')" = "quick 19000000 lock-check pass -;silent - connect failed no-response;" ] ||
  [ "$(results "$T/h.json" | tr '\n' ';')" = "quick 19000000 prelock not-locked -;silent - connect failed no-response;" ] &&
  ok || bad "(hang) $(results "$T/h.json")"

# ---- --loop until SIGINT: the unit under way ends "interrupted" (resumable), the
# run ends with its totals, and nothing is left half-recorded
stop_sims
sim loop --uid 18000000 --units 100 --latency 5
"$S" station run "${CA[@]}" --fixture "$(fx loop)" --loop --lock --json >"$T/loop.json" \
  2>"$T/loop.err" </dev/null &
pid=$!
for i in $(seq 1 600); do
  [ "$(results "$T/loop.json" 2>/dev/null | wc -l)" -ge 3 ] && break
  sleep 0.05
done
sleep 0.1
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] && ok || bad "(loop) exit $rc after SIGINT: $(cat "$T/loop.err")"
has "$T/loop.json" '.event == "end"' && ok || bad "(loop) no end event"
results "$T/loop.json" | awk '$4 != "pass" && $5 != "interrupted"' | grep . &&
  bad "(loop) a unit ended otherwise than pass or interrupted" || ok
[ "$(results "$T/loop.json" | awk '$4 == "pass"' | wc -l)" -ge 3 ] && ok || bad "(loop) $(results "$T/loop.json")"
check_all

# ---- the disk fills up (a file size limit: writes fail with EFBIG): the run
# stops with exit 3 at the first record the ledger or the database cannot take,
# and the next run settles what was owed and finishes the unit
stop_sims
sim full --uid 14000000 --units 10
limit=$(( ($(stat -c %s "$L") + 1023) / 1024 + 8 ))
rc=0
(trap '' XFSZ; ulimit -f "$limit"; exec "$S" station run "${CA[@]}" --fixture "$(fx full)" \
  --count 10 --lock --json) >"$T/full.json" 2>"$T/full.err" </dev/null || rc=$?
[ "$rc" = 3 ] && ok || bad "(full) exit $rc, wanted 3: $(cat "$T/full.err")"
[ "$(wc -l <"$T/full.err")" = 1 ] && grep -q "I/O error\|disk\|full" "$T/full.err" && ok ||
  bad "(full) stderr: $(cat "$T/full.err")"
[ "$(results "$T/full.json" | wc -l)" -lt 10 ] && ok || bad "(full) the run went on"
# (the database may owe the ledger a certificate now: the next run settles it)
stop_sims
sim full --uid 14000000 --units 10 # from the first device again
run full2.json --fixture "$(fx full)" --count 10 --lock
results "$T/full2.json" | awk '$4 != "pass" && $5 != "already-provisioned"' | grep . &&
  bad "(full) the next run did not finish every unit" || ok
[ "$(results "$T/full2.json" | wc -l)" = 10 ] && ok || bad "(full) $(results "$T/full2.json")"
check_all

# the checker can fail: a second live certificate for a device is seen
sqlite3 "$DB" ".backup '$T/twice.db'"
sqlite3 "$T/twice.db" "DROP INDEX certs_one_live_per_device;
  UPDATE certs SET revoked_at = NULL, reason = NULL WHERE serial = '$old'"
python3 "$here/station_check.py" "$S" "$L" "$T/twice.db" "$T/root.pem" "$T/ca.pem" \
  >"$T/twice.txt" 2>&1 && bad "the checker missed two live certificates" ||
  grep -q "2 live idevid certificates" "$T/twice.txt" && ok || bad "checker: $(cat "$T/twice.txt")"

stop_sims
finish

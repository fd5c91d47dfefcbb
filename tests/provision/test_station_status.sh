# signet station status against a ledger built with `signet ledger append`:
# a unit of every result (passed locked, passed without a lock step, not
# locked, failed, quarantined, dry run, open twice, failed before identify,
# and one that ended past midnight), units of the days around it left out, the
# last 10 failures, the text and --json outputs, and the exit codes.
. "$(dirname "$0")/../cli/lib.sh"
L="$T/l.db"
"$S" ledger init --ledger "$L" --origin test/station >/dev/null 2>&1 || bad "ledger init"
n=0

rec() { # TIME TYPE FIELDS
  SOURCE_DATE_EPOCH=$(date -u -d "$1" +%s) "$S" ledger append --ledger "$L" --type "$2" \
    --json "$3" >/dev/null 2>"$T/append.err" || bad "append $2 $3: $(cat "$T/append.err")"
}
started() { # TIME UNIT FIXTURE LOCK
  rec "$1" unit.started "{\"unit\":\"$2\",\"fixture\":\"$3\",\"profile\":\"sim\",\"lock\":\"$4\"}"
}
identified() { # TIME UNIT DEVICE
  rec "$1" unit.identified "{\"unit\":\"$2\",\"device\":\"$3\",\"chip\":\"sim\",\"agent\":\"sim 1\",\"lock_bits\":0,\"protocol\":1}"
}
prelock() { # TIME UNIT DEVICE BITS NEXT
  rec "$1" unit.prelock "{\"unit\":\"$2\",\"device\":\"$3\",\"holds_sha256\":\"$(printf '%064d' 1)\",\"serial\":\"0a1b\",\"lock_bits\":$4,\"next\":\"$5\"}"
}
locked() { # TIME UNIT DEVICE
  rec "$1" unit.locked "{\"unit\":\"$2\",\"device\":\"$3\",\"lock_bits\":7,\"lock\":\"sim-lock\"}"
}
ended() { # TIME TYPE UNIT FIELDS (step, reason, device, detail as JSON members)
  rec "$1" "$2" "{\"unit\":\"$3\",$4}"
}

# the day before: one failure, and a unit that ends after midnight
started 2026-11-27T10:00:00Z u-0000000000000009 f1 yes
ended 2026-11-27T10:00:05Z unit.failed u-0000000000000009 '"step":"connect","reason":"transport"'
started 2026-11-27T23:59:50Z u-0000000000000011 f1 yes
identified 2026-11-27T23:59:51Z u-0000000000000011 0b
prelock 2026-11-27T23:59:59Z u-0000000000000011 0b 7 lock
locked 2026-11-28T00:00:10Z u-0000000000000011 0b
# 2026-11-28
started 2026-11-28T01:00:00Z u-0000000000000001 f1 yes
identified 2026-11-28T01:00:01Z u-0000000000000001 01
rec 2026-11-28T01:00:10Z unit.cert_issued '{"unit":"u-0000000000000001","device":"01","serial":"0a1b","profile":"idevid","der_sha256":"'"$(printf '%064d' 2)"'","key_mode":"device"}'
prelock 2026-11-28T01:00:20Z u-0000000000000001 01 7 lock
locked 2026-11-28T01:00:30Z u-0000000000000001 01
# not locked: a run without --lock stops after the prelock (that sets no bits)
started 2026-11-28T02:00:00Z u-0000000000000002 f1 no
identified 2026-11-28T02:00:01Z u-0000000000000002 02
prelock 2026-11-28T02:00:20Z u-0000000000000002 02 0 not-locked
# passed: a --lock run of a profile without a lock step ends at its prelock
started 2026-11-28T03:00:00Z u-0000000000000003 f2 yes
identified 2026-11-28T03:00:01Z u-0000000000000003 03
prelock 2026-11-28T03:00:10Z u-0000000000000003 03 0 pass
# open: the station died after the lock decision (a rerun finishes the device)
started 2026-11-28T06:40:00Z u-0000000000000012 f1 yes
identified 2026-11-28T06:40:01Z u-0000000000000012 12
prelock 2026-11-28T06:40:20Z u-0000000000000012 12 7 lock
started 2026-11-28T04:00:00Z u-0000000000000004 f2 yes
identified 2026-11-28T04:00:01Z u-0000000000000004 04
ended 2026-11-28T04:00:05Z unit.failed u-0000000000000004 \
  '"device":"04","step":"verify","reason":"readback","detail":"slot 1 differs"'
started 2026-11-28T05:00:00Z u-0000000000000005 f1 yes
identified 2026-11-28T05:00:01Z u-0000000000000005 05
ended 2026-11-28T05:00:05Z unit.quarantined u-0000000000000005 \
  '"device":"05","step":"check","reason":"key-reused","detail":"the key is certified for 06"'
started 2026-11-28T06:00:00Z u-0000000000000006 f2 dry-run
identified 2026-11-28T06:00:01Z u-0000000000000006 06
rec 2026-11-28T06:00:10Z unit.dry_run '{"unit":"u-0000000000000006","device":"06","would_write_sha256":"'"$(printf '%064d' 3)"'","bytes":900,"lock_bits":0}'
started 2026-11-28T06:30:00Z u-0000000000000007 f1 yes
identified 2026-11-28T06:30:01Z u-0000000000000007 07
started 2026-11-28T07:00:00Z u-0000000000000008 f3 yes
ended 2026-11-28T07:59:50Z unit.failed u-0000000000000008 '"step":"connect","reason":"transport"'
# the day after
started 2026-11-29T01:00:00Z u-0000000000000010 f1 yes
ended 2026-11-29T01:00:05Z unit.quarantined u-0000000000000010 \
  '"device":"10","step":"check","reason":"lock-lost"'
# other records do not count
rec 2026-11-28T08:00:00Z release.started '{"format":"signet","output":"fw.sgn"}'

# ---- the text: ended 23:59:50 the day before .. 07:59:50 = 8 h, 8 units
expect 0 "" "$S" station status --ledger "$L" --day 2026-11-28
cat >"$T/want.txt" <<'EOF'
2026-11-28 (UTC): 8 units ended: pass 3, not-locked 1, failed 2, quarantined 1, dry-run 1; open 2
yield 50.0%, 1.0 units/h (2026-11-27T23:59:50Z to 2026-11-28T07:59:50Z)
fixture f1: pass 2, not-locked 1, failed 0, quarantined 1, dry-run 0; open 2
fixture f2: pass 1, not-locked 0, failed 1, quarantined 0, dry-run 1; open 0
fixture f3: pass 0, not-locked 0, failed 1, quarantined 0, dry-run 0; open 0
last failures and quarantines:
  2026-11-28T04:00:05Z u-0000000000000004 04 failed step=verify reason=readback: slot 1 differs
  2026-11-28T05:00:05Z u-0000000000000005 05 quarantined step=check reason=key-reused: the key is certified for 06
  2026-11-28T07:59:50Z u-0000000000000008 - failed step=connect reason=transport
EOF
diff "$T/want.txt" "$T/out.txt" >&2 && ok || bad "status text differs (above)"

# today by default: $SOURCE_DATE_EPOCH's day, as the records' times
SOURCE_DATE_EPOCH=$(date -u -d 2026-11-28T23:00:00Z +%s) expect 0 "" "$S" station status --ledger "$L"
diff "$T/want.txt" "$T/out.txt" >/dev/null && ok || bad "the default day is not SOURCE_DATE_EPOCH's"

# ---- --json
expect 0 "" "$S" station status --ledger "$L" --day 2026-11-28 --json
python3 - "$T/out.txt" <<'EOF' && ok || bad "status --json: $(cat "$T/out.txt")"
import json, sys
with open(sys.argv[1]) as f:
    j = json.load(f)
want = {"v": 1, "day": "2026-11-28", "units": 8, "pass": 3, "not_locked": 1, "failed": 2,
        "quarantined": 1, "dry_run": 1, "open": 2, "yield": 0.5, "units_per_hour": 1.0,
        "first_start": "2026-11-27T23:59:50Z", "last_result": "2026-11-28T07:59:50Z"}
for k, v in want.items():
    assert j[k] == v, (k, j[k], v)
fx = {f["fixture"]: f for f in j["fixtures"]}
assert list(fx) == ["f1", "f2", "f3"], fx
assert (fx["f1"]["pass"], fx["f1"]["not_locked"], fx["f1"]["quarantined"], fx["f1"]["open"]) == (2, 1, 1, 2)
assert (fx["f2"]["pass"], fx["f2"]["failed"], fx["f2"]["dry_run"]) == (1, 1, 1)
assert fx["f3"]["failed"] == 1
fl = j["failures"]
assert [f["unit"] for f in fl] == ["u-0000000000000004", "u-0000000000000005",
                                   "u-0000000000000008"], fl
assert fl[0] == {"time": "2026-11-28T04:00:05Z", "unit": "u-0000000000000004", "device": "04",
                 "result": "failed", "step": "verify", "reason": "readback",
                 "detail": "slot 1 differs", "index": fl[0]["index"]}, fl[0]
assert fl[1]["result"] == "quarantined" and fl[1]["reason"] == "key-reused"
assert "device" not in fl[2] and "detail" not in fl[2]
assert fl[0]["index"] < fl[1]["index"] < fl[2]["index"]
EOF

# ---- the days around it hold only their own units
expect 0 "" "$S" station status --ledger "$L" --day 2026-11-27 --json
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert (j["units"], j["failed"], j["pass"], j["open"]) == (1, 1, 0, 0), j
assert j["units_per_hour"] == 720.0 and j["yield"] == 0.0, j  # 1 unit in 5 s
assert [f["unit"] for f in j["failures"]] == ["u-0000000000000009"], j
' "$T/out.txt" && ok || bad "status of the day before: $(cat "$T/out.txt")"
expect 0 "" "$S" station status --ledger "$L" --day 2026-11-29
grep -q '^2026-11-29 (UTC): 1 units ended: pass 0, not-locked 0, failed 0, quarantined 1,' \
  "$T/out.txt" && grep -q 'u-0000000000000010 10 quarantined step=check reason=lock-lost$' \
  "$T/out.txt" && ok || bad "status of the day after: $(cat "$T/out.txt")"
expect 0 "" "$S" station status --ledger "$L" --day 2026-12-01 --json
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["units"] == 0 and j["yield"] is None and j["fixtures"] == [] and j["failures"] == [], j
' "$T/out.txt" && ok || bad "status of an empty day: $(cat "$T/out.txt")"

# ---- the last 10 failures only, the latest
for i in $(seq 10 21); do
  started "2026-11-30T10:$i:00Z" "u-10000000000000$i" f1 yes
  ended "2026-11-30T10:$i:30Z" unit.failed "u-10000000000000$i" '"step":"connect","reason":"transport"'
done
expect 0 "" "$S" station status --ledger "$L" --day 2026-11-30
[ "$(grep -c ' failed step=connect' "$T/out.txt")" = 10 ] &&
  ! grep -q 'u-1000000000000011' "$T/out.txt" &&
  [ "$(tail -1 "$T/out.txt" | cut -d' ' -f4)" = u-1000000000000021 ] && ok ||
  bad "not the last 10 failures: $(cat "$T/out.txt")"

# ---- exit codes
expect 0 "" "$S" station status --help
grep -q -- '--day YYYY-MM-DD' "$T/out.txt" && ok || bad "--help lacks --day"
expect 2 "--ledger is required" "$S" station status --json
expect 2 "--day '2026-02-30'" "$S" station status --ledger "$L" --day 2026-02-30
expect 2 "--day '28.11.2026'" "$S" station status --ledger "$L" --day 28.11.2026
expect 2 "--day '2026-11-28x'" "$S" station status --ledger "$L" --day 2026-11-28x
expect 2 "unknown option" "$S" station status --ledger "$L" --week 1
expect 2 "unexpected argument 'x'" "$S" station status --ledger "$L" x
expect 3 "$T/missing.db" "$S" station status --ledger "$T/missing.db"
echo hello >"$T/text"
expect 2 "not a signet ledger" "$S" station status --ledger "$T/text"
SOURCE_DATE_EPOCH=soon expect 2 "SOURCE_DATE_EPOCH" "$S" station status --ledger "$L"

echo "$CHECKS checks, $FAILS failures"
[ "$FAILS" = 0 ]

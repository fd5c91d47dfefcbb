#!/usr/bin/env bash
# What a real station run shows and what status reads from its ledger
# (docs/provisioning.md §9): a unit locked, one left unlocked without
# --lock, one dry run; the plain lines on a pipe, the panels on a terminal
# (through script(1)'s pseudo-terminal), and status counting each result.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/station_lib.sh"

# ---- plain lines on a pipe: a unit locked
sim a --uid 0f000000 --units 2
rc=0
"$S" station run "${CA[@]}" --fixture "$(fx a)" --lock >"$T/a.out" 2>"$T/a.err" </dev/null || rc=$?
[ "$rc" = 0 ] && ok || bad "run --lock: exit $rc: $(cat "$T/a.err")"
grep -qE '^a u-[0-9a-f]{16} - step connect$' "$T/a.out" &&
  grep -qE '^a u-[0-9a-f]{16} 0f000000 step lock-check$' "$T/a.out" &&
  grep -qE '^a u-[0-9a-f]{16} 0f000000 PASS serial [0-9a-f]+ index [0-9]+$' "$T/a.out" &&
  grep -qE '^units 1: pass 1, not-locked 0, failed 0, quarantined 0, dry-run 0; yield 100.0%, [0-9]+ units/h, [0-9]+ s$' \
    "$T/a.out" && ok || bad "plain output: $(cat "$T/a.out")"
! grep -q $'\x1b' "$T/a.out" && ok || bad "escapes on a pipe"

# ---- the panels on a terminal: a unit without --lock
stop_sims
sim b --uid 0f000100 --units 2
rc=0
script -qec "$(printf '%q ' "$S" station run "${CA[@]}" --fixture "$(fx b)")" /dev/null \
  >"$T/b.out" 2>&1 </dev/null || rc=$?
[ "$rc" = 0 ] && ok || bad "run without --lock on a terminal: exit $rc: $(cat -v "$T/b.out")"
for w in "b " 0f000100 "NOT LOCKED" "[########..]" "units 1: pass 0, not-locked 1" $'\x1b[2K'; do
  grep -qF -- "$w" "$T/b.out" && ok || bad "no '$w' on the terminal: $(cat -v "$T/b.out")"
done

# ---- a dry run, JSON
stop_sims
sim c --uid 0f000200 --units 2
rc=0
"$S" station run "${CA[@]}" --fixture "$(fx c)" --dry-run --json >"$T/c.out" 2>"$T/c.err" \
  </dev/null || rc=$?
[ "$rc" = 0 ] && ok || bad "dry run: exit $rc: $(cat "$T/c.err")"
jq -e -s '(.[0].event == "start") and (.[-1].event == "end") and (.[-1].dry_run == 1) and
  ([.[] | select(.event == "result")][0] | .result == "dry-run" and .device == "0f000200")' \
  "$T/c.out" >/dev/null && ok || bad "dry run events: $(cat "$T/c.out")"

# ---- status: each of them, today
expect 0 "" "$S" station status --ledger "$L" --json
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
got = (j["units"], j["pass"], j["not_locked"], j["dry_run"], j["failed"], j["open"])
assert got == (3, 1, 1, 1, 0, 0), got
assert j["yield"] == 1.0, j
assert [f["fixture"] for f in j["fixtures"]] == ["a", "b", "c"], j
' "$T/out.txt" && ok || bad "status after the runs: $(cat "$T/out.txt")"

echo "$CHECKS checks, $FAILS failures"
[ "$FAILS" = 0 ]

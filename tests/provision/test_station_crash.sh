#!/usr/bin/env bash
# Crash safety of signet station run (docs/provisioning.md, invariant 5): the
# station is killed (SIGKILL) inside each step in turn, and the device loses
# power at each change of its state in turn; a rerun on the same unit then
# finishes it, and after every rerun the invariants hold (station_check.py:
# the database and the ledger agree, one live certificate per device, no
# lock without its prelock record, records in order) and the ledger verifies.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/station_lib.sh"

# kill_at STEP DELAY_MS FIXTURE: runs the station, and SIGKILLs it DELAY_MS
# after its --json step event for STEP (the device answers 20 ms late, so the
# kill lands inside the step); says "killed" or how the run ended.
kill_at() {
  export T
  python3 - "$1" "$2" "$S" station run "${CA[@]}" --fixture "$3" --lock --json <<'PY'
import json, os, signal, subprocess, sys, time
step, delay, cmd = sys.argv[1], int(sys.argv[2]) / 1000, sys.argv[3:]
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(os.environ["T"] + "/kill.err", "w"), text=True)
for line in p.stdout:
    e = json.loads(line)
    if e.get("event") == "step" and e.get("step") == step:
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        print("killed")
        sys.exit(0)
p.wait()
print("ended %d" % p.returncode)
PY
}

rerun() { # FIXTURE -> the result line of one more run
  "$S" station run "${CA[@]}" --fixture "$1" --lock --json >"$T/rerun.json" 2>"$T/rerun.err" || true
  results "$T/rerun.json"
}

n=0
for step in connect identify check key issue write verify prelock lock lock-check; do
  for delay in 5 25; do
    n=$((n + 1))
    uid=$(printf '2%03d0000' "$n")
    sim "k$n" --uid "$uid" --latency 20
    got=$(kill_at "$step" "$delay" "$(fx "k$n")")
    [ "$got" = killed ] && ok || bad "kill at $step +${delay}ms: the run $got before: $(head -c 300 "$T/kill.err")"
    # (no check here: a kill between the database's commit and the ledger's append
    # leaves a debt that only the next run settles, as section 4 says)
    # the rerun finishes the unit: it passes, or (killed after the lock was
    # decided) it is found locked with its prelock record and passes too
    line=$(rerun "$(fx "k$n")")
    case "$line" in
    "k$n $uid lock-check pass -" | "k$n $uid check pass -") ok ;;
    *) bad "kill at $step +${delay}ms: the rerun ended '$line' $(head -c 300 "$T/rerun.err")" ;;
    esac
    check_all
    [ "$(lock_bits "$T/k$n.state")" = 7 ] && ok || bad "kill at $step: the unit is not locked"
    stop_sims
  done
done

# a power cut at each change of the device's state (KEYGEN, the slots'
# writes, LOCK): that unit fails with "transport", a rerun passes
for cut in 1 2 3 4 5 6; do
  uid=$(printf '3%03d0000' "$cut")
  sim "p$cut" --uid "$uid" --power-cut-after "$cut"
  "$S" station run "${CA[@]}" --fixture "$(fx "p$cut")" --lock --json >"$T/cut.json" 2>/dev/null || true
  first=$(results "$T/cut.json")
  case "$first" in
  *" failed transport" | *" lock-check pass -") ok ;;
  *) bad "power cut at change $cut: '$first'" ;;
  esac
  check_all
  line=$(rerun "$(fx "p$cut")")
  case "$line" in
  "p$cut $uid lock-check pass -" | "p$cut $uid check pass -") ok ;;
  "p$cut $uid check failed already-provisioned")
    [ "${first##* }" = "-" ] && ok || bad "power cut at change $cut: '$line' after '$first'" ;;
  *) bad "power cut at change $cut: the rerun ended '$line'" ;;
  esac
  check_all
  stop_sims
done
"$S" ledger checkpoint --ledger "$L" --key "$U;object=log" >/dev/null 2>&1
verify_ledger
finish

#!/usr/bin/env bash
# The provisioning station's speed, part 2: the whole `signet station run`
# (identify, check against the database and the ledger, device KEYGEN,
# issuance signed in a SoftHSM2 token, write, read back, challenge, lock,
# durable ledger records) against `signet sim` devices, unlimited and at a
# UART rate, on 1 and 4 fixtures. Prints per-unit time, units per hour, and
# the station's time beyond the device link (part 1's bench_device_link
# figure for the same line, run here too): the target is <= 100 ms of
# station overhead per unit at an unlimited line rate with durable ledger
# records; 4 fixtures at 115200 baud >= 3.5 x one. The token's signature
# is shown apart (signet pki issue of one certificate, minus its start-up).
# The ledger and the database are on disk (BENCH_DIR, default /tmp); the
# devices' state files too. Measured here (2 cores, 40 units): 9.3 ms a
# unit on one fixture at an unlimited rate, 5.9 ms of it beyond the device
# link; issuance 1.2 ms of that; at 115200 baud 364 ms a unit, and 4
# fixtures 3.97 x one. Not a test: numbers only.
# Usage: bench/station_whole.sh [UNITS [BAUD]] (defaults 40 and 115200).
set -euo pipefail
cd "$(dirname "$0")/.."
units=${1:-40}
baud=${2:-115200}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target signet bench_device_link >/dev/null
S=$PWD/build/cli/signet
W=$(mktemp -d "${BENCH_DIR:-/tmp}/signet-bench-XXXXXX")
cleanup() { if [ -f "$W/sims" ]; then xargs kill <"$W/sims" 2>/dev/null || true; fi; rm -rf "$W"; }
trap cleanup EXIT
. bench/station_ca.sh

now() { date +%s.%N; }
# station RUN FIXTURES BAUD -> seconds for $units units (RUN names the files)
station() {
  local run=$1 n=$2 rate=$3 fx=() i
  for ((i = 0; i < n; i++)); do
    local sock=$W/r$run-f$i.sock extra=()
    [ "$rate" = 0 ] || extra=(--baud "$rate")
    "$S" sim --state "$W/r$run-f$i" --listen "unix:$sock" --uid "$(printf '%02x%02x0000' "$run" "$i")" \
      --units $((units + 2)) "${extra[@]}" >"$W/sim$run-$i.out" 2>&1 &
    echo $! >>"$W/sims"
    fx+=(--fixture "unix:$sock")
  done
  for ((i = 0; i < n; i++)); do
    while ! grep -q listening "$W/sim$run-$i.out" 2>/dev/null; do sleep 0.02; done
  done
  local t0 t1
  t0=$(now)
  "$S" station run --profile sim "${fx[@]}" --ca-key "$U;object=factory" --ca-cert "$W/ca.pem" \
    --chain "$W/root.pem" --db "$W/i.db" --ledger "$W/l.ledger" --count "$units" --lock --json \
    >"$W/run$run.json"
  t1=$(now)
  local pass
  pass=$(grep -c '"result":"pass"' "$W/run$run.json" || true)
  [ "$pass" = "$units" ] || { echo "bench: only $pass of $units units passed" >&2; exit 1; }
  xargs kill <"$W/sims" 2>/dev/null || true
  rm -f "$W/sims"
  python3 -c "print($t1 - $t0)"
}

# the device link alone, per unit, from part 1 (its "ms/unit" column)
link_ms() { # FIXTURES BAUD
  awk -v n="$1" -v line="$2" '$1 == line && $2 == n { print $3 }' "$W/link.txt"
}
build/tests/provision/bench_device_link "$W" 10 "$baud" >"$W/link.txt"

# issuance with the token's signature, one thread, per certificate: `pki issue --csr-dir
# --jobs 1` of 100 CSRs (the same build, lint, sign in the token, verify and database insert
# the station does per unit)
mkdir "$W/csr" "$W/out"
for i in $(seq 1 100); do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj "/CN=SN-$i" -out "$W/csr/SN-$i.csr" 2>/dev/null
done
t0=$(now)
"$S" pki issue --ca-key "$U;object=factory" --ca-cert "$W/ca.pem" --profile idevid \
  --hw-type 1.3.6.1.4.1.55555.1.1 --subject /CN=bench --db "$W/i.db" --jobs 1 \
  --csr-dir "$W/csr" --out-dir "$W/out" 2>/dev/null
t1=$(now)
sign_ms=$(python3 -c "print(($t1 - $t0) / 100 * 1000)")

printf '%-10s %-8s %10s %12s %10s %14s\n' line fixtures ms/unit units/hour "link ms" "station beyond"
one=0
run=0
for rate in 0 "$baud"; do
  for n in 1 4; do
    run=$((run + 1))
    secs=$(station "$run" "$n" "$rate")
    line=unlimited
    [ "$rate" = 0 ] || line=$rate
    python3 - "$secs" "$units" "$n" "$line" "$(link_ms "$n" "$line")" "$one" <<'PY'
import sys
secs, units, n, line, link, one = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5] or 0), float(sys.argv[6])
per = secs / units * 1000          # wall time per unit, all fixtures together
per_fixture = per * n              # one fixture's time per unit
rate = 3600 / (secs / units)
extra = ""
if n > 1 and one:
    extra = "   %.2fx one fixture" % (rate / one)
# at a line rate the link bench's payloads differ from a real unit's: the
# station's own time is the unlimited rows' figure
beyond = "%14.1f" % (per_fixture - link) if line == "unlimited" else "%14s" % "-"
print("%-10s %-8d %10.1f %12.0f %10.1f %s%s" % (line, n, per, rate, link, beyond, extra))
PY
    if [ "$n" = 1 ]; then one=$(python3 -c "print(3600 / ($secs / $units))"); fi
  done
done
printf 'issuance with the token signature (SoftHSM2 P-256, one thread, within the above): %.1f ms a certificate\n' "$sign_ms"
echo "link ms: bench_device_link's unit (KEYGEN included; its payloads are fixed, a real unit's differ)"
echo "station beyond: one fixture's time per unit minus the link's, at an unlimited line rate"

#!/usr/bin/env bash
# The provisioning station's speed, part 3: whole units on QEMU's micro:bit
# (an nRF51822), over gdb: (the probe agent, the flash routine run on QEMU's
# CPU) and over the UART firmware (tcp: to QEMU's UART), each unit on a fresh
# QEMU with its own UID, --lock, durable ledger records. Per unit (the result
# event's seconds and link_seconds): the unit's time, the link's (from each
# request's first byte to its answer, which for gdb: includes every GDB round trip the
# host agent makes) and the station's own (the difference). Target (issue
# 12): the station adds <= 100 ms a unit beyond the link. (The GDB memory
# throughput for a 4 KiB page is part 1's bench_gdb_mem.) Measured here (2
# cores, quiet, flash routine loaded once a unit): gdb: 36 ms a unit, 7 ms
# of it the station's; UART firmware 37-110 ms a unit (QEMU's UART has no
# line rate; runs vary), 7-15 ms the station's; gdb: memory writes ~13,000
# KiB/s. Not a test: numbers only.
# Usage: bench/station_qemu.sh [UNITS] (default 5 per fixture kind).
set -euo pipefail
cd "$(dirname "$0")/.."
units=${1:-5}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
S=$PWD/build/cli/signet
FW=$PWD/build/provision/firmware
W=$(mktemp -d "${BENCH_DIR:-/tmp}/signet-bench-XXXXXX")
T=$W
. tests/provision/qemu_lib.sh
trap 'qemu_stop_all; rm -rf "$W"' EXIT
. bench/station_ca.sh
UID_RAM=0x20002000
jq ".name = \"nrf51-qemu\" | .probe.uid.address = \"$UID_RAM\"" provision/targets/nrf51.json >"$W/nrf51-qemu.json"

# one KIND I: a unit on a fresh QEMU; appends "seconds link_seconds" to $W/KIND
one() {
	local kind=$1 i=$2 fixture profile
	if [ "$kind" = gdb ]; then
		qemu_start
		qemu_gdb "$QEMU_GDB" "set {unsigned int}$UID_RAM = $((0x1000 + i))" >/dev/null
		fixture=gdb:$QEMU_GDB profile=$W/nrf51-qemu.json
	else
		qemu_start --serial -kernel "$FW/agent-nrf51-qemutest.elf" \
			-device "loader,addr=0x20003FFC,data=$((0x2000 + i)),data-len=4"
		qemu_gdb "$QEMU_GDB" >/dev/null # QEMU starts halted: a debugger's detach lets it run
		fixture=tcp:$QEMU_SERIAL profile=nrf51-uart
	fi
	"$S" station run --profile "$profile" --fixture "$fixture" --ca-key "$U;object=factory" \
		--ca-cert "$W/ca.pem" --chain "$W/root.pem" --db "$W/i.db" --ledger "$W/l.ledger" --lock \
		--json >"$W/$kind-$i.json" 2>"$W/$kind-$i.err" </dev/null || true
	[ -n "$(jq -c 'select(.event == "result" and .result == "pass")' "$W/$kind-$i.json")" ] ||
		{ echo "bench: $kind unit $i did not pass: $(grep result "$W/$kind-$i.json") $(cat "$W/$kind-$i.err")" >&2; exit 1; }
	jq -r 'select(.event == "result") | "\(.seconds) \(.link_seconds)"' "$W/$kind-$i.json" >>"$W/$kind"
	qemu_stop_all
}

printf '%-26s %6s %10s %10s %12s\n' fixture units "ms/unit" "link ms" "station ms"
for kind in gdb uart; do
	if [ "$kind" = uart ] && [ ! -f "$FW/agent-nrf51-qemutest.elf" ]; then
		echo "uart: no firmware built (arm-none-eabi-gcc)"
		continue
	fi
	for i in $(seq 1 "$units"); do one "$kind" "$i"; done
	python3 - "$W/$kind" "$kind" <<'PY'
import sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
n = len(rows)
secs = sum(r[0] for r in rows) / n * 1000
link = sum(r[1] for r in rows) / n * 1000
name = {"gdb": "gdb: (probe agent)", "uart": "tcp: (UART firmware)"}[sys.argv[2]]
print("%-26s %6d %10.1f %10.1f %12.1f" % (name, n, secs, link, secs - link))
PY
done
echo "ms/unit: the unit's time from the INFO that found it to its result (the result event's seconds)"
echo "link ms: the time from each request's first byte to its answer; station ms: the rest"

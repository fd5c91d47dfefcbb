#!/usr/bin/env bash
# The provisioning station's speed, part 1: the device link (bench/
# device_link.c) between the station's protocol client and `signet sim`'s
# device, per unit and in units per hour, unlimited and at a UART rate, on
# 1 and 4 fixtures at once, with the bytes' own time on the wire and what
# the link adds beyond it. KEYGEN (the simulated device's OpenSSL key
# generation and its durable state write) is shown apart. Targets (issue):
# 4 fixtures at 115200 baud >= 3.5 x the units per hour of one; gdb: memory
# writes >= 100 KiB/s on localhost QEMU (measured here: ~14,000 KiB/s, a
# 0.09 ms round trip). Part 2,
# the whole station (bench/station_whole.sh), runs after it. The simulated device saves its state durably (fsync) after every
# change, as flash would hold it: on a disk that is most of the time at an
# unlimited rate; BENCH_DIR=/dev/shm shows the link alone. Measured here
# (2 cores): link alone 0.6 ms a unit unlimited; at 115200 baud 420 ms a
# unit of which 392 ms are the 4,514 bytes' own time on the wire; 4
# fixtures 4.0 x one. Not a test: numbers only.
# Usage: bench/station.sh [UNITS [BAUD]] (defaults 20 and 115200).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target bench_device_link bench_gdb_mem >/dev/null
W=$(mktemp -d "${BENCH_DIR:-/tmp}/signet-bench-XXXXXX")
trap 'rm -rf "$W"' EXIT
build/tests/provision/bench_device_link "$W" "${1:-20}" "${2:-115200}"
# gdb: memory throughput on QEMU's microbit (bench/gdb_mem.c)
if command -v qemu-system-arm >/dev/null; then
	T=$W
	. tests/provision/qemu_lib.sh
	trap 'qemu_stop_all; rm -rf "$W"' EXIT
	qemu_start && build/tests/provision/bench_gdb_mem "gdb:$QEMU_GDB" 50
	qemu_stop_all
fi
echo
echo "the whole station (bench/station_whole.sh):"
bench/station_whole.sh "${1:-20}" "${2:-115200}"
if command -v qemu-system-arm >/dev/null; then
	echo
	echo "the whole station on QEMU's nRF51 (bench/station_qemu.sh):"
	bench/station_qemu.sh 5
fi

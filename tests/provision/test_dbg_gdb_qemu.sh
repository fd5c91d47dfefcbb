# gdb: fixtures (provision/dbg_gdb.c) against a real GDB server, QEMU's
# microbit (an nRF51822), driven by tests/provision/dbg_drive.c; what QEMU
# then holds is read through gdb-multiarch's own connection. The FICR
# DEVICEID, 4 KiB of RAM written and read back, the nrf51 profile's flash
# routine run in RAM to erase a page, program it and program UICR RBPCONF;
# QEMU killed mid-session and a port nobody listens on end with exit 3
# (the link failed) at once.
. "$(dirname "$0")/../cli/lib.sh"
command -v qemu-system-arm >/dev/null || { echo "SKIP: no qemu-system-arm"; exit 77; }
. "$(dirname "$0")/qemu_lib.sh"
trap 'qemu_stop_all; rm -rf "$T"' EXIT
D=${DBG_DRIVE:?set DBG_DRIVE to the dbg_drive test program}
PROFILE=$SIGNET_SOURCE_DIR/provision/targets/nrf51.json
CODE=$(jq -r .probe.routine.code "$PROFILE")
STOP=$(printf '0x%08x' $((0x20000000 + $(jq -r .probe.routine.stop "$PROFILE"))))
# the routine at the start of RAM, its data after it, the stack at the top
RUN="0x20000000:$STOP:0x20004000"

now_ms() { date +%s%3N; }

qemu_start
G=gdb:$QEMU_GDB

# FICR DEVICEID, what every QEMU nRF51 reports
expect 0 "" "$D" "$G" read:0x10000060:8
[ "$(tr '\n' ' ' <"$T/out.txt")" = "00000003 12345678 " ] && ok || bad "DEVICEID: $(cat "$T/out.txt")"

# 4 KiB of RAM (four 1 KiB packets each way), back through both connections
expect 0 "" "$D" "$G" pattern:0x20001000:4096:7 verify:0x20001000:4096:7
qemu_words "$QEMU_GDB" 0x20001000 1024 >"$T/ram.txt"
python3 - "$T/ram.txt" <<'PY' && ok || bad "RAM as gdb-multiarch reads it is not the pattern written"
import sys
want = bytes((7 + i * 7 + (i >> 8)) & 0xff for i in range(4096))
words = [int(w, 16) for w in open(sys.argv[1]).read().split()]
sys.exit(0 if b"".join(w.to_bytes(4, "little") for w in words) == want else 1)
PY

# The flash routine: erase the page at 0x3F000 (a debugger write put words
# there first, which QEMU lets land in flash), program four words into it,
# then RBPCONF; each call returns r0 = 0 at the routine's stop.
expect 0 "" "$D" "$G" write:0x3F000:0,0,0,0,12345678 load:0x20000000:"$CODE" \
	"call:$RUN:0:0x3F000:0:0:2000" \
	write:0x20001000:11223344,55667788,deadbeef,01020304 "call:$RUN:1:0x3F000:0x20001000:4:2000" \
	write:0x20001000:ffff00ff "call:$RUN:1:0x10001004:0x20001000:1:2000"
[ "$(grep -c '^r0=00000000$' "$T/out.txt")" = 3 ] && ok || bad "routine calls: $(cat "$T/out.txt")"
[ "$(qemu_words "$QEMU_GDB" 0x3F000 5 | tr '\n' ' ')" = "11223344 55667788 deadbeef 01020304 ffffffff " ] && ok ||
	bad "flash page 0x3F000 not erased and programmed: $(qemu_words "$QEMU_GDB" 0x3F000 5 | tr '\n' ' ')"
[ "$(qemu_words "$QEMU_GDB" 0x10001004 1)" = ffff00ff ] && ok || bad "UICR RBPCONF not programmed"
# a debugger write to UICR is dropped by QEMU (answered OK): the routine is what worked
expect 0 "" "$D" "$G" write:0x10001004:12345678 read:0x10001004:4
grep -qx ffff00ff "$T/out.txt" && ok || bad "QEMU took a debugger write to UICR: $(cat "$T/out.txt")"

# An address with nothing behind it (QEMU answers E14): the target's "no" (exit 1).
expect 1 "reading 0x60000000: the server answered E14" "$D" "$G" read:0x60000000:4

# QEMU killed mid-session: exit 3 at the next request, not a hang.
"$D" "$G" read:0x10000060:8 sleep:600 read:0x10000060:8 >"$T/kill.out" 2>"$T/kill.err" &
drive=$!
sleep 0.3
qemu_stop "$QEMU_PID"
t0=$(now_ms)
rc=0
wait $drive || rc=$?
[ $rc = 3 ] && [ $(($(now_ms) - t0)) -lt 2000 ] && ok || bad "after QEMU died: exit $rc in $(($(now_ms) - t0)) ms"
[ "$(cat "$T/kill.err")" = "$G: the server closed the connection" ] && ok || bad "after QEMU died: $(cat "$T/kill.err")"

# A port nobody listens on: exit 3 at once.
port=$(free_port)
t0=$(now_ms)
expect 3 "gdb:127.0.0.1:$port:" "$D" "gdb:127.0.0.1:$port" read:0x10000060:8
[ $(($(now_ms) - t0)) -lt 2000 ] && ok || bad "an unreachable port took $(($(now_ms) - t0)) ms"
finish

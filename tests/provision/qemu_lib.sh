# QEMU's micro:bit (nRF51822) for the station's real-target tests: sourced
# after tests/cli/lib.sh. Each test starts its own QEMU halted (-S), on free
# loopback ports, and stops it by PID (qemu_stop_all runs from the EXIT trap
# when the test calls qemu_trap). See docs/provisioning.md §12 for what QEMU
# models of the chip and what it does not.

QEMU_PIDS=()

# A TCP port nobody listens on now (QEMU binds it a moment later; a clash
# makes qemu_start retry).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# qemu_wait_port PORT: up to 10 s for a listener on 127.0.0.1:PORT.
qemu_wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
}

# A firmware that only idles (vector table: sp, reset; then `b .`): a chip
# with no provisioning firmware, whose core may run when a debugger detaches.
qemu_idle_image() {
	[ -f "$T/idle.bin" ] || printf '\x00\x40\x00\x20\x09\x00\x00\x00\xfe\xe7\x00\x00' >"$T/idle.bin"
	echo "$T/idle.bin"
}

# qemu_start [--serial] [QEMU ARGS...]: starts qemu-system-arm -M microbit
# halted with its GDB stub on a free port. Sets QEMU_PID, QEMU_GDB
# (127.0.0.1:PORT) and, with --serial, QEMU_SERIAL (127.0.0.1:PORT, the
# UART as a TCP server QEMU waits on before it runs). Its output goes to
# $T/qemu-PID.log.
qemu_start() {
	local serial=0 try gport sport args
	[ "${1:-}" = --serial ] && { serial=1; shift; }
	for try in 1 2 3 4 5; do
		gport=$(free_port)
		args=(-M microbit -nographic -display none -monitor none -S -gdb "tcp:127.0.0.1:$gport")
		if [ $serial = 1 ]; then
			sport=$(free_port)
			args+=(-serial "tcp:127.0.0.1:$sport,server=on,wait=off,nodelay=on")
		else
			args+=(-serial none)
		fi
		case " $* " in *" -kernel "*) ;; *) args+=(-kernel "$(qemu_idle_image)") ;; esac
		(exec qemu-system-arm "${args[@]}" "$@") >"$T/qemu.log.tmp" 2>&1 &
		QEMU_PID=$!
		if qemu_wait_port "$gport" && kill -0 $QEMU_PID 2>/dev/null; then
			mv "$T/qemu.log.tmp" "$T/qemu-$QEMU_PID.log" 2>/dev/null || true
			QEMU_PIDS+=("$QEMU_PID")
			QEMU_GDB=127.0.0.1:$gport
			[ $serial = 1 ] && QEMU_SERIAL=127.0.0.1:$sport
			return 0
		fi
		kill $QEMU_PID 2>/dev/null; wait $QEMU_PID 2>/dev/null
	done
	echo "qemu_start: QEMU did not start: $(cat "$T/qemu.log.tmp")" >&2
	return 1
}

qemu_stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

qemu_stop_all() {
	local p
	for p in "${QEMU_PIDS[@]}"; do qemu_stop "$p"; done
	QEMU_PIDS=()
}

# qemu_gdb ADDR CMD...: runs gdb-multiarch's commands against the GDB stub
# at ADDR (a connection of its own, not the station's), without letting
# gdb detach at the end (the core resumes: qemu_start gives it an idle loop
# to run): the commands' output on stdout.
qemu_gdb() {
	local addr=$1 a=()
	shift
	for c in "$@"; do a+=(-ex "$c"); done
	timeout 30 gdb-multiarch -batch -nx -ex "set architecture armv6-m" -ex "set confirm off" \
		-ex "target remote $addr" "${a[@]}" 2>/dev/null
}

# qemu_words ADDR ADDRESS COUNT: COUNT 32-bit words from target memory as
# 8-digit hex, one per line.
qemu_words() {
	qemu_gdb "$1" "x/$3xw $2" | grep -E '^0x[0-9a-f]+( <[^>]*>)?:' | sed 's/^[^:]*://' | grep -o '0x[0-9a-f]\{8\}' |
		sed 's/^0x//'
}

# qemu_dump ADDR FILE START END: target memory [START, END) into FILE, through
# gdb-multiarch's own connection.
qemu_dump() {
	qemu_gdb "$1" "dump binary memory $2 $3 $4" >/dev/null
	[ -s "$2" ]
}

# signet station run over cmsis-dap: with the probe model (libdap_model.so,
# preloaded in front of libusb: the unmodified signet binary and client):
# the shipped nrf51 profile end to end with --lock, then what the model's
# chip holds, read from its state file after signet has exited: the
# certificate slot is the database's certificate (openssl verifies it), the
# chain slot the CA's and the root's, the key slot the certificate's key,
# UICR RBPCONF with PALL set. Also: two probes picked by serial number in
# one run (each its own unit and UID), a probe unplugged mid-unit (the unit
# fails "transport"), no probe at all, and the invariants and the ledger.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/station_lib.sh"
[ -n "${DAP_MODEL:-}" ] && [ -f "$DAP_MODEL" ] || { echo "DAP_MODEL: the probe model library (ctest sets it)" >&2; exit 1; }
# ASan: the model comes before its runtime in the preload order.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
HEAD=72 # the state file's counters before the flash (nrf51_mem.h)

run() { # OUT [station run options...] -> exit status in $rc
	local out=$1
	shift
	rc=0
	LD_PRELOAD=$DAP_MODEL "$S" station run "${CA[@]}" --profile nrf51 --json "$@" >"$T/$out" \
		2>"$T/$out.err" </dev/null || rc=$?
}

# region STATE OFFSET SIZE: bytes of the chip's state file
region() { dd if="$1" bs=4096 iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none; }

# check_held NAME STATE SERIAL: the chip holds the unit's certificate, chain, key, lock
check_held() {
	local name=$1 state=$2 serial=$3 b=$T/$1
	region "$state" $((HEAD + 0x3F000)) 4096 >"$b.flash"
	region "$state" $((HEAD + 0x40000)) 16 >"$b.uicr"
	nrf51_check_held "$name" "$serial"
}

serial_of() { jq -r "select(.event == \"result\" and .fixture == \"$2\") | .serial" "$1"; }

# ---- one probe, one unit, locked
export SIGNET_DAP_MODEL_MEM=$T/one.chip SIGNET_DAP_MODEL_DEVICEID=12345678000000A1
run one.json --fixture cmsis-dap --lock --ledger-key "$U;object=log"
[ "$rc" = 0 ] && [ "$(results "$T/one.json")" = "f1 a100000078563412 lock-check pass -" ] && ok ||
	bad "one: exit $rc, $(results "$T/one.json") $(head -c 300 "$T/one.json.err")"
check_held one "$T/one.chip" "$(serial_of "$T/one.json" f1)"

# ---- two probes in one run, each named by its serial number
export SIGNET_DAP_MODEL_MEM=$T/two.chip SIGNET_DAP_MODEL_SERIAL=AAA1,BBB2 SIGNET_DAP_MODEL_DEVICEID=12345678000000B0
run two.json --fixture a=cmsis-dap:AAA1 --fixture b=cmsis-dap:BBB2 --lock
[ "$rc" = 0 ] && [ "$(results "$T/two.json" | sort | tr '\n' ' ')" = \
	"a b000000078563412 lock-check pass - b b100000078563412 lock-check pass - " ] && ok ||
	bad "two: exit $rc, $(results "$T/two.json") $(head -c 300 "$T/two.json.err")"
check_held two-a "$T/two.chip.AAA1" "$(serial_of "$T/two.json" a)"
check_held two-b "$T/two.chip.BBB2" "$(serial_of "$T/two.json" b)"
# ... and without a serial number the fixture is ambiguous: the unit fails
# at connect saying so
run ambiguous.json --fixture cmsis-dap --count 1
has "$T/ambiguous.json" '.event == "result" and .result == "failed" and .step == "connect" and
	.detail == "cmsis-dap: 2 CMSIS-DAP probes found (AAA1, BBB2): name one as cmsis-dap:SERIAL"' &&
	[ "$rc" = 1 ] && ok || bad "ambiguous: exit $rc, $(results "$T/ambiguous.json")"
unset SIGNET_DAP_MODEL_SERIAL

# ---- unplugged mid-unit: that unit fails with reason transport
export SIGNET_DAP_MODEL_MEM=$T/cut.chip SIGNET_DAP_MODEL_DEVICEID=12345678000000C3
SIGNET_DAP_MODEL_UNPLUG_AFTER=200 run cut.json --fixture cmsis-dap --count 1
has "$T/cut.json" '.event == "result" and .result == "failed" and .reason == "transport" and .step != "connect"
	and (.detail | startswith("cmsis-dap: the probe is gone"))' && [ "$rc" = 1 ] && ok ||
	bad "unplugged: exit $rc, $(results "$T/cut.json") $(head -c 300 "$T/cut.json.err")"

# ---- no probe on the bus
SIGNET_DAP_MODEL_SERIAL= run none.json --fixture cmsis-dap --count 1
has "$T/none.json" '.event == "result" and .reason == "transport" and
	.detail == "cmsis-dap: no CMSIS-DAP probe found on USB"' && [ "$rc" = 1 ] && ok ||
	bad "no probe: exit $rc, $(results "$T/none.json") $(head -c 300 "$T/none.json.err")"

check_all
verify_ledger
finish

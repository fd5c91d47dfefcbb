# signet station run over gdb: to QEMU's micro:bit (a real nRF51822 model,
# its CPU running the profile's flash routine): the nrf51 profile end to end
# with --lock, then what QEMU really holds, read through gdb-multiarch's own
# connection (not the station's): the certificate slot is the database's
# certificate (openssl verifies it), the chain slot the CA's and the root's,
# the key slot a key whose public half is the certificate's, UICR RBPCONF
# with PALL set. Also: a dry run with the shipped profile (FICR's UID,
# nothing written), a second unit on a fresh QEMU with its own UID (the
# test's copy of the profile reads the UID from a RAM word the test writes:
# docs/provisioning.md §12.5), a GDB server that goes away mid-unit (the unit
# fails "transport" while another fixture's unit passes), a chip the profile
# does not identify (wrong-chip), a probe fixture with a profile that has no
# probe member (exit 2), and the invariants and the ledger afterwards.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/station_lib.sh"
. "$here/qemu_lib.sh"
trap 'qemu_stop_all; [ -z "${CUT_PID:-}" ] || kill "$CUT_PID" 2>/dev/null; [ -n "${KEEP_TEMP:-}" ] || rm -rf "$T"' EXIT
for tool in qemu-system-arm gdb-multiarch; do
	command -v $tool >/dev/null || { echo "$tool not installed (scripts/setup-deps.sh)" >&2; exit 1; }
done
SRC=$SIGNET_SOURCE_DIR/provision/targets
FICR_UID=0300000078563412 # QEMU's FICR DEVICEID, the same on every instance
UID_RAM=0x20002000        # where the test profile reads the UID

# the shipped profile with the UID read from RAM (and, for wrong-chip, with
# an identify word QEMU does not have)
jq ".name = \"nrf51-qemu\" | .probe.uid.address = \"$UID_RAM\"" "$SRC/nrf51.json" >"$T/nrf51-qemu.json"
jq '.probe.identify[1].value = "0x00000080"' "$T/nrf51-qemu.json" >"$T/nrf51-128k.json"

run() { # OUT [station run options...] -> exit status in $rc
	local out=$1
	shift
	rc=0
	"$S" station run "${CA[@]}" --json "$@" >"$T/$out" 2>"$T/$out.err" </dev/null || rc=$?
}

# unit_qemu UID-HEX: a fresh QEMU whose test UID (8 bytes) is UID-HEX
unit_qemu() {
	qemu_start
	local lo=${1:0:8} hi=${1:8:8}
	le() { echo "0x${1:6:2}${1:4:2}${1:2:2}${1:0:2}"; }
	qemu_gdb "$QEMU_GDB" "set {unsigned int}$UID_RAM = $(le "$lo")" \
		"set {unsigned int}($UID_RAM + 4) = $(le "$hi")" >/dev/null
}

# check_held NAME SERIAL: what QEMU holds is the unit's certificate, chain, key, lock
check_held() {
	local name=$1 serial=$2 b=$T/$1
	qemu_dump "$QEMU_GDB" "$b.flash" 0x3F000 0x40000 && qemu_dump "$QEMU_GDB" "$b.uicr" 0x10001000 0x10001010 ||
		{ bad "$name: gdb-multiarch could not read QEMU's memory"; return; }
	sqlite3 "$DB" "SELECT hex(der) FROM certs WHERE serial = '$serial'" | xxd -r -p >"$b.db.der"
	python3 "$here/flash_slot.py" "$b.flash" 0 1024 >"$b.cert.der" &&
		python3 "$here/flash_slot.py" "$b.flash" 0x400 2048 >"$b.chain" &&
		python3 "$here/flash_slot.py" "$b.flash" 0xC00 1024 >"$b.key" && ok ||
		{ bad "$name: the slots' layout"; return; }
	[ -s "$b.db.der" ] && cmp -s "$b.cert.der" "$b.db.der" && ok ||
		bad "$name: the certificate slot is not the database's certificate $serial"
	cat <(openssl x509 -in "$T/ca.pem" -outform DER) <(openssl x509 -in "$T/root.pem" -outform DER) >"$b.chain.want"
	cmp -s "$b.chain" "$b.chain.want" && ok || bad "$name: the chain slot is not the CA's and the root's"
	openssl verify -CAfile "$T/root.pem" -untrusted "$T/ca.pem" <(openssl x509 -inform DER -in "$b.cert.der") \
		>/dev/null 2>&1 && ok || bad "$name: openssl does not verify the certificate in flash"
	[ "$(stat -c %s "$b.key")" = 32 ] && ok || bad "$name: the key slot holds $(stat -c %s "$b.key") bytes"
	{ printf '\x30\x31\x02\x01\x01\x04\x20'; cat "$b.key"; printf '\xa0\x0a\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07'; } >"$b.key.der"
	openssl ec -inform DER -in "$b.key.der" -pubout 2>/dev/null >"$b.key.pub"
	openssl x509 -inform DER -in "$b.cert.der" -noout -pubkey >"$b.cert.pub"
	[ -s "$b.key.pub" ] && cmp -s "$b.key.pub" "$b.cert.pub" && ok || bad "$name: the key in flash is not the certificate's"
	[ "$(od -An -tx4 -j4 -N4 "$b.uicr" | tr -d ' ')" = ffff00ff ] && ok ||
		bad "$name: RBPCONF is $(od -An -tx4 -j4 -N4 "$b.uicr"), not PALL set"
}

# ---- a probe fixture needs a profile with a probe member
run usage.json --profile sim --fixture gdb:127.0.0.1:9
[ "$rc" = 2 ] && grep -q "profile sim has no probe member" "$T/usage.json.err" && ok ||
	bad "gdb: with the sim profile: exit $rc, $(cat "$T/usage.json.err")"

# ---- the shipped profile, a dry run: FICR's UID, nothing written
qemu_start
run dry.json --profile nrf51 --fixture "gdb:$QEMU_GDB" --dry-run
[ "$rc" = 0 ] && [ "$(results "$T/dry.json")" = "f1 $FICR_UID verify dry-run -" ] && ok ||
	bad "dry run: exit $rc, $(results "$T/dry.json") $(head -c 300 "$T/dry.json.err")"
qemu_dump "$QEMU_GDB" "$T/dry.flash" 0x3F000 0x40000
[ "$(tr -d '\377' <"$T/dry.flash" | wc -c)" = 0 ] && ok || bad "dry run: the slot pages were written"
qemu_stop_all

# ---- a unit provisioned and locked, then a second on a fresh QEMU
provision() { # NAME UID
	unit_qemu "$2"
	run "$1.json" --profile "$T/nrf51-qemu.json" --fixture "gdb:$QEMU_GDB" --lock --ledger-key "$U;object=log"
	[ "$rc" = 0 ] && [ "$(results "$T/$1.json")" = "f1 $2 lock-check pass -" ] && ok ||
		bad "$1: exit $rc, $(results "$T/$1.json") $(head -c 300 "$T/$1.json.err")"
	check_held "$1" "$(jq -r 'select(.event == "result") | .serial' "$T/$1.json")"
	# the link's time is counted, and is part of the run's
	jq -e 'select(.event == "end") | .link_seconds > 0 and .link_seconds < .seconds' "$T/$1.json" >/dev/null &&
		ok || bad "$1: link_seconds $(jq -c 'select(.event == "end")' "$T/$1.json")"
	qemu_stop_all
}
provision one 00000000000000a1
provision two 00000000000000b2

# ---- a GDB server that goes away mid-unit fails that unit, not the other
# fixture's; a chip the profile does not identify is the wrong chip
unit_qemu 00000000000000c3
GOOD=$QEMU_GDB
unit_qemu 00000000000000d4
coproc CUT { exec python3 "$here/tcp_cut.py" "${QEMU_GDB#*:}" 3000; }
read -r cut_port <&"${CUT[0]}"
run cut.json --profile "$T/nrf51-qemu.json" --fixture "good=gdb:$GOOD" --fixture "cut=gdb:127.0.0.1:$cut_port" --lock
has "$T/cut.json" '.event == "result" and .fixture == "good" and .result == "pass"' && ok ||
	bad "the good fixture: $(results "$T/cut.json") $(head -c 300 "$T/cut.json.err")"
has "$T/cut.json" '.event == "result" and .fixture == "cut" and .result == "failed" and .reason == "transport"' && ok ||
	bad "the cut fixture: $(results "$T/cut.json")"
[ "$rc" = 1 ] && ok || bad "a failed unit: exit $rc"
qemu_stop_all
unit_qemu 00000000000000e5
run chip.json --profile "$T/nrf51-128k.json" --fixture "gdb:$QEMU_GDB"
[ "$(results "$T/chip.json")" = "f1 00000000000000e5 identify failed wrong-chip" ] && ok ||
	bad "wrong chip: $(results "$T/chip.json") $(head -c 300 "$T/chip.json.err")"
qemu_stop_all

check_all
verify_ledger
finish

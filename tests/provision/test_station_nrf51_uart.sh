#!/usr/bin/env bash
# signet station run, --lock, over tcp: to QEMU's micro:bit running the nRF51
# provisioning firmware (provision/firmware/nrf51, docs/firmware-nrf51.md) on
# its UART. What QEMU holds is then read through gdb-multiarch's own
# connection to QEMU's GDB stub, not the station's: the certificate slot's
# length log and bytes are the database's certificate (openssl verifies it
# against the CA), the chain slot the CA's and the root's, the key slot 32
# bytes whose public key is the certificate's, UICR RBPCONF.PALL and the
# slots word programmed. The state is read at the breakpoint on the
# firmware's system reset, after the station's RESET was answered: QEMU
# clears UICR on reset (docs/firmware-nrf51.md, "On QEMU"). A second unit on
# a fresh QEMU has its own UID through the test build's RAM word. Also: the
# shipped build names the unit by FICR DEVICEID alone (a dry run), the
# firmware's size, QEMU's reset losing the lock (lock-lost on a rerun), and
# the ledger verifies.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/station_lib.sh"
. "$here/qemu_lib.sh"
trap 'qemu_stop_all; stop_sims; [ -n "${KEEP_TEMP:-}" ] || rm -rf "$T"' EXIT
FW=${SIGNET_FIRMWARE_DIR:?set SIGNET_FIRMWARE_DIR to the build tree of provision/firmware}
for tool in qemu-system-arm gdb-multiarch arm-none-eabi-nm arm-none-eabi-size; do
  command -v $tool >/dev/null || { echo "$tool not installed (scripts/setup-deps.sh)" >&2; exit 1; }
done
SHIPPED=$FW/agent-nrf51.elf
TESTFW=$FW/agent-nrf51-qemutest.elf
UID_WORD=0x20003FFC # the test build's UID word (provision/firmware/CMakeLists.txt)
FICR_UID=0300000078563412 # QEMU's FICR DEVICEID, the same on every instance

# ---- the firmware as built: within budget, below the slot pages
for elf in "$SHIPPED" "$TESTFW"; do
  read -r text data bss _ < <(arm-none-eabi-size "$elf" | tail -1)
  [ "$text" -le 8192 ] && [ $((data + bss)) -le 4096 ] && ok ||
    bad "$(basename "$elf"): text $text, data $data, bss $bss over 8 KiB / 4 KiB"
done
end=$(arm-none-eabi-nm "$SHIPPED" | awk '$3 == "__data_load" {print $1}')
[ $((16#$end)) -lt $((0x3F000)) ] && ok || bad "the firmware reaches into the slot pages: $end"

run() { # OUT [station run options...] -> exit status in $rc
  local out=$1
  shift
  rc=0
  "$S" station run "${CA[@]}" --profile nrf51-uart --json "$@" >"$T/$out" 2>"$T/$out.err" </dev/null || rc=$?
}

# held NAME ELF: resumes the QEMU just started and, when the firmware
# reaches its system reset, dumps the slot pages and the UICR words to
# $T/NAME.held (gdb's x output), in the background (HELD_PID).
held() {
  local rst
  rst=0x$(arm-none-eabi-nm "$2" | awk '$3 == "fw_system_reset" {print $1}')
  qemu_gdb "$QEMU_GDB" "break *$rst" continue "x/256xw 0x3F000" "x/512xw 0x3F400" \
    "x/256xw 0x3FC00" "x/1xw 0x10001004" "x/1xw 0x10001080" >"$T/$1.held" &
  HELD_PID=$!
  local i
  for i in $(seq 1 500); do
    grep -q '^Breakpoint 1 at' "$T/$1.held" 2>/dev/null && return 0
    sleep 0.02
  done
  bad "gdb did not attach to QEMU: $(cat "$T/$1.held")"
}

# held_words NAME: the words of $T/NAME.held, one per line in $T/NAME.words
# (qemu_words' parsing)
held_words() {
  grep -E '^0x[0-9a-f]+( <[^>]*>)?:' "$T/$1.held" | sed 's/^[^:]*://' | grep -o '0x[0-9a-f]\{8\}' |
    sed 's/^0x//' >"$T/$1.words"
}

# check_held NAME SERIAL: what QEMU held matches the unit's certificate
check_held() {
  local name=$1 serial=$2
  if ! wait "$HELD_PID"; then bad "$name: gdb: $(tail -3 "$T/$name.held")"; return; fi
  sqlite3 "$DB" "SELECT hex(der) FROM certs WHERE serial = '$serial'" | xxd -r -p >"$T/$name.cert.der"
  openssl x509 -in "$T/ca.pem" -outform DER >"$T/ca.der"
  openssl x509 -in "$T/root.pem" -outform DER >"$T/root.der"
  held_words "$name"
  if python3 - "$T/$name" "$T/ca.der" "$T/root.der" >"$T/$name.check" 2>&1 <<'PY'; then ok; else bad "$name: $(cat "$T/$name.check")"; fi
import struct, sys
base, ca, root = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
words = [int(w, 16) for w in open(base + ".words")]
assert len(words) == 256 + 512 + 256 + 2, "gdb gave %d words" % len(words)
mem = b"".join(struct.pack("<I", w) for w in words)
cert_pg, chain_pg, key_pg = mem[:1024], mem[1024:3072], mem[3072:4096]
rbpconf, customer0 = words[-2], words[-1]

def slot(page):  # signet/flash_slots.h: a 16-word length log, then the bytes
    log = struct.unpack("<16I", page[:64])
    n = ([w for w in log if w != 0xFFFFFFFF] or [0])[-1]
    assert n <= len(page) - 64, "length %d past the slot" % n
    return page[64:64 + n]

der = open(base + ".cert.der", "rb").read()
assert slot(cert_pg) == der, "the certificate slot is not the database's certificate"
assert slot(chain_pg) == ca + root, "the chain slot is not the CA's and the root's certificates"
key = slot(key_pg)
assert len(key) == 32, "the key slot holds %d bytes" % len(key)
open(base + ".key.der", "wb").write(bytes.fromhex("30310201010420") + key +
                                    bytes.fromhex("a00a06082a8648ce3d030107"))
assert rbpconf & 0xFF00 == 0, "RBPCONF 0x%08x: PALL not set" % rbpconf
assert customer0 != 0xFFFFFFFF, "UICR CUSTOMER[0] erased: the slots are not locked"
PY
  openssl verify -CAfile "$T/root.pem" -untrusted "$T/ca.pem" <(openssl x509 -inform DER -in "$T/$name.cert.der") \
    >/dev/null 2>&1 && ok || bad "$name: openssl does not verify the certificate against the CA"
  openssl x509 -inform DER -in "$T/$name.cert.der" -noout -pubkey >"$T/$name.cert.pub"
  openssl ec -inform DER -in "$T/$name.key.der" -pubout 2>/dev/null >"$T/$name.key.pub"
  cmp -s "$T/$name.cert.pub" "$T/$name.key.pub" && ok ||
    bad "$name: the key slot's key is not the certificate's"
}

# ---- the shipped build: the unit is FICR DEVICEID, nothing written in a dry run
qemu_start --serial -kernel "$SHIPPED"
held dry "$SHIPPED"
run dry.json --fixture "tcp:$QEMU_SERIAL" --dry-run
[ "$rc" = 0 ] && [ "$(results "$T/dry.json")" = "f1 $FICR_UID verify dry-run -" ] && ok ||
  bad "dry run: exit $rc, $(results "$T/dry.json") $(head -c 300 "$T/dry.json.err")"
wait "$HELD_PID" || bad "dry run: the firmware did not reset after RESET: $(tail -3 "$T/dry.held")"
held_words dry
# QEMU's flash starts as zeros (a blank slot to the firmware), its UICR erased
[ "$(wc -l <"$T/dry.words")" = 1026 ] && [ "$(head -1024 "$T/dry.words" | sort -u)" = 00000000 ] &&
  [ "$(tail -2 "$T/dry.words" | tr '\n' ' ')" = "ffffffff ffffffff " ] && ok ||
  bad "dry run: the device changed: $(sort "$T/dry.words" | uniq -c | head -5)"
qemu_stop_all

# ---- a unit, provisioned and locked: then what QEMU holds
unit_uid() { printf '%s%02x%02x%02x%02x' $FICR_UID $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24)); }
provision() { # NAME UID-WORD
  qemu_start --serial -kernel "$TESTFW" -device "loader,addr=$UID_WORD,data=$2,data-len=4"
  held "$1" "$TESTFW"
  run "$1.json" --fixture "tcp:$QEMU_SERIAL" --lock --ledger-key "$U;object=log"
  local dev
  dev=$(unit_uid "$2")
  [ "$rc" = 0 ] && [ "$(results "$T/$1.json")" = "f1 $dev lock-check pass -" ] && ok ||
    bad "$1: exit $rc, $(results "$T/$1.json") $(head -c 300 "$T/$1.json.err")"
  check_held "$1" "$(jq -r 'select(.event == "result") | .serial' "$T/$1.json")"
}
provision one 0x00000001
# QEMU clears UICR at the reset that follows the unit: a rerun finds the unit
# open while the ledger says it was locked (docs/firmware-nrf51.md, "On QEMU")
run again.json --fixture "tcp:$QEMU_SERIAL" --lock
[ "$(results "$T/again.json")" = "f1 $(unit_uid 1) check quarantined lock-lost" ] && ok ||
  bad "rerun after QEMU's reset: $(results "$T/again.json") $(head -c 300 "$T/again.json.err")"
qemu_stop_all
# ---- a second unit on a fresh QEMU, with its own UID
provision two 0x0badf00d
qemu_stop_all
[ "$(sqlite3 "$DB" "SELECT count(DISTINCT device_serial) FROM certs WHERE device_serial LIKE '$FICR_UID%'")" = 2 ] &&
  ok || bad "two units, not two devices in the database"
check_all
verify_ledger
finish

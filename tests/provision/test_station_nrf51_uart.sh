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
# reaches its system reset, dumps the slot pages to $T/NAME.flash and UICR
# up to CUSTOMER[0] to $T/NAME.uicr, in the background (HELD_PID).
held() {
  local rst i
  rst=0x$(arm-none-eabi-nm "$2" | awk '$3 == "fw_system_reset" {print $1}')
  qemu_gdb "$QEMU_GDB" "break *$rst" continue "dump binary memory $T/$1.flash 0x3F000 0x40000" \
    "dump binary memory $T/$1.uicr 0x10001000 0x10001084" >"$T/$1.held" &
  HELD_PID=$!
  for i in $(seq 1 500); do
    grep -q '^Breakpoint 1 at' "$T/$1.held" 2>/dev/null && return 0
    sleep 0.02
  done
  bad "gdb did not attach to QEMU: $(cat "$T/$1.held")"
}

# uicr NAME OFFSET: the UICR word at OFFSET of $T/NAME.uicr, 8 hex digits
uicr() { od -An -tx4 -j "$2" -N4 "$T/$1.uicr" | tr -d ' '; }

# check_held NAME SERIAL: what QEMU held at the reset is the unit's, and the
# slots word is programmed
check_held() {
  if ! wait "$HELD_PID" || [ ! -s "$T/$1.uicr" ]; then bad "$1: gdb: $(tail -3 "$T/$1.held")"; return; fi
  nrf51_check_held "$1" "$2"
  [ "$(uicr "$1" 0x80)" = 00000000 ] && ok || bad "$1: UICR CUSTOMER[0] is $(uicr "$1" 0x80), not the slots lock"
}

# ---- the shipped build: the unit is FICR DEVICEID, nothing written in a dry run
qemu_start --serial -kernel "$SHIPPED"
held dry "$SHIPPED"
run dry.json --fixture "tcp:$QEMU_SERIAL" --dry-run
[ "$rc" = 0 ] && [ "$(results "$T/dry.json")" = "f1 $FICR_UID verify dry-run -" ] && ok ||
  bad "dry run: exit $rc, $(results "$T/dry.json") $(head -c 300 "$T/dry.json.err")"
wait "$HELD_PID" || bad "dry run: the firmware did not reset after RESET: $(tail -3 "$T/dry.held")"
# QEMU's flash starts as zeros (a blank slot to the firmware), its UICR erased
[ "$(stat -c %s "$T/dry.flash")" = 4096 ] && [ "$(tr -d '\000' <"$T/dry.flash" | wc -c)" = 0 ] &&
  [ "$(uicr dry 4)$(uicr dry 0x80)" = ffffffffffffffff ] && ok ||
  bad "dry run: the device changed: $(od -An -tx4 -N16 "$T/dry.flash") $(uicr dry 4) $(uicr dry 0x80)"
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

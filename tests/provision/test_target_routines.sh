# The flash routine in the nrf51 profile is its source's bytes: assemble
# provision/targets/nrf51-nvmc.S and compare code and stop offset with the
# profile's probe.routine, so the hex in a data file can never drift from
# the code a person can read.
. "$(dirname "$0")/../cli/lib.sh"
trap 'rm -rf "$T"' EXIT
SRC=$SIGNET_SOURCE_DIR/provision/targets
command -v arm-none-eabi-gcc >/dev/null || { echo "SKIP: no arm-none-eabi-gcc"; exit 77; }

arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb -nostdlib -c "$SRC/nrf51-nvmc.S" -o "$T/r.o" &&
	arm-none-eabi-objcopy -O binary "$T/r.o" "$T/r.bin" && ok || bad "nrf51-nvmc.S does not assemble"
code=$(xxd -p "$T/r.bin" | tr -d '\n')
stop=$(arm-none-eabi-nm "$T/r.o" | awk '$3 == "stop" { print $1 }')
[ -n "$code" ] && [ "$code" = "$(jq -r .probe.routine.code "$SRC/nrf51.json")" ] && ok ||
	bad "nrf51.json probe.routine.code is not nrf51-nvmc.S's bytes ($code)"
[ -n "$stop" ] && [ $((16#$stop)) = $(($(jq -r .probe.routine.stop "$SRC/nrf51.json"))) ] && ok ||
	bad "nrf51.json probe.routine.stop is not nrf51-nvmc.S's stop (0x$stop)"
# the entry is the first byte: the station starts the routine there
[ "$(arm-none-eabi-nm "$T/r.o" | awk '$3 == "entry" { print $1 }')" = 00000000 ] && ok ||
	bad "nrf51-nvmc.S: entry is not at offset 0"
finish

# serial: fixtures and signet station ports from the command line. There is
# no USB-UART here: station run refuses a bad serial: spec or a
# pseudo-terminal before it starts (exit 2), and a port that is not there
# fails its unit (reason transport) while a simulated device on another
# fixture passes. station ports on this machine: the ports the kernel has
# (in sysfs) are the ones listed, in the text and --json outputs (the
# schema of docs/provisioning.md §9, checked with jq); no ports at all and a
# system whose ports cannot be listed (a mount namespace hiding
# /sys/class); usage errors and --help.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/station_lib.sh"

# ---- station run with serial: fixtures
expect 2 "--fixture: serial:/dev/ttyUSB0?speed=9600: unknown option 'speed' (baud, parity, flow)" \
  "$S" station run "${CA[@]}" --fixture serial:/dev/ttyUSB0?speed=9600
expect 2 "--fixture: serial:/dev/ttyUSB0?baud=12345: baud 12345 is not a standard rate" \
  "$S" station run "${CA[@]}" --fixture u1=serial:/dev/ttyUSB0?baud=12345
# a pseudo-terminal (signet sim's) given as serial: is refused with the way to reach it
"$S" sim --state "$T/pty.state" --listen pty >"$T/pty.sim" 2>&1 &
SIM_PIDS+=($!)
for i in $(seq 1 500); do grep -q "pty:/dev/" "$T/pty.sim" && break; sleep 0.02; done
pts=$(grep -o "pty:/dev/[^ ]*" "$T/pty.sim" | head -1)
pts=${pts#pty:}
[ -n "$pts" ] && ok || bad "signet sim --listen pty: $(cat "$T/pty.sim")"
expect 2 "--fixture: serial:$pts?baud=115200: a pseudo-terminal, which libserialport does not open: use pty:$pts" \
  "$S" station run "${CA[@]}" --fixture "serial:$pts?baud=115200"
stop_sims
# a missing port fails its unit at connect (transport, naming the port);
# the other fixture's unit passes
sim good
rc=0
"$S" station run "${CA[@]}" --json --fixture "$(fx good)" --fixture "usb0=serial:$T/ttyUSB9?baud=9600" \
  >"$T/run.json" 2>"$T/run.err" </dev/null || rc=$?
[ "$rc" = 1 ] && ok || bad "station run with a missing port: exit $rc: $(cat "$T/run.err")"
jq -r 'select(.event == "result") | "\(.fixture) \(.step) \(.result) \(.reason // "-")"' \
  "$T/run.json" | sort >"$T/results.txt"
printf 'good prelock not-locked -\nusb0 connect failed transport\n' | diff - "$T/results.txt" \
  >"$T/diff.txt" && ok || bad "results: $(cat "$T/diff.txt")"
jq -e --arg d "serial:$T/ttyUSB9?baud=9600: no such port (No such file or directory)" \
  '[.[] | select(.event == "result" and .fixture == "usb0")] | .[0].detail == $d' -s \
  "$T/run.json" >/dev/null &&
  ok || bad "the missing port's detail: $(grep usb0 "$T/run.json")"
stop_sims

# ---- station ports

# What libserialport lists, from sysfs: every tty with a device behind it,
# less the 8250 UARTs the kernel probed and found absent (type 0).
expected() {
  local d n
  for d in /sys/class/tty/*; do
    n=$(basename "$d")
    [ -e "$d/device" ] || continue
    [ -r "$d/type" ] && [ "$(cat "$d/type")" = 0 ] && continue
    echo "/dev/$n"
  done | sort
}

expect 0 "" "$S" station ports
cut -d' ' -f1 "$T/out.txt" | sort >"$T/names.txt"
expected >"$T/want.txt"
if diff "$T/want.txt" "$T/names.txt" >"$T/diff.txt"; then ok; else bad "ports: $(cat "$T/diff.txt")"; fi
if [ -s "$T/want.txt" ]; then
  [ ! -s "$T/err.txt" ] && ok || bad "ports: stderr $(cat "$T/err.txt")"
else
  grep -q "no serial ports found" "$T/err.txt" && ok || bad "ports: no word of none"
fi
# each line: NAME TRANSPORT [VID:PID] [key='value' ...]
if grep -vE "^/[^ ]+ (usb( [0-9a-f]{4}:[0-9a-f]{4})?|native|bluetooth)( [a-z]+='[^']*')*$" \
  "$T/out.txt" >"$T/odd.txt"; then bad "ports: odd lines: $(cat "$T/odd.txt")"; else ok; fi

expect 0 "" "$S" station ports --json
cp "$T/out.txt" "$T/ports.json"
[ ! -s "$T/err.txt" ] && ok || bad "ports --json: stderr $(cat "$T/err.txt")"
# the schema: members left out when unknown; vid and pid only on usb ports
if jq -e '.v == 1 and (.ports | type == "array") and (keys == ["ports", "v"]) and all(.ports[];
    (.name | type == "string") and (.transport | IN("usb", "native", "bluetooth")) and
    (keys - ["name", "transport", "description", "vid", "pid", "serial", "manufacturer",
             "product"] == []) and
    ([.description, .serial, .manufacturer, .product] | all(. == null or (type == "string" and . != ""))) and
    (if .vid or .pid then .transport == "usb" and (.vid | test("^[0-9a-f]{4}$")) and
       (.pid | test("^[0-9a-f]{4}$")) else true end))' "$T/ports.json" >/dev/null; then
  ok
else
  bad "ports --json: not the schema: $(cat "$T/ports.json")"
fi
jq -r '.ports[].name' "$T/ports.json" | sort >"$T/json_names.txt"
if diff "$T/want.txt" "$T/json_names.txt" >"$T/diff.txt"; then ok; else bad "ports --json: $(cat "$T/diff.txt")"; fi
# this machine's native UARTs, where the kernel has them
if [ -e /sys/class/tty/ttyS0/device ] && [ "$(cat /sys/class/tty/ttyS0/type)" != 0 ]; then
  jq -e '.ports[] | select(.name == "/dev/ttyS0") | .transport == "native"' "$T/ports.json" \
    >/dev/null && ok || bad "ports --json: /dev/ttyS0 is not a native port"
fi

# no ports, and ports that cannot be listed: sysfs hidden in a mount
# namespace (where unshare may make one)
if unshare -rm true 2>/dev/null; then
  unshare -rm sh -c 'mount -t tmpfs none /sys/class && mkdir /sys/class/tty && exec "$@"' sh \
    "$S" station ports >"$T/out.txt" 2>"$T/err.txt" && ok || bad "no ports: exit $?"
  [ ! -s "$T/out.txt" ] && grep -qx "signet station ports: no serial ports found" "$T/err.txt" &&
    ok || bad "no ports: $(cat "$T/out.txt" "$T/err.txt")"
  unshare -rm sh -c 'mount -t tmpfs none /sys/class && mkdir /sys/class/tty && exec "$@"' sh \
    "$S" station ports --json >"$T/out.txt" 2>"$T/err.txt" && ok || bad "no ports --json: exit $?"
  [ "$(cat "$T/out.txt")" = '{"v":1,"ports":[]}' ] && [ ! -s "$T/err.txt" ] && ok ||
    bad "no ports --json: $(cat "$T/out.txt" "$T/err.txt")"
  expect 3 "signet: serial ports: cannot list them (No such file or directory)" \
    unshare -rm sh -c 'mount -t tmpfs none /sys/class && exec "$@"' sh "$S" station ports --json
else
  echo "note: no mount namespace here (unshare -rm): the no-ports and failure cases are not run"
fi

# usage
expect 2 "unexpected argument 'ttyS0'" "$S" station ports ttyS0
expect 2 "unknown option or missing value" "$S" station ports --all
expect 2 "unknown option or missing value" "$S" station ports --json=yes
expect 2 "unknown subcommand 'port' (run, status, ports)" "$S" station port
expect 0 "" "$S" station ports --help
grep -q "^usage: signet station ports \[--json\]$" "$T/out.txt" && ok || bad "ports --help"
expect 0 "" "$S" station --help
grep -q "signet station ports \[--json\]" "$T/out.txt" && ok || bad "station --help lacks ports"

finish

# signet sim, the command, against a client written from docs/protocol.md
# alone (proto_client.py: Python's zlib and struct) with the signatures
# checked by the openssl CLI: the identity, KEYGEN's proof of possession,
# slots, the lock and its persistence across a restart, RESET and --units,
# SIGTERM, and the refused inputs.
. "$(dirname "$0")/../cli/lib.sh"
HERE=$(dirname "$0")
SIM_PID=

start_sim() { # state args...
  local state=$1
  shift
  rm -f "$T/sim.sock" "$T/sim.out"
  "$S" sim --state "$state" --listen "unix:$T/sim.sock" "$@" >"$T/sim.out" 2>"$T/sim.err" &
  SIM_PID=$!
  for _ in $(seq 100); do
    grep -q listening "$T/sim.out" 2>/dev/null && return 0
    sleep 0.05
  done
  bad "signet sim did not start: $(cat "$T/sim.err")"
}
stop_sim() {
  [ -n "$SIM_PID" ] || return 0
  kill -TERM "$SIM_PID" 2>/dev/null || true
  local rc=0
  wait "$SIM_PID" || rc=$?
  SIM_PID=
  [ "$rc" = 0 ] && ok || bad "signet sim exited $rc on SIGTERM"
}
trap '[ -z "$SIM_PID" ] || kill "$SIM_PID" 2>/dev/null || true; rm -rf "$T"' EXIT

client() { # script.json -> one JSON line per step in $T/c.out
  python3 "$HERE/proto_client.py" "$T/sim.sock" "$1" >"$T/c.out" 2>"$T/c.err" ||
    bad "client failed: $(tail -3 "$T/c.err")"
}
line() { sed -n "${1}p" "$T/c.out"; }

# An uncompressed P-256 point as a PEM public key, and r||s as DER, for openssl.
pub_pem() { # hex point -> file
  { printf '3059301306072a8648ce3d020106082a8648ce3d030107034200%s' "$1" | xxd -r -p; } |
    openssl pkey -pubin -inform DER -out "$2"
}
sig_der() { # hex r||s -> file
  python3 -c '
import sys
def integer(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80: b = b"\0" + b
    return bytes([2, len(b)]) + b
rs = bytes.fromhex(sys.argv[1])
body = integer(rs[:32]) + integer(rs[32:])
sys.stdout.buffer.write(bytes([0x30, len(body)]) + body)' "$1" >"$2"
}

# --- identity, KEYGEN with its proof, slots, lock
NONCE=$(openssl rand -hex 32)
CERT=$(openssl rand -hex 700)
cat >"$T/s1.json" <<JSON
[["info"], ["keygen", 0, "$NONCE"], ["write", 1, "$CERT"], ["read", 1],
 ["lock", 7], ["lock_state"], ["write", 1, "00"], ["raw", 6, "0700000000000000"],
 ["keygen", 0, "$NONCE"]]
JSON
start_sim "$T/dev.state" --uid 53494d0000002a01
grep -qx '53494d0000002a01 listening on unix:'"$T"'/sim.sock' "$T/sim.out" && ok ||
  bad "signet sim's first line: $(cat "$T/sim.out")"
client "$T/s1.json"
[ "$(line 1 | jq -r '[.status, .version, .uid, .chip, .caps, .lock, (.slots | length)] | @tsv')" = \
  "$(printf '0\t1\t53494d0000002a01\tsim\t7\t0\t4')" ] && ok || bad "INFO: $(line 1)"
PUB=$(line 2 | jq -r .pub)
pub_pem "$PUB" "$T/dev.pem"
sig_der "$(line 2 | jq -r .sig)" "$T/kg.sig"
{ printf 'signet keygen v1\0'; printf '08'; printf '53494d0000002a01%s%s' "$NONCE" "$PUB"; } |
  { head -c 17; xxd -r -p; } >"$T/kg.msg"
openssl dgst -sha256 -verify "$T/dev.pem" -signature "$T/kg.sig" "$T/kg.msg" >/dev/null &&
  ok || bad "openssl does not verify the KEYGEN proof"
# the same proof does not verify for another nonce
{ printf 'signet keygen v1\0'; printf '0853494d0000002a01%s%s' "$(openssl rand -hex 32)" "$PUB" | xxd -r -p; } >"$T/kg2.msg"
openssl dgst -sha256 -verify "$T/dev.pem" -signature "$T/kg.sig" "$T/kg2.msg" >/dev/null 2>&1 &&
  bad "the KEYGEN proof verifies for another nonce" || ok
[ "$(line 3 | jq .status)" = 0 ] && ok || bad "WRITE: $(line 3)"
[ "$(line 4 | jq -r '[.status, .length, .data] | @tsv')" = "$(printf '0\t700\t%s' "$CERT")" ] &&
  ok || bad "READ back differs: $(line 4 | head -c 200)"
[ "$(line 5 | jq -r '[.status, .state] | @tsv')" = "$(printf '0\t7')" ] && ok || bad "LOCK: $(line 5)"
[ "$(line 6 | jq .state)" = 7 ] && ok || bad "LOCK_STATE: $(line 6)"
[ "$(line 7 | jq .status)" = 4 ] && ok || bad "a WRITE after the lock: $(line 7), not LOCKED (4)"
# LOCK without its confirmation word: BAD_ARGUMENT (3)
[ "$(line 8 | jq .status)" = 3 ] && ok || bad "LOCK without confirm: $(line 8)"
# the key survives the lock
[ "$(line 9 | jq -r '[.status, .existed, .pub] | @tsv')" = "$(printf '0\t1\t%s' "$PUB")" ] &&
  ok || bad "KEYGEN after the lock: $(line 9)"
stop_sim

# --- a restart holds what the device held; a challenge verifies with its key
NONCE2=$(openssl rand -hex 32)
printf '[["info"], ["challenge", "%s"], ["read", 1]]' "$NONCE2" >"$T/s2.json"
start_sim "$T/dev.state"
client "$T/s2.json"
[ "$(line 1 | jq -r '[.uid, .lock] | @tsv')" = "$(printf '53494d0000002a01\t7')" ] && ok ||
  bad "after a restart: $(line 1)"
sig_der "$(line 2 | jq -r .sig)" "$T/ch.sig"
{ printf 'signet challenge v1\0'; printf '0853494d0000002a01%s' "$NONCE2" | xxd -r -p; } >"$T/ch.msg"
openssl dgst -sha256 -verify "$T/dev.pem" -signature "$T/ch.sig" "$T/ch.msg" >/dev/null &&
  ok || bad "openssl does not verify the challenge answer"
[ "$(line 3 | jq -r .data)" = "$CERT" ] && ok || bad "the certificate slot after a restart"
stop_sim

# --- RESET: the next unit of --units, with the next UID and a state of its own
printf '[["info"], ["raw", 8, ""], ["info"], ["raw", 8, ""], ["info"]]' >"$T/s3.json"
start_sim "$T/u.state" --uid 00ff --units 2
client "$T/s3.json"
UIDS=$(jq -r 'select(.uid) | .uid' "$T/c.out" | tr '\n' ' ')
[ "$UIDS" = "00ff 0100 0100 " ] && ok || bad "units after RESET: $UIDS"
[ -f "$T/u.state.1" ] && ok || bad "no state file for the second unit"
stop_sim

# --- refused inputs: one line, exit 2, nothing made
expect 2 "--state and --listen are required" "$S" sim --listen "unix:$T/x.sock"
expect 2 "--drop: a chance from 0 to 1" "$S" sim --state "$T/n.state" --listen "unix:$T/x.sock" --drop 2
expect 2 "--uid: 1 to 32 bytes in hex" "$S" sim --state "$T/n.state" --listen "unix:$T/x.sock" --uid abc
expect 2 "not a place to listen" "$S" sim --state "$T/n.state" --listen "udp:1"
expect 2 "holds another device's UID (see --uid)" "$S" sim --state "$T/dev.state" --listen "unix:$T/x.sock" --uid 01
printf 'junk' >"$T/junk.state"
expect 2 "not a signet sim state file" "$S" sim --state "$T/junk.state" --listen "unix:$T/x.sock"
[ ! -e "$T/x.sock" ] && ok || bad "a refused sim left its socket behind"
finish

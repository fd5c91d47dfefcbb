# Shared by the station's tests: a SoftHSM2 token with a root and a factory
# CA (signet pki), an issuance database, a ledger with a checkpoint key, and
# simulated devices (signet sim) started on unix sockets and stopped on exit.
# Source it after tests/cli/lib.sh. Sets CA (the --ca-key/--ca-cert/...
# options of station run), L, DB, U.
U="pkcs11:token=station;pin-source=file:$PINFILE"
L="$T/line.ledger"
DB="$T/issuance.db"
here_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
new_token station
token_keys "$U" root factory
"$S" pki init-root --key "$U;object=root" --subject "/CN=Line Root/O=Acme" --validity 3650 \
  --db "$DB" -o "$T/root.pem" 2>/dev/null
"$S" pki init-ca --key "$U;object=factory" --issuer-key "$U;object=root" --issuer-cert \
  "$T/root.pem" --profile factory-ca --subject "/CN=Line Factory CA/O=Acme" --db "$DB" \
  -o "$T/ca.pem" 2>/dev/null
"$S" ledger init --ledger "$L" --origin line.example/station 2>/dev/null
CA=(--profile sim --ca-key "$U;object=factory" --ca-cert "$T/ca.pem" --chain "$T/root.pem"
    --db "$DB" --ledger "$L")

SIM_PIDS=()
stop_sims() {
  for p in "${SIM_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${SIM_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  SIM_PIDS=()
}
trap 'stop_sims; [ -n "${KEEP_TEMP:-}" ] || rm -rf "$T"' EXIT

# sim NAME [sim options...]: a device on unix:$T/NAME.sock, state $T/NAME.state;
# waits until it listens. The fixture to give the station: fx NAME.
sim() {
  local name=$1
  shift
  "$S" sim --state "$T/$name.state" --listen "unix:$T/$name.sock" "$@" >"$T/$name.sim" 2>&1 &
  SIM_PIDS+=($!)
  local i
  for i in $(seq 1 1000); do # up to 20 s on a loaded machine
    grep -q listening "$T/$name.sim" 2>/dev/null && return 0
    sleep 0.02
  done
  bad "signet sim $name did not start: $(cat "$T/$name.sim")"
}
fx() { echo "$1=unix:$T/$1.sock"; }

# results FILE: the result events of a --json run, one "fixture device step result reason"
# line each
results() {
  jq -r 'select(.event == "result") | "\(.fixture) \(.device // "-") \(.step) \(.result) \(.reason // "-")"' "$1"
}

# has FILE COND: some JSON line of FILE satisfies the jq condition COND
has() { [ -n "$(jq -c "select($2)" "$1")" ]; }

# check_all: the invariants, from outside (station_check.py), and the ledger's
# own verification against the checkpoint a --ledger-key run cut
check_all() {
  if python3 "$here_lib/station_check.py" "$S" "$L" "$DB" "$T/root.pem" "$T/ca.pem" \
      >"$T/check.txt" 2>&1; then ok; else bad "invariants: $(head -c 1500 "$T/check.txt")"; fi
}
verify_ledger() {
  if "$S" ledger verify --ledger "$L" --pubkey "$T/log.pem" 2>"$T/verify.txt"; then ok
  else bad "ledger verify: $(cat "$T/verify.txt")"; fi
}

# lock_bits STATEFILE: the simulated device's lock bits (its file's offset 41, LE u32)
lock_bits() { od -An -tu4 -j 41 -N 4 "$1" | tr -d ' '; }

# nrf51_check_held NAME SERIAL: the nRF51's slot pages and UICR, dumped (through QEMU's
# GDB stub or from a chip model's state) to $T/NAME.flash (0x3F000-0x40000)
# and $T/NAME.uicr (from 0x10001000), hold
# the unit of certificate SERIAL: the database's certificate (openssl
# verifies it), the CA's and the root's in the chain slot, a 32-byte key
# whose public half is the certificate's, RBPCONF with PALL set. The slots
# are read by flash_slot.py. Needs station_lib.sh's DB and CA files.
nrf51_check_held() {
	local name=$1 serial=$2 b=$T/$1
	sqlite3 "$DB" "SELECT hex(der) FROM certs WHERE serial = '$serial'" | xxd -r -p >"$b.db.der"
	python3 "$here_lib/flash_slot.py" "$b.flash" 0 1024 >"$b.cert.der" &&
		python3 "$here_lib/flash_slot.py" "$b.flash" 0x400 2048 >"$b.chain" &&
		python3 "$here_lib/flash_slot.py" "$b.flash" 0xC00 1024 >"$b.key" && ok ||
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

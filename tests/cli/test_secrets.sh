#!/usr/bin/env bash
# Secrets: the user flows run with a known, distinctive PIN (and SO PIN),
# given each supported way (pin-source file in the URI, SIGNET_PIN) and once
# wrong; then no output, log, produced file, ledger, database (also as
# `sqlite3 .dump`), report, tiles directory or evidence pack may hold the PIN, plain, in
# hex or in base64; nor may a running signet's argv or environment. Nor
# may any of them hold a piece of the development keys `hsm import` took
# (their private values, their PEM lines).
. "$(dirname "$0")/lib.sh"

PIN=Qz7-secret-PIN-4821
SO_PIN=So9-officer-PIN-3370
WRONG=Wr0ng-guess-PIN-5519
# Every token of this test has these PINs (station_lib.sh makes one too).
new_token() {
  softhsm2-util --init-token --free --label "$1" --so-pin "$SO_PIN" --pin "$PIN" >/dev/null
}
PINS="$T/pins" # the PIN files: the only places the PINs may be
mkdir -p "$PINS" "$T/log"
PINFILE="$PINS/pin"
printf '%s\n' "$PIN" >"$PINFILE"
printf '%s\n' "$WRONG" >"$PINS/wrong"
chmod 600 "$PINFILE" "$PINS/wrong"

# c NAME WANT cmd...: runs cmd with stdout and stderr kept as $T/log/NAME.out
# and .err, and checks its exit status
c() {
  local name=$1 want=$2 rc=0
  shift 2
  "$@" >"$T/log/$name.out" 2>"$T/log/$name.err" </dev/null || rc=$?
  [ "$rc" = "$want" ] && ok || bad "$name: exit $rc, wanted $want: $(head -c 300 "$T/log/$name.err")"
}
# e NAME WANT cmd...: the same with the PIN in SIGNET_PIN only
e() {
  local name=$1 want=$2
  shift 2
  SIGNET_PIN=$PIN c "$name" "$want" "$@"
}

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../provision/station_lib.sh" # token "station" (file PIN), root, factory CA, ledger
F="pkcs11:token=station;pin-source=file:$PINFILE" # the PIN from a file
E="pkcs11:token=station"                          # the PIN from SIGNET_PIN
head -c 20000 /dev/urandom >"$T/fw.bin"

# ---- hsm
c list 0 "$S" hsm list "$F"
c list-json 0 "$S" hsm list --json "$F"
e list-env 0 "$S" hsm list --json "$E"
c keygen-fw1 0 "$S" hsm keygen --type ecdsa-p256 --key "$F;object=fw1"
e keygen-fw2 0 "$S" hsm keygen --type ed25519 --key "$E;object=fw2"
c keygen-code 0 "$S" hsm keygen --type ecdsa-p256 --key "$F;object=code"
c pubkey-fw1 0 "$S" hsm pubkey --key "$F;object=fw1" -o "$T/fw1.pub"
e pubkey-fw2 0 "$S" hsm pubkey --key "$E;object=fw2" -o "$T/fw2.pub"
c wrong-pin 3 "$S" hsm keygen --type ecdsa-p256 --key "pkcs11:token=station;pin-source=file:$PINS/wrong;object=x"
SIGNET_PIN=$WRONG c wrong-env 3 "$S" sign --key "$E;object=fw1" --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
# a PIN put into the URI itself is refused, and not echoed, however it is spelt
c pin-value 2 "$S" hsm pubkey --key "$E;object=fw1?pin-value=$PIN"
c pin-value-case 2 "$S" hsm pubkey --key "$E;object=fw1?PIN-VALUE=$PIN"
c pin-value-typo 2 "$S" hsm pubkey --key "$E;object=fw1?pin-valeu=$PIN"
c pin-value-path 2 "$S" hsm pubkey --key "$E;pin-value=$PIN;object=fw1"
grep -q "wrong PIN" "$T/log/wrong-pin.err" && ok || bad "wrong PIN: $(cat "$T/log/wrong-pin.err")"
# import: development keys from a file (PIN from the file) and from a pipe
# (PIN from SIGNET_PIN); the keys live beside the PIN files, and their
# private values and PEM lines join the secrets searched for below
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PINS/dev.key" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$PINS/dev-ed.key" 2>/dev/null
chmod 600 "$PINS/dev.key" "$PINS/dev-ed.key"
c import-file 0 "$S" hsm import --key "$F;object=dev" --from "$PINS/dev.key"
rc=0
SIGNET_PIN=$PIN "$S" hsm import --key "$E;object=dev-ed" --from - <"$PINS/dev-ed.key" \
  >"$T/log/import-pipe.out" 2>"$T/log/import-pipe.err" || rc=$?
[ "$rc" = 0 ] && ok || bad "import-pipe: exit $rc: $(cat "$T/log/import-pipe.err")"
c import-taken 2 "$S" hsm import --key "$F;object=dev" --from "$PINS/dev.key"
openssl pkey -in "$PINS/dev.key" -aes256 -passout "pass:$PIN" -out "$PINS/dev-enc.key"
c import-encrypted 2 "$S" hsm import --key "$F;object=dev2" --from "$PINS/dev-enc.key"
c sign-dev 0 "$S" sign --key "$F;object=dev" --version 1.0.0 "$T/fw.bin" "$T/dev.sgn"
e sign-dev-ed 0 "$S" sign --key "$E;object=dev-ed" --version 1.0.0 "$T/fw.bin" "$T/dev-ed.sgn"
KEY_SECRETS="$PINS/key-secrets" # hex: a private value; text: a PEM body line
for k in dev dev-ed; do
  printf 'hex:%s\n' "$(openssl pkey -in "$PINS/$k.key" -text -noout |
    awk '/^priv:/ { p = 1; next } /^pub:/ { p = 0 } p' | tr -d ' :\n' | sed 's/^00\(.\{64\}\)$/\1/')" >>"$KEY_SECRETS"
  grep -v -- ----- "$PINS/$k.key" | sed 's/^/text:/' >>"$KEY_SECRETS"
done
[ "$(grep -c '^hex:[0-9a-f]\{60,64\}$' "$KEY_SECRETS")" = 2 ] && ok || bad "no private values: $(cat "$KEY_SECRETS")"

# ---- pki: a code-signing CA, single and batch issuance, revoke, CRL
c keygen-root2 0 "$S" hsm keygen --type ecdsa-p384 --key "$F;object=root2"
e init-root 0 "$S" pki init-root --key "$E;object=root2" --subject "/CN=Second Root/O=Acme" \
  --validity 3650 --db "$T/second.db" --ledger "$L" -o "$T/root2.pem"
c init-ca 0 "$S" pki init-ca --key "$F;object=code" --issuer-key "$F;object=root" \
  --issuer-cert "$T/root.pem" --profile code-signing-ca --subject "/CN=Secret Code CA/O=Acme" \
  --db "$DB" --ledger "$L" -o "$T/code.pem"
c issue 0 "$S" pki issue --ca-key "$F;object=code" --ca-cert "$T/code.pem" --pubkey "$T/fw1.pub" \
  --profile code-signing --subject "/CN=Release/O=Acme" --validity 365 --db "$DB" --ledger "$L" \
  -o "$T/fw1.pem"
mkdir -p "$T/csrs" "$T/certs"
for d in SN-1 SN-2 SN-3; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$d.key" 2>/dev/null
  openssl req -new -key "$T/$d.key" -subj "/CN=$d" -out "$T/csrs/$d.csr"
done
e batch 0 "$S" pki issue --ca-key "$E;object=factory" --ca-cert "$T/ca.pem" --csr-dir "$T/csrs" \
  --out-dir "$T/certs" --profile idevid --hw-type 1.3.6.1.4.1.99999.1 --db "$DB" --ledger "$L"
serial=$(openssl x509 -in "$T/certs/SN-2.pem" -noout -serial | cut -d= -f2)
c revoke 0 "$S" pki revoke --db "$DB" --serial "$serial" --reason keyCompromise --ledger "$L"
e crl 0 "$S" pki crl --ca-key "$E;object=factory" --ca-cert "$T/ca.pem" --db "$DB" --ledger "$L" \
  -o "$T/ca.crl"
c pki-verify 0 "$S" pki verify --root "$T/root.pem" --untrusted "$T/code.pem" "$T/fw1.pem"
c pki-list 0 "$S" pki list --db "$DB" --json

# ---- sign, cosign, two-step, verify
cat "$T/fw1.pem" "$T/code.pem" >"$T/chain.pem"
c sign 0 "$S" sign --key "$F;object=fw1" --cert "$T/chain.pem" --version 1.0.0 --ledger "$L" \
  --ledger-key "$F;object=log" "$T/fw.bin" "$T/fw.sgn"
e cosign 0 "$S" cosign --key "$E;object=fw2" --ledger "$L" "$T/fw.sgn"
e sign-env 0 "$S" sign --key "$E;object=fw2" --version 1.0.1 "$T/fw.bin" "$T/fw2.sgn"
openssl genpkey -algorithm ED25519 -out "$T/off.key" 2>/dev/null
openssl pkey -in "$T/off.key" -pubout -out "$T/off.pub"
c prepare 0 "$S" sign --prepare --pubkey "$T/off.pub" --version 2.0.0 "$T/fw.bin" "$T/fw.req"
c tbs 0 "$S" inspect --tbs-out "$T/fw.tbs" "$T/fw.req"
cmd=$("$S" inspect --json "$T/fw.req" | jq -r .sign_command)
cmd=${cmd//KEY.pem/$T/off.key}; cmd=${cmd//TBS/$T/fw.tbs}; cmd=${cmd//SIG/$T/fw.sig}
$cmd 2>/dev/null && ok || bad "offline sign command failed: $cmd"
c complete 0 "$S" sign --complete "$T/fw.req" --signature "$T/fw.sig" --pubkey "$T/off.pub" \
  --ledger "$L" "$T/off.sgn"
c verify 0 "$S" verify --trust-root "$T/root.pem" --trust "$T/fw2.pub" --json "$T/fw.sgn"
c verify-off 0 "$S" verify --trust "$T/off.pub" "$T/off.sgn"
c inspect 0 "$S" inspect --json "$T/fw.sgn"

# ---- station: simulated devices, the PIN from SIGNET_PIN and from the file
sim a --uid 0a000000 --units 10
SIGNET_PIN=$PIN c station-env 0 "$S" station run "${CA[@]/"$U"/"$E"}" --fixture "$(fx a)" --count 2 \
  --lock --ledger-key "$E;object=log" --json
c station-file 0 "$S" station run "${CA[@]}" --fixture "$(fx a)" --count 2 --lock --json
c station-text 0 "$S" station run "${CA[@]}" --fixture "$(fx a)" --count 1 --lock
c station-status 0 "$S" station status --ledger "$L"
c station-status-json 0 "$S" station status --ledger "$L" --json
# a long run: while it works, its argv and environment hold no PIN (SIGNET_PIN
# is wiped from the environment once read)
sim b --uid 0b000000 --units 1000 --latency 5
SIGNET_PIN=$PIN "$S" station run "${CA[@]/"$U"/"$E"}" --fixture "$(fx b)" --loop --json \
  >"$T/log/station-loop.out" 2>"$T/log/station-loop.err" </dev/null &
loop=$!
for _ in $(seq 1 1000); do
  grep -q '"event":"result"' "$T/log/station-loop.out" 2>/dev/null && break
  sleep 0.02
done
grep -q '"event":"result"' "$T/log/station-loop.out" && ok || bad "the long run made no unit: $(cat "$T/log/station-loop.err")"
tr '\0' '\n' <"/proc/$loop/cmdline" >"$T/log/station-loop.cmdline"
tr '\0' '\n' <"/proc/$loop/environ" >"$T/log/station-loop.environ"
grep -q -- "--loop" "$T/log/station-loop.cmdline" && ok || bad "not the station's cmdline"
grep -q '^SIGNET_PKCS11_MODULE=' "$T/log/station-loop.environ" && ok || bad "not the station's environment"
kill -INT "$loop"
wait "$loop" || true

# ---- ledger
c ledger-append 0 "$S" ledger append --ledger "$L" --type unit.failed \
  --json '{"unit":"u1","step":"verify","reason":"flash-verify"}'
c checkpoint 0 "$S" ledger checkpoint --ledger "$L" --key "$F;object=log"
e checkpoint-env 0 "$S" ledger checkpoint --ledger "$L" --key "$E;object=log"
c ledger-verify 0 "$S" ledger verify --ledger "$L" --pubkey "$T/log.pem"
c prove 0 "$S" ledger prove --ledger "$L" --index 1 -o "$T/i1.proof"
c check-proof 0 "$S" ledger check-proof --pubkey "$T/log.pem" "$T/i1.proof"
c show 0 "$S" ledger show --ledger "$L" --json
c export-jsonl 0 "$S" ledger export --ledger "$L" --format jsonl -o "$T/ledger.jsonl"
c export-csv 0 "$S" ledger export --ledger "$L" --format csv -o "$T/ledger.csv"
c export-tiles 0 "$S" ledger export --ledger "$L" --tiles "$T/tiles"
c report 0 "$S" ledger report --ledger "$L" --html "$T/report.html" --pubkey "$T/log.pem"
c init2 0 "$S" ledger init --ledger "$T/second.ledger" --origin secrets.example/second
c evidence-release 0 "$S" evidence --release "$T/fw.sgn" "$T/off.sgn" --trust-root "$T/root.pem" \
  --crl "$T/ca.crl" --ledger "$L" --ledger-pubkey "$T/log.pem" --out "$T/pack-release"
c evidence-units 0 "$S" evidence --units --ledger "$L" --ledger-pubkey "$T/log.pem" \
  --out "$T/pack-units"
c evidence-verify 0 "$S" evidence verify --pubkey "$T/log.pem" --json "$T/pack-release"
[ -s "$T/tiles/checkpoint" ] && [ -s "$T/report.html" ] && ok || bad "no tiles or report"
stop_sims

# ---- the search: every file under $T but the PIN files and SoftHSM's own
# token store, and each SQLite file as text
for db in "$DB" "$T/second.db" "$L" "$T/second.ledger"; do
  sqlite3 "$db" .dump >"$T/log/$(basename "$db").dump"
done
find_pins() { # DIR...: the files holding a PIN or a key piece in some form, one line each
  python3 - "$PINS" "$T/tokens" "$KEY_SECRETS" "$PIN" "$SO_PIN" "$WRONG" "$@" <<'PY'
import base64, os, sys
pins_dir, tokens, key_secrets, roots = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[7:]
forms, secrets = [], [pin.encode() for pin in sys.argv[4:7]]
for line in open(key_secrets).read().splitlines():
    kind, value = line.split(":", 1)
    if kind == "hex":
        secrets.append(bytes.fromhex(value))
    else:
        forms.append(value.encode())
for b in secrets:
    forms += [b, b.hex().encode(), b.hex().upper().encode()]
    # base64 at each alignment: the whole groups of the PIN from offset k on
    # appear in any base64 stream that holds the PIN
    for k in range(3):
        tail = b[k:]
        tail = tail[: len(tail) // 3 * 3]
        forms.append(base64.b64encode(tail))
        forms.append(base64.urlsafe_b64encode(tail).rstrip(b"="))
for root in roots:
    for d, _, files in os.walk(root):
        if d.startswith(pins_dir) or d.startswith(tokens):
            continue
        for f in files:
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            data = open(p, "rb").read()
            for form in forms:
                if form in data:
                    print(f"{p}: holds {form.decode(errors='replace')}")
                    break
PY
}
find_pins "$T" >"$T/found.txt"
[ -s "$T/found.txt" ] && bad "PIN or key piece found: $(head -20 "$T/found.txt")" || ok
# the search finds what it looks for (a file with each form)
mkdir -p "$T/probe"
printf 'x%sx\n' "$(printf '%s' "$PIN" | xxd -p | tr -d '\n')" >"$T/probe/hex"
printf 'secret: %s\n' "$(printf 'ab%s\n' "$PIN" | base64 -w0)" >"$T/probe/b64"
printf 'so %s\n' "$SO_PIN" >"$T/probe/plain"
printf 'k=%s\n' "$(sed -n 's/^hex://p' "$KEY_SECRETS" | head -n 1)" >"$T/probe/key-hex"
[ "$(find_pins "$T/probe" | wc -l)" = 4 ] && ok || bad "the search misses a form: $(find_pins "$T/probe")"
# and every command's output was kept
[ "$(ls "$T/log" | wc -l)" -ge 80 ] && ok || bad "only $(ls "$T/log" | wc -l) logs"

echo "secrets: $CHECKS checks, $FAILS failures"
[ "$FAILS" -eq 0 ]

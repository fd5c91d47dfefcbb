#!/usr/bin/env bash
# Library errors about a caller's parameter, as the CLI prints them: the
# library names what is wrong and the parameter (struct sg_err.param),
# never an option; cli_report completes the line with the CLI's options.
# The whole line is checked: it is what users read, and it must not change.
. "$(dirname "$0")/../cli/lib.sh"

# line RC WANT cmd...: exit status RC and exactly the stderr line WANT.
line() {
  local rc_want=$1 want=$2 rc=0
  shift 2
  "$@" >"$T/out.txt" 2>"$T/err.txt" </dev/null || rc=$?
  if [ "$rc" = "$rc_want" ] && [ "$(cat "$T/err.txt")" = "$want" ]; then
    ok
  else
    bad "exit $rc (wanted $rc_want): $* :: $(cat "$T/err.txt") :: wanted: $want"
  fi
}

new_token ca
U="pkcs11:token=ca;pin-source=file:$PINFILE"
HW=1.3.6.1.4.1.99999.1.2
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/dev.key" \
  -subj "/CN=x" -out "$T/dev.csr" 2>/dev/null

# hsm/: the module (sg_hsm_ctx_new's module_override) and the PIN source.
line 3 "signet: no PKCS#11 module: use module-path= in the URI, --module, or SIGNET_PKCS11_MODULE" \
  env -u SIGNET_PKCS11_MODULE "$S" hsm keygen --type ecdsa-p256 --key "$U;object=k"
line 2 "signet: URI: pin-value= is refused (a PIN must not appear on a command line): use pin-source=file:PATH or SIGNET_PIN" \
  "$S" hsm keygen --type ecdsa-p256 --key "pkcs11:token=ca;object=k;pin-value=1234"

# pki/: one live certificate per device, unless reissued (--reissue), for
# one certificate and in a batch (the refusal passes through its CSR's name).
for k in root factory; do "$S" hsm keygen --type ecdsa-p256 --key "$U;object=$k" 2>/dev/null; done
"$S" pki init-root --key "$U;object=root" --subject "/CN=Root/O=Acme" --validity 3650 \
  --db "$T/db" -o "$T/root.pem" 2>/dev/null
"$S" pki init-ca --key "$U;object=factory" --issuer-key "$U;object=root" \
  --issuer-cert "$T/root.pem" --profile factory-ca --subject "/CN=Factory/O=Acme" \
  --validity 1825 --db "$T/db" -o "$T/factory.pem" 2>/dev/null
F=(--ca-key "$U;object=factory" --ca-cert "$T/factory.pem" --db "$T/db" --profile idevid
   --hw-type "$HW" --subject "/CN=Gateway/O=Acme")
"$S" pki issue "${F[@]}" --csr "$T/dev.csr" --serial-number SN-1 -o "$T/dev.pem" 2>/dev/null
line 1 "signet: rule db.one-live-per-device: device 'SN-1' already has a live idevid certificate (revoke it, or --reissue to supersede it)" \
  "$S" pki issue "${F[@]}" --csr "$T/dev.csr" --serial-number SN-1 -o "$T/dev2.pem"
mkdir "$T/csrs" "$T/out"
cp "$T/dev.csr" "$T/csrs/SN-1.csr"
cp "$T/dev.pem" "$T/out/SN-1.pem" # else the batch writes the file on record again
"$S" pki issue "${F[@]}" --csr-dir "$T/csrs" --out-dir "$T/out" \
  >/dev/null 2>"$T/batch.err" || true
grep -qxF "signet: $T/csrs/SN-1.csr: rule db.one-live-per-device: device 'SN-1' already has a live idevid certificate (revoke it, or --reissue to supersede it)" \
  "$T/batch.err" && ok || bad "batch refusal: $(cat "$T/batch.err")"
finish

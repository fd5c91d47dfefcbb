#!/usr/bin/env bash
# signet pki end to end with CA keys in SoftHSM2: roots and CAs of every CA
# key type, device and code-signing certificates from openssl-made CSRs,
# cross-checked with openssl verify and openssl crl; every refusal with its
# exit code, the rule it names, and no output file.
. "$(dirname "$0")/../cli/lib.sh"

new_token ca
U="pkcs11:token=ca;pin-source=file:$PINFILE"
HW=1.3.6.1.4.1.99999.1.2

# Subject keys and CSRs made by openssl, as a factory station would get them.
csr() { # name openssl-newkey-args...
  local n=$1
  shift
  openssl req -new "$@" -nodes -keyout "$T/$n.key" -subj "/CN=ignored by signet" \
    -out "$T/$n.csr" 2>/dev/null
}
csr p256 -newkey ec -pkeyopt ec_paramgen_curve:P-256
csr p384 -newkey ec -pkeyopt ec_paramgen_curve:P-384
csr rsa3072 -newkey rsa:3072
csr p521 -newkey ec -pkeyopt ec_paramgen_curve:P-521
openssl pkey -in "$T/p256.key" -pubout -out "$T/p256.pub.pem"

serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# ---- a chain per CA key type
for t in ecdsa-p256 ecdsa-p384 rsa-3072; do
  D="$T/$t"
  mkdir -p "$D"
  for k in root factory code; do
    "$S" hsm keygen --type "$t" --key "$U;object=$k-$t" 2>/dev/null
  done
  expect 0 "root" "$S" pki init-root --key "$U;object=root-$t" --subject "/CN=Acme Root $t/O=Acme" \
    --validity 3650 --db "$D/db" -o "$D/root.pem"
  expect 0 "CA" "$S" pki init-ca --key "$U;object=factory-$t" --issuer-key "$U;object=root-$t" \
    --issuer-cert "$D/root.pem" --profile factory-ca --subject "/CN=Acme Factory CA/O=Acme" \
    --validity 1825 --db "$D/db" -o "$D/factory.pem"
  expect 0 "CA" "$S" pki init-ca --key "$U;object=code-$t" --ca-key "$U;object=root-$t" \
    --ca-cert "$D/root.pem" --profile code-signing-ca --subject "/CN=Acme Code CA/O=Acme" \
    --db "$D/db" -o "$D/code.pem"
  openssl verify -x509_strict -CAfile "$D/root.pem" "$D/root.pem" "$D/factory.pem" "$D/code.pem" \
    >/dev/null 2>&1 && ok || bad "$t: openssl rejects the root or CAs"
  for c in p256 p384 rsa3072; do
    expect 0 "certificate" "$S" pki issue --ca-key "$U;object=factory-$t" --ca-cert "$D/factory.pem" \
      --csr "$T/$c.csr" --profile idevid --serial-number "SN-$c" --hw-type "$HW" \
      --subject "/CN=Acme Gateway/O=Acme" --db "$D/db" -o "$D/dev-$c.pem"
    openssl verify -x509_strict -CAfile "$D/root.pem" -untrusted "$D/factory.pem" "$D/dev-$c.pem" \
      >/dev/null 2>&1 && ok || bad "$t: openssl rejects the $c device certificate"
    # The certified key is the CSR's; the subject is signet's.
    [ "$(openssl x509 -in "$D/dev-$c.pem" -noout -pubkey)" = "$(openssl req -in "$T/$c.csr" -noout -pubkey)" ] \
      && ok || bad "$t: $c certificate holds another key"
    openssl x509 -in "$D/dev-$c.pem" -noout -subject | grep -q 'serialNumber = SN-' && ok \
      || bad "$t: $c subject lacks serialNumber"
  done
  expect 0 "certificate" "$S" pki issue --ca-key "$U;object=code-$t" --ca-cert "$D/code.pem" \
    --pubkey "$T/p256.pub.pem" --profile code-signing --subject "/CN=Release signing/O=Acme" \
    --validity 365 --db "$D/db" -o "$D/release.pem"
  openssl verify -x509_strict -CAfile "$D/root.pem" -untrusted "$D/code.pem" "$D/release.pem" \
    >/dev/null 2>&1 && ok || bad "$t: openssl rejects the code-signing certificate"
  openssl x509 -in "$D/release.pem" -noout -ext extendedKeyUsage | grep -q 'Code Signing' && ok \
    || bad "$t: code-signing EKU"
  expect 0 "" "$S" pki verify --root "$D/root.pem" --untrusted "$D/code.pem" --profile code-signing \
    "$D/release.pem"
done
openssl x509 -in "$T/rsa-3072/dev-p256.pem" -noout -text | grep -q 'Signature Algorithm: rsassaPss' \
  && ok || bad "RSA CA does not sign RSASSA-PSS"
openssl x509 -in "$T/ecdsa-p384/dev-p256.pem" -noout -text | grep -q 'ecdsa-with-SHA384' \
  && ok || bad "P-384 CA does not sign ecdsa-with-SHA384"

# ---- idevid details (802.1AR), checked by openssl's parser
D="$T/ecdsa-p256"
F=(--ca-key "$U;object=factory-ecdsa-p256" --ca-cert "$D/factory.pem" --db "$D/db")
openssl x509 -in "$D/dev-p256.pem" -outform der | openssl asn1parse -inform der -strparse \
  "$(openssl x509 -in "$D/dev-p256.pem" -outform der | openssl asn1parse -inform der |
     grep -A1 'Subject Alternative Name' | tail -1 | cut -d: -f1 | tr -d ' ')" >"$T/san.txt"
grep -q ':1.3.6.1.5.5.7.8.4' "$T/san.txt" && grep -q ":$HW" "$T/san.txt" && ok \
  || bad "hardwareModuleName missing: $(cat "$T/san.txt")"
openssl x509 -in "$D/dev-p256.pem" -noout -text | grep -A1 'Key Usage: critical' | grep -q 'Digital Signature$' \
  && ok || bad "idevid keyUsage"
[ "$(serial_of "$D/dev-p256.pem" | wc -c)" = 33 ] && ok || bad "serial is not 16 bytes"

# ---- refusals: exit 1 naming the rule, no output
openssl req -in "$T/p256.csr" -outform der -out "$T/p256.der"
flip "$T/p256.der" $(($(stat -c %s "$T/p256.der") - 2))
expect 1 "rule csr.signature" "$S" pki issue "${F[@]}" --csr "$T/p256.der.flipped" --profile idevid \
  --serial-number SN-X --hw-type "$HW" -o "$T/x.pem"
no_output "$T/x.pem"
expect 1 "rule key.type" "$S" pki issue "${F[@]}" --csr "$T/p521.csr" --profile idevid \
  --serial-number SN-Y --hw-type "$HW" -o "$T/x.pem"
no_output "$T/x.pem"
expect 1 "rule db.one-live-per-device" "$S" pki issue "${F[@]}" --csr "$T/p384.csr" --profile idevid \
  --serial-number SN-p256 --hw-type "$HW" -o "$T/x.pem"
no_output "$T/x.pem"
expect 1 "rule validity.nested" "$S" pki issue "${F[@]}" --csr "$T/p384.csr" --profile idevid \
  --serial-number SN-Z --hw-type "$HW" --validity 4000 -o "$T/x.pem"
no_output "$T/x.pem"
expect 1 "rule validity.nested" "$S" pki issue "${F[@]}" --csr "$T/p384.csr" --profile idevid \
  --serial-number SN-Z --hw-type "$HW" --validity forever -o "$T/x.pem"
expect 0 "certificate" "$S" pki issue "${F[@]}" --csr "$T/p384.csr" --profile idevid --reissue \
  --serial-number SN-p256 --hw-type "$HW" -o "$T/reissued.pem"
[ "$("$S" pki list --db "$D/db" --json | jq '[.[] | select(.status == "superseded")] | length')" = 1 ] \
  && ok || bad "reissue did not supersede"
# usage errors and unsupported things: exit 2
expect 2 "--vid and --pid are for the Matter profiles" "$S" pki issue "${F[@]}" --csr "$T/p256.csr" \
  --profile idevid --serial-number SN-V --hw-type "$HW" --vid FFF1 -o "$T/x.pem"
expect 2 "--serial-number" "$S" pki issue "${F[@]}" --csr "$T/p256.csr" --profile idevid -o "$T/x.pem"
expect 2 "is not the key of the CA certificate" "$S" pki issue --ca-key "$U;object=root-ecdsa-p256" \
  --ca-cert "$D/factory.pem" --csr "$T/p256.csr" --profile idevid --serial-number SN-W \
  --hw-type "$HW" -o "$T/x.pem"
expect 2 "not a PKCS#10" "$S" pki issue "${F[@]}" --csr "$T/p256.pub.pem" --profile idevid \
  --serial-number SN-W --hw-type "$HW" -o "$T/x.pem"
expect 2 "unknown attribute" "$S" pki init-root --key "$U;object=root-ecdsa-p256" --subject /XX=x \
  --validity 10 -o "$T/x.pem"
"$S" hsm keygen --type ed25519 --key "$U;object=ed" 2>/dev/null
expect 2 "Ed25519 CA keys are not supported" "$S" pki init-root --key "$U;object=ed" --subject /CN=x \
  --validity 10 -o "$T/x.pem"
no_output "$T/x.pem"

# ---- Matter: PAA -> PAI -> DAC, checked by openssl -x509_strict
M="$T/matter"
mkdir -p "$M"
for k in paa pai; do "$S" hsm keygen --type ecdsa-p256 --key "$U;object=$k" 2>/dev/null; done
"$S" hsm keygen --type ecdsa-p384 --key "$U;object=paa384" 2>/dev/null
expect 0 "root" "$S" pki init-root --profile matter-paa --key "$U;object=paa" \
  --subject "/CN=Acme Matter PAA" --validity 7300 --db "$M/db" -o "$M/paa.pem"
expect 0 "CA" "$S" pki init-ca --profile matter-pai --vid fff1 --key "$U;object=pai" \
  --issuer-key "$U;object=paa" --issuer-cert "$M/paa.pem" --subject "/CN=Acme Matter PAI" \
  --validity 3650 --db "$M/db" -o "$M/pai.pem"
MF=(--ca-key "$U;object=pai" --ca-cert "$M/pai.pem" --db "$M/db")
expect 0 "certificate" "$S" pki issue "${MF[@]}" --profile matter-dac --vid 0xFFF1 --pid 8000 \
  --csr "$T/p256.csr" --subject "/CN=Acme Bulb DAC 0001" --validity 365 -o "$M/dac.pem"
openssl verify -x509_strict -CAfile "$M/paa.pem" -untrusted "$M/pai.pem" "$M/dac.pem" >"$T/v.txt" 2>&1 \
  && ok || bad "openssl rejects the Matter chain: $(cat "$T/v.txt")"
expect 0 "" "$S" pki verify --root "$M/paa.pem" --untrusted "$M/pai.pem" --profile matter-dac "$M/dac.pem"
expect 0 "" "$S" pki verify --root "$M/paa.pem" --profile matter-pai "$M/pai.pem"
expect 0 "" "$S" pki verify --root "$M/paa.pem" --profile matter-paa "$M/paa.pem"
# the ids in the subject, as UTF8String attributes with the Matter OIDs
openssl x509 -in "$M/dac.pem" -outform der | openssl asn1parse -inform der >"$T/dac.txt"
grep -A1 ':1.3.6.1.4.1.37244.2.1$' "$T/dac.txt" | grep -q 'UTF8STRING *:FFF1' && ok || bad "DAC vid"
grep -A1 ':1.3.6.1.4.1.37244.2.2$' "$T/dac.txt" | grep -q 'UTF8STRING *:8000' && ok || bad "DAC pid"
openssl x509 -in "$M/paa.pem" -noout -text | grep -q 'CA:TRUE, pathlen:1' && ok || bad "PAA pathlen"
openssl x509 -in "$M/dac.pem" -noout -text | grep -q 'ecdsa-with-SHA256' && ok || bad "DAC signature"
# refusals
expect 1 "rule matter.vid" "$S" pki issue "${MF[@]}" --profile matter-dac --vid FFF2 --pid 8000 \
  --csr "$T/p256.csr" -o "$T/x.pem"
no_output "$T/x.pem"
expect 1 "rule key.type" "$S" pki issue "${MF[@]}" --profile matter-dac --vid FFF1 --pid 8000 \
  --csr "$T/p384.csr" -o "$T/x.pem"
expect 1 "rule validity.nested" "$S" pki issue "${MF[@]}" --profile matter-dac --vid FFF1 --pid 8000 \
  --csr "$T/p256.csr" --validity 4000 -o "$T/x.pem"
expect 1 "rule matter.signature" "$S" pki init-root --profile matter-paa --key "$U;object=paa384" \
  --subject /CN=x --validity 10 -o "$T/x.pem"
no_output "$T/x.pem"
expect 2 "needs --pid" "$S" pki issue "${MF[@]}" --profile matter-dac --vid FFF1 --csr "$T/p256.csr" \
  -o "$T/x.pem"
expect 2 "needs --vid" "$S" pki init-ca --profile matter-pai --key "$U;object=pai" \
  --issuer-key "$U;object=paa" --issuer-cert "$M/paa.pem" --subject /CN=x -o "$T/x.pem"
expect 2 "takes no --pid" "$S" pki init-root --profile matter-paa --pid 8000 --key "$U;object=paa" \
  --subject /CN=x --validity 10 -o "$T/x.pem"
expect 2 "1 to 4 hex digits" "$S" pki issue "${MF[@]}" --profile matter-dac --vid FFF1G --pid 8000 \
  --csr "$T/p256.csr" -o "$T/x.pem"
expect 1 "profile matter-dac: rule" "$S" pki verify --root "$D/root.pem" --untrusted "$D/factory.pem" \
  --profile matter-dac "$D/dev-p256.pem"
no_output "$T/x.pem"

# ---- batch: --csr-dir/--out-dir in one process; a refused CSR is skipped
B="$T/batch"
mkdir -p "$B/in" "$B/out"
cp "$T/p256.csr" "$B/in/BATCH-1.csr"
cp "$T/rsa3072.csr" "$B/in/BATCH-2.csr"
cp "$T/p521.csr" "$B/in/BATCH-3.csr"
cp "$T/p384.csr" "$B/in/BATCH-4.csr"
"$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" --subject /CN=Batch --csr-dir "$B/in" \
  --out-dir "$B/out" 2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 1 ] && ok || bad "batch with a refused CSR: exit $rc"
grep -q 'BATCH-3.csr: rule key.type' "$T/batch.err" && grep -q 'issued 3 of 4' "$T/batch.err" && ok \
  || bad "batch messages: $(cat "$T/batch.err")"
[ "$(ls -A "$B/out" | tr '\n' ' ')" = "BATCH-1.pem BATCH-2.pem BATCH-4.pem " ] && ok \
  || bad "batch outputs: $(ls -A "$B/out")"
openssl verify -x509_strict -CAfile "$D/root.pem" -untrusted "$D/factory.pem" "$B/out/BATCH-4.pem" \
  >/dev/null 2>&1 && ok || bad "openssl rejects a batch certificate"
openssl x509 -in "$B/out/BATCH-2.pem" -noout -subject | grep -q 'serialNumber = BATCH-2' && ok \
  || bad "batch device serial"
[ "$("$S" pki list --db "$D/db" | grep -c 'serialNumber=BATCH-')" = 3 ] && ok || bad "batch records"
# again: every device already has a live certificate and its file, nothing
# is written
rm -f "$B/in/BATCH-3.csr"
cp -a "$B/out" "$B/out0"
"$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" --csr-dir "$B/in" --out-dir "$B/out" \
  2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 1 ] && [ "$(grep -c 'rule db.one-live-per-device' "$T/batch.err")" = 3 ] && ok \
  || bad "batch again: exit $rc: $(cat "$T/batch.err")"
diff -r "$B/out0" "$B/out" >/dev/null && ok || bad "batch again changed files: $(ls -A "$B/out")"
# A run ended between its commit and its renames (kill -9) leaves records
# without files: the same state as files deleted after the run. A rerun
# writes them again from the database, byte-identical, and issues nothing.
rm "$B/out/BATCH-2.pem"
"$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" --csr-dir "$B/in" --out-dir "$B/out" \
  2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 1 ] && [ "$(grep -c 'rule db.one-live-per-device' "$T/batch.err")" = 2 ] \
  && grep -q 'issued 0 of 3 .*wrote again 1 ' "$T/batch.err" && ok \
  || bad "batch recovery: exit $rc: $(cat "$T/batch.err")"
diff -r "$B/out0" "$B/out" >/dev/null && ok || bad "batch recovery: files differ: $(ls -A "$B/out")"
[ "$("$S" pki list --db "$D/db" | grep -c 'serialNumber=BATCH-')" = 3 ] && ok || bad "batch recovery records"
mkdir "$B/again"
"$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" --csr-dir "$B/in" --out-dir "$B/again" \
  2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 0 ] && diff -r "$B/out0" "$B/again" >/dev/null && ok \
  || bad "batch recovery into a new directory: exit $rc: $(cat "$T/batch.err")"
# ... but only for the key on record: another key for the device is refused
mkdir "$B/in2" "$B/out2"
cp "$T/p384.csr" "$B/in2/BATCH-1.csr"
"$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" --csr-dir "$B/in2" --out-dir "$B/out2" \
  2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 1 ] && grep -q 'BATCH-1.csr: rule db.one-live-per-device' "$T/batch.err" \
  && [ -z "$(ls -A "$B/out2")" ] && ok || bad "batch recovery with another key: exit $rc: $(cat "$T/batch.err")"
expect 3 "not a directory" "$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" \
  --csr-dir "$B/in" --out-dir "$T/nowhere"
expect 2 "both --csr-dir and --out-dir" "$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" \
  --csr-dir "$B/in"

# ---- batch on 4 signer threads, RSA-PSS CA: refusals at the start, middle
# and end, reported in name order; everything issued verifies and is on record
B="$T/batch4"
R="$T/rsa-3072"
mkdir -p "$B/in" "$B/out"
for i in $(seq -w 1 40); do cp "$T/p256.csr" "$B/in/T$i.csr"; done
cp "$T/p521.csr" "$B/in/T01.csr"  # wrong curve: rule key.type
cp "$T/p521.csr" "$B/in/T40.csr"
head -c 200 "$T/p384.csr" >"$B/in/T17.csr"  # malformed
cp "$T/rsa3072.csr" "$B/in/T23.csr"
openssl req -in "$T/p384.csr" -outform DER -out "$T/p384.der"
cp "$T/p384.der" "$B/in/T30.csr"  # DER is fine too
"$S" pki issue --ca-key "$U;object=factory-rsa-3072" --ca-cert "$R/factory.pem" --db "$R/db" \
  --profile idevid --hw-type "$HW" --csr-dir "$B/in" --out-dir "$B/out" --jobs 4 \
  2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 2 ] && ok || bad "threaded batch: exit $rc (wanted 2, the worst: a malformed CSR)"
[ "$(grep -o 'T[0-9]*\.csr' "$T/batch.err" | tr '\n' ' ')" = "T01.csr T17.csr T40.csr " ] && ok \
  || bad "threaded batch refusals: $(cat "$T/batch.err")"
grep -q 'issued 37 of 40' "$T/batch.err" && ok || bad "threaded batch count: $(cat "$T/batch.err")"
[ "$(ls -A "$B/out" | wc -l)" = 37 ] && [ ! -e "$B/out/T17.pem" ] && ok \
  || bad "threaded batch outputs: $(ls -A "$B/out")"
openssl verify -x509_strict -CAfile "$R/root.pem" -untrusted "$R/factory.pem" "$B"/out/*.pem \
  >"$T/ov.txt" 2>&1 && [ "$(grep -c ': OK$' "$T/ov.txt")" = 37 ] && ok \
  || bad "openssl rejects a threaded batch certificate: $(grep -v ': OK$' "$T/ov.txt" | head -3)"
for f in "$B"/out/*.pem; do serial_of "$f"; done | sort -u >"$T/serials.txt"
[ "$(wc -l <"$T/serials.txt")" = 37 ] && ok || bad "threaded batch serials are not distinct"
"$S" pki list --db "$R/db" --json >"$T/list.json"
[ "$(jq '[.[] | select(.device_serial // "" | startswith("T"))] | length' "$T/list.json")" = 37 ] \
  && ok || bad "threaded batch records: $(jq length "$T/list.json")"
[ "$(jq -r '.[] | select(.device_serial // "" | startswith("T")) | .serial' "$T/list.json" |
  tr a-f A-F | sort -u)" = "$(cat "$T/serials.txt")" ] && ok || bad "records and files differ"
openssl x509 -in "$B/out/T23.pem" -noout -subject | grep -q 'serialNumber = T23' && ok \
  || bad "threaded batch device serial"
expect 2 "give 1 to 64" "$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" \
  --csr-dir "$B/in" --out-dir "$B/out" --jobs 0
expect 2 "not a number" "$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" \
  --csr-dir "$B/in" --out-dir "$B/out" --jobs 2x
expect 2 "larger than 64" "$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" \
  --csr-dir "$B/in" --out-dir "$B/out" --jobs 65
expect 2 "--jobs is for batch issue" "$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" \
  --serial-number X --csr "$T/p256.csr" --jobs 2 -o "$T/x.pem"
no_output "$T/x.pem"

# ---- revocation and CRLs, checked by openssl
victim=$(serial_of "$D/dev-p384.pem")
expect 0 "revoked" "$S" pki revoke --db "$D/db" --serial "$victim" --reason keyCompromise
expect 1 "already revoked" "$S" pki revoke --db "$D/db" --serial "$victim"
expect 2 "no such certificate" "$S" pki revoke --db "$D/db" --serial 0123
expect 2 "unknown reason" "$S" pki revoke --db "$D/db" --serial "$victim" --reason certificateHold
expect 0 "1 revoked" "$S" pki crl --ca-key "$U;object=factory-ecdsa-p256" --ca-cert "$D/factory.pem" \
  --db "$D/db" -o "$D/factory.crl"
cat "$D/root.pem" "$D/factory.pem" >"$D/chain.pem"
openssl crl -in "$D/factory.crl" -CAfile "$D/chain.pem" -noout -text >"$T/crl.txt" 2>&1
grep -q 'verify OK' "$T/crl.txt" && ok || bad "openssl rejects the CRL: $(head -3 "$T/crl.txt")"
grep -q "Serial Number: $victim" "$T/crl.txt" && ok || bad "CRL lacks $victim"
grep -q 'Key Compromise' "$T/crl.txt" && ok || bad "CRL lacks the reason"
grep -A1 'X509v3 CRL Number' "$T/crl.txt" | grep -q '^ *1$' && ok || bad "CRL number"
grep -q 'X509v3 Authority Key Identifier' "$T/crl.txt" && ok || bad "CRL AKI"
openssl verify -crl_check -CAfile "$D/root.pem" -untrusted "$D/factory.pem" -CRLfile "$D/factory.crl" \
  "$D/dev-p384.pem" >/dev/null 2>&1 && bad "openssl accepts a revoked certificate" || ok
openssl verify -crl_check -CAfile "$D/root.pem" -untrusted "$D/factory.pem" -CRLfile "$D/factory.crl" \
  "$D/dev-rsa3072.pem" >/dev/null 2>&1 && ok || bad "openssl rejects a good certificate with the CRL"
expect 1 "certificate revoked" "$S" pki verify --root "$D/root.pem" --untrusted "$D/factory.pem" \
  --crl "$D/factory.crl" "$D/dev-p384.pem"
expect 0 "" "$S" pki verify --root "$D/root.pem" --untrusted "$D/factory.pem" --crl "$D/factory.crl" \
  --profile idevid "$D/dev-rsa3072.pem"
# a file of two CRLs is refused, not read up to the first (which would miss
# what the second revokes); DER is read, with no trailing bytes
openssl crl -in "$D/factory.crl" -outform DER -out "$T/factory.crl.der"
expect 1 "certificate revoked" "$S" pki verify --root "$D/root.pem" --untrusted "$D/factory.pem" \
  --crl "$T/factory.crl.der" "$D/dev-p384.pem"
cat "$D/factory.crl" "$D/factory.crl" >"$T/two.crl"
expect 2 "holds more than one PEM object; give one a CRL" "$S" pki verify --root "$D/root.pem" \
  --untrusted "$D/factory.pem" --crl "$T/two.crl" "$D/dev-p384.pem"
{ cat "$T/factory.crl.der"; printf x; } >"$T/trailing.crl"
expect 2 "not a CRL" "$S" pki verify --root "$D/root.pem" --untrusted "$D/factory.pem" \
  --crl "$T/trailing.crl" "$D/dev-p384.pem"
expect 1 "profile code-signing: rule issuer.profile" "$S" pki verify --root "$D/root.pem" --untrusted "$D/factory.pem" \
  --profile code-signing "$D/dev-rsa3072.pem"
expect 1 "unable to get local issuer" "$S" pki verify --root "$D/root.pem" "$D/dev-rsa3072.pem"
expect 1 "" "$S" pki verify --root "$T/rsa-3072/root.pem" --untrusted "$D/factory.pem" "$D/dev-rsa3072.pem"
# The RSA and P-384 CAs make CRLs openssl accepts too.
for t in ecdsa-p384 rsa-3072; do
  expect 0 "0 revoked" "$S" pki crl --ca-key "$U;object=factory-$t" --ca-cert "$T/$t/factory.pem" \
    --db "$T/$t/db" -o "$T/$t/factory.crl"
  cat "$T/$t/root.pem" "$T/$t/factory.pem" >"$T/$t/chain.pem"
  openssl crl -in "$T/$t/factory.crl" -CAfile "$T/$t/chain.pem" -noout 2>&1 | grep -q 'verify OK' \
    && ok || bad "openssl rejects the $t CRL"
done

# ---- a revoked intermediate: the root's CRL lists the factory CA. Every
# CRL given is used; only the leaf's issuer must have one.
RK=(--ca-key "$U;object=root-ecdsa-p256" --ca-cert "$D/root.pem" --db "$D/db")
expect 0 "0 revoked" "$S" pki crl "${RK[@]}" -o "$D/root0.crl"
V=(--root "$D/root.pem" --untrusted "$D/factory.pem")
expect 0 "" "$S" pki verify "${V[@]}" --crl "$D/factory.crl" --crl "$D/root0.crl" "$D/dev-rsa3072.pem"
expect 0 "revoked" "$S" pki revoke --db "$D/db" --serial "$(serial_of "$D/factory.pem")" \
  --reason cACompromise
expect 0 "1 revoked" "$S" pki crl "${RK[@]}" -o "$D/root1.crl"
expect 1 "certificate revoked (depth 1)" "$S" pki verify "${V[@]}" --crl "$D/factory.crl" \
  --crl "$D/root1.crl" "$D/dev-rsa3072.pem"
expect 0 "" "$S" pki verify "${V[@]}" --crl "$D/factory.crl" "$D/dev-rsa3072.pem"
expect 1 "unable to get certificate CRL (depth 0)" "$S" pki verify "${V[@]}" --crl "$D/root1.crl" \
  "$D/dev-rsa3072.pem"
cat "$D/factory.crl" "$D/root1.crl" >"$D/both.crl"
openssl verify -crl_check_all -CAfile "$D/root.pem" -untrusted "$D/factory.pem" -CRLfile "$D/both.crl" \
  "$D/dev-rsa3072.pem" >/dev/null 2>&1 && bad "openssl accepts a chain with a revoked CA" || ok
cat "$D/factory.crl" "$D/root0.crl" >"$D/both.crl"
openssl verify -crl_check_all -CAfile "$D/root.pem" -untrusted "$D/factory.pem" -CRLfile "$D/both.crl" \
  "$D/dev-rsa3072.pem" >/dev/null 2>&1 && ok || bad "openssl rejects the chain before the CA's revocation"

# ---- the database, listed
"$S" pki list --db "$D/db" --json >"$T/list.json"
[ "$(jq length "$T/list.json")" = 11 ] && ok || bad "list has $(jq length "$T/list.json") entries"
[ "$(jq -r ".[] | select(.serial == \"${victim,,}\") | .status" "$T/list.json")" = revoked ] && ok \
  || bad "list does not show the revocation"
jq -j '.[0].der' "$T/list.json" | perl -pe 's/([0-9a-f]{2})/chr hex $1/ge' | openssl x509 -inform der -noout 2>/dev/null && ok \
  || bad "list DER"
expect 0 "" "$S" pki list --db "$D/db"
echo "not a database, just text" >"$T/other"
expect 3 "not a signet PKI database" "$S" pki list --db "$T/other"

# SOURCE_DATE_EPOCH sets notBefore (inside the CA's validity).
nb=$(openssl x509 -in "$D/factory.pem" -noout -startdate | cut -d= -f2)
epoch=$(( $(date -d "$nb" +%s) + 3600 ))
SOURCE_DATE_EPOCH=$epoch "$S" pki issue "${F[@]}" --pubkey "$T/p256.pub.pem" --profile idevid \
  --serial-number SN-EPOCH --hw-type "$HW" -o "$T/epoch.pem" 2>/dev/null
[ "$(date -d "$(openssl x509 -in "$T/epoch.pem" -noout -startdate | cut -d= -f2)" +%s)" = "$epoch" ] \
  && ok || bad "SOURCE_DATE_EPOCH not honoured"

# ---- a failed write leaves neither a record nor a file, and takes no CRL
# number: the output cannot be put in place (a directory has its name; the
# record is taken back after the commit), or cannot be written at all
# (RLIMIT_FSIZE, as on a full disk). Then a retry is not refused.
W="$T/wfail"
mkdir -p "$W/out.pem"
records() { "$S" pki list --db "$D/db" | wc -l; }
n0=$(records)
I=("${F[@]}" --pubkey "$T/p256.pub.pem" --profile idevid --serial-number SN-W --hw-type "$HW")
expect 3 "out.pem: cannot put into place" "$S" pki issue "${I[@]}" -o "$W/out.pem"
[ "$(records)" = "$n0" ] && ok || bad "a certificate that never reached its file is on record"
[ "$(ls -A "$W")" = out.pem ] && [ -z "$(ls -A "$W/out.pem")" ] && ok || bad "temp files left: $(ls -AR "$W")"
# No file can grow: SIGXFSZ ignored, every write fails (EFBIG). SoftHSM
# cannot write its files either, so it runs on a copy of the token.
cp -a "$T/tokens" "$T/tokens-full"
sed "s|$T/tokens|$T/tokens-full|" "$SOFTHSM2_CONF" >"$T/softhsm2-full.conf"
fsize0() {
  SOFTHSM2_CONF="$T/softhsm2-full.conf" bash -c 'trap "" XFSZ; ulimit -f 0; exec "$@"' fsize0 "$@"
}
expect 3 "" fsize0 "$S" pki issue "${I[@]}" -o "$W/full.pem"
no_output "$W/full.pem"
[ "$(records)" = "$n0" ] && ok || bad "a certificate that could not be written is on record"
expect 0 "certificate" "$S" pki issue "${I[@]}" -o "$W/w.pem"
[ "$(records)" = $((n0 + 1)) ] && ok || bad "the retry is not on record"
# --reissue: the superseded certificate is live again when the new one fails
expect 3 "cannot put into place" "$S" pki issue "${I[@]}" --reissue -o "$W/out.pem"
"$S" pki list --db "$D/db" --json >"$T/list.json"
[ "$(jq -r '[.[] | select(.device_serial == "SN-W") | .status] | join(",")' "$T/list.json")" = live ] \
  && ok || bad "after a failed reissue: $(jq -c '[.[] | select(.device_serial == "SN-W")]' "$T/list.json")"
crlnum() { openssl crl -in "$1" -noout -crlnumber | cut -d= -f2; }
FC=(--ca-key "$U;object=factory-ecdsa-p256" --ca-cert "$D/factory.pem" --db "$D/db")
expect 0 "revoked" "$S" pki crl "${FC[@]}" -o "$W/a.crl"
expect 3 "out.pem: cannot put into place" "$S" pki crl "${FC[@]}" -o "$W/out.pem"
expect 3 "" fsize0 "$S" pki crl "${FC[@]}" -o "$W/full.crl"
no_output "$W/full.crl"
expect 0 "revoked" "$S" pki crl "${FC[@]}" -o "$W/b.crl"
[ $((16#$(crlnum "$W/b.crl"))) = $((16#$(crlnum "$W/a.crl") + 1)) ] && ok \
  || bad "a CRL that was never written took a number: $(crlnum "$W/a.crl") then $(crlnum "$W/b.crl")"

# ---- issuance input gaps: an EC key with explicit curve parameters (rule
# key.type, exit 1: strict verifiers refuse it), a subject with control
# characters or a lone trailing '\' (exit 2, the text not echoed), a file
# with two PEM CSRs (exit 2, not the first one silently)
openssl ecparam -name prime256v1 -genkey -param_enc explicit -noout -out "$T/explicit.key"
openssl req -new -key "$T/explicit.key" -subj /CN=x -out "$T/explicit.csr"
X=("${F[@]}" --profile idevid --hw-type "$HW" -o "$T/x.pem")
expect 1 "rule key.type: EC prime256v1 with explicit curve parameters" "$S" pki issue "${X[@]}" \
  --csr "$T/explicit.csr" --serial-number SN-X1
no_output "$T/x.pem"
openssl pkey -in "$T/explicit.key" -pubout -out "$T/explicit.pub.pem"
expect 1 "explicit curve parameters" "$S" pki issue "${X[@]}" --pubkey "$T/explicit.pub.pem" \
  --serial-number SN-X1
expect 2 "control character U+001B" "$S" pki issue "${X[@]}" --csr "$T/p256.csr" --serial-number SN-X2 \
  --subject $'/CN=Gateway\e[2J'
grep -q $'\e' "$T/err.txt" && bad "the escape character reached stderr" || ok
expect 2 "control character U+000A" "$S" pki issue "${X[@]}" --csr "$T/p256.csr" --serial-number SN-X2 \
  --subject $'/CN=Gateway\n/O=Forged'
expect 2 "escapes nothing" "$S" pki issue "${X[@]}" --csr "$T/p256.csr" --serial-number SN-X2 \
  --subject '/CN=Gateway\'
cat "$T/p256.csr" "$T/p384.csr" >"$T/two.csr"
expect 2 "two.csr: holds more than one PEM object" "$S" pki issue "${X[@]}" --csr "$T/two.csr" \
  --serial-number SN-X2
cat "$T/p256.pub.pem" "$T/explicit.pub.pem" >"$T/two.pub.pem"
expect 2 "holds more than one PEM object" "$S" pki issue "${X[@]}" --pubkey "$T/two.pub.pem" \
  --serial-number SN-X2
no_output "$T/x.pem"
"$S" pki list --db "$D/db" --json | jq -e '[.[] | select(.device_serial | tostring | startswith("SN-X"))] | length == 0' \
  >/dev/null && ok || bad "a refused request is on record"

# ---- batch output files: temps created exclusively, so links planted at
# the old temp name (.NAME.pem.tmp-PID: bash -c's PID is signet's after
# exec) and at the output name are not followed
B="$T/blink"
mkdir -p "$B/in" "$B/out"
cp "$T/p256.csr" "$B/in/LINK-1.csr"
echo precious >"$T/victim1"
echo precious >"$T/victim2"
ln -s "$T/victim2" "$B/out/LINK-1.pem"
bash -c 'ln -s "$1" "$2/.LINK-1.pem.tmp-$$"; shift 2; exec "$@"' planted "$T/victim1" "$B/out" \
  "$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" --csr-dir "$B/in" --out-dir "$B/out" \
  2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 0 ] && ok || bad "batch with planted links: exit $rc: $(cat "$T/batch.err")"
[ "$(cat "$T/victim1") $(cat "$T/victim2")" = "precious precious" ] && ok \
  || bad "a planted link was followed: $(head -c 100 "$T/victim1" "$T/victim2")"
[ -f "$B/out/LINK-1.pem" ] && [ ! -L "$B/out/LINK-1.pem" ] && openssl x509 -in "$B/out/LINK-1.pem" -noout \
  && ok || bad "batch output behind a planted link: $(ls -l "$B/out")"

# ---- a rename that fails after the commit (a directory has the output's
# name): exit 3 and the record stays; once the name is free, a rerun writes
# the certificate on record
B="$T/bdir"
mkdir -p "$B/in" "$B/out/DIR-1.pem"
cp "$T/p256.csr" "$B/in/DIR-1.csr"
BI=("${F[@]}" --profile idevid --hw-type "$HW" --csr-dir "$B/in" --out-dir "$B/out")
"$S" pki issue "${BI[@]}" 2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 3 ] && grep -q 'DIR-1.pem: cannot put into place.*a rerun writes it' "$T/batch.err" && ok \
  || bad "batch with a failing rename: exit $rc: $(cat "$T/batch.err")"
rmdir "$B/out/DIR-1.pem"
"$S" pki issue "${BI[@]}" 2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 0 ] && grep -q 'issued 0 of 1 .*wrote again 1 ' "$T/batch.err" && ok \
  || bad "batch rerun after a failing rename: exit $rc: $(cat "$T/batch.err")"
"$S" pki list --db "$D/db" --json >"$T/list.json"
[ "$(jq -r '.[] | select(.device_serial == "DIR-1") | .serial' "$T/list.json" | tr a-f A-F)" = \
  "$(serial_of "$B/out/DIR-1.pem")" ] && ok || bad "the rewritten file is not the certificate on record"

# ---- batch inputs that would block: a FIFO among the CSRs is refused at
# once (not a regular file) and the rest is issued
B="$T/bfifo"
mkdir -p "$B/in" "$B/out"
cp "$T/p256.csr" "$B/in/FIFO-1.csr"
mkfifo "$B/in/FIFO-2.csr"
cp "$T/p384.csr" "$B/in/FIFO-3.csr"
timeout 30 "$S" pki issue "${F[@]}" --profile idevid --hw-type "$HW" --csr-dir "$B/in" --out-dir "$B/out" \
  2>"$T/batch.err" && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q 'FIFO-2.csr: not a regular file' "$T/batch.err" && grep -q 'issued 2 of 3' "$T/batch.err" \
  && ok || bad "batch with a FIFO: exit $rc: $(cat "$T/batch.err")"
[ "$(ls -A "$B/out" | tr '\n' ' ')" = "FIFO-1.pem FIFO-3.pem " ] && ok || bad "batch with a FIFO: $(ls -A "$B/out")"

# ---- SIGTERM in the middle of a group ends the run at once: the group is
# rolled back, no temp file stays, the database is free for the next command
B="$T/bsig"
mkdir -p "$B/in" "$B/out"
for i in $(seq -w 1 300); do cp "$T/p256.csr" "$B/in/SIG-$i.csr"; done
"$S" pki issue --ca-key "$U;object=factory-rsa-3072" --ca-cert "$R/factory.pem" --db "$R/db" \
  --profile idevid --hw-type "$HW" --csr-dir "$B/in" --out-dir "$B/out" --jobs 1 2>"$T/sig.err" &
pid=$!
fds0=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
for _ in $(seq 1 1000); do # until 10 certificates of the first group are written (open temps)
  [ $(( $(ls "/proc/$pid/fd" 2>/dev/null | wc -l) + $(ls -A "$B/out" | wc -l) )) -ge $((fds0 + 10)) ] && break
  sleep 0.01
done
kill -TERM "$pid"
wait "$pid" && rc=0 || rc=$?
[ "$rc" = 143 ] && ok || bad "batch after SIGTERM: exit $rc: $(cat "$T/sig.err")"
[ -z "$(ls -A "$B/out")" ] && ok || bad "batch after SIGTERM left $(ls -A "$B/out" | wc -l) file(s): $(ls -A "$B/out" | head -3)"
[ "$("$S" pki list --db "$R/db" | grep -c 'serialNumber=SIG-')" = 0 ] && ok \
  || bad "batch after SIGTERM: the group in flight was recorded"
expect 0 "certificate" timeout 5 "$S" pki issue --ca-key "$U;object=factory-rsa-3072" --ca-cert "$R/factory.pem" \
  --db "$R/db" --profile idevid --hw-type "$HW" --csr "$T/p256.csr" --serial-number SIG-AFTER -o "$B/after.pem"

finish

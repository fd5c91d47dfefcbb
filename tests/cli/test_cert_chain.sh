#!/usr/bin/env bash
# Key rotation for releases: the signer's certificate chain in the envelope
# (CERT_CHAIN, docs/envelope.md §5) and verify --trust-root. The root is the
# device's only anchor; release keys are certified, rotated and revoked
# below it. Cross-checked with openssl verify.
. "$(dirname "$0")/lib.sh"

# Crafting signature areas (docs/envelope.md §5) from real parts.
uat() { od -An -tu"$3" -j "$2" -N"$3" "$1" | tr -d ' '; } # FILE OFFSET SIZE: an LE integer
le() { # VALUE BYTES: VALUE little-endian
  local s="" i
  for ((i = 0; i < $2; i++)); do s+=$(printf '\\%03o' $((($1 >> (8 * i)) & 255))); done
  printf "$s"
}
area_at() { echo $((32 + $(uat "$1" 8 4) + $(uat "$1" 16 8))); }
split_area() { # ENV: its signature-area TLVs as ENV.tlv1, ENV.tlv2, ...
  local f=$1 o end i=0 len
  o=$(($(area_at "$f") + 8)); end=$(stat -c %s "$f")
  while [ "$o" -lt "$end" ]; do
    len=$(uat "$f" $((o + 2)) 2); i=$((i + 1))
    tail -c +$((o + 1)) "$f" | head -c $((4 + len)) >"$f.tlv$i"
    o=$((o + 4 + len))
  done
}
tlv() { le "$1" 2; le "$(stat -c %s "$2")" 2; cat "$2"; } # TYPE FILE: a TLV of FILE's bytes
rearea() { # ENV OUT TLVFILE...: ENV with a signature area of these TLVs
  local f=$1 out=$2 size=8 t a
  shift 2
  a=$(area_at "$f")
  for t in "$@"; do size=$((size + $(stat -c %s "$t"))); done
  { head -c "$a" "$f"; printf SGSA; le "$size" 4; cat "$@"; } >"$out"
}
chain_tlv() { # OUT [CERT.pem | -raw BYTESFILE]...: a CERT_CHAIN TLV
  local out=$1 v="$T/chainvalue"
  shift
  : >"$v"
  while [ $# -gt 0 ]; do
    if [ "$1" = -raw ]; then cp "$2" "$T/c.der"; shift; else openssl x509 -in "$1" -outform der -out "$T/c.der"; fi
    le "$(stat -c %s "$T/c.der")" 2 >>"$v"; cat "$T/c.der" >>"$v"; shift
  done
  tlv 2 "$v" >"$out"
}

new_token rel
U="pkcs11:token=rel;pin-source=file:$PINFILE"
for k in root code factory; do "$S" hsm keygen --type ecdsa-p256 --key "$U;object=$k" 2>/dev/null; done
"$S" hsm keygen --type ecdsa-p256 --key "$U;object=fw1" 2>/dev/null
"$S" hsm keygen --type ecdsa-p384 --key "$U;object=fw2" 2>/dev/null
"$S" hsm keygen --type ecdsa-p256 --key "$U;object=other" 2>/dev/null
for k in fw1 fw2 other; do "$S" hsm pubkey --key "$U;object=$k" -o "$T/$k.pub.pem" 2>/dev/null; done
head -c 50000 /dev/urandom >"$T/fw.bin"

P=(--db "$T/db")
expect 0 "root" "$S" pki init-root --key "$U;object=root" --subject "/CN=Acme Root/O=Acme" \
  --validity 3650 "${P[@]}" -o "$T/root.pem"
expect 0 "CA" "$S" pki init-ca --key "$U;object=code" --issuer-key "$U;object=root" \
  --issuer-cert "$T/root.pem" --profile code-signing-ca --subject "/CN=Acme Code CA/O=Acme" \
  "${P[@]}" -o "$T/ca.pem"
expect 0 "CA" "$S" pki init-ca --key "$U;object=factory" --issuer-key "$U;object=root" \
  --issuer-cert "$T/root.pem" --profile factory-ca --subject "/CN=Acme Factory CA/O=Acme" \
  "${P[@]}" -o "$T/factory.pem"
C=(--ca-key "$U;object=code" --ca-cert "$T/ca.pem" "${P[@]}")
expect 0 "certificate" "$S" pki issue "${C[@]}" --pubkey "$T/fw1.pub.pem" --profile code-signing \
  --subject "/CN=Release 2026/O=Acme" --validity 365 -o "$T/fw1.pem"
cat "$T/fw1.pem" "$T/ca.pem" >"$T/chain1.pem"
openssl verify -x509_strict -purpose any -CAfile "$T/root.pem" -untrusted "$T/ca.pem" "$T/fw1.pem" \
  >"$T/o.txt" 2>&1 && ok || bad "openssl rejects the chain: $(cat "$T/o.txt")"

# ---- sign with the chain; verify with the root alone
expect 0 "1 signature" "$S" sign --key "$U;object=fw1" --cert "$T/chain1.pem" --version 1.0.0 \
  "$T/fw.bin" "$T/r1.sgn"
expect 0 "valid (1 trusted signer)" "$S" verify --trust-root "$T/root.pem" "$T/r1.sgn"
"$S" verify --trust-root "$T/root.pem" --json "$T/r1.sgn" >"$T/v.json"
[ "$(jq -r '.signatures[0].trusted_via' "$T/v.json")" = chain ] && ok || bad "trusted_via: $(cat "$T/v.json")"
jq -r '.signatures[0].trusted_key' "$T/v.json" | grep -q '^chain:.*Release 2026' && ok \
  || bad "trusted_key: $(cat "$T/v.json")"
"$S" verify --trust "$T/fw1.pub.pem" --trust-root "$T/root.pem" --json "$T/r1.sgn" >"$T/v.json"
[ "$(jq -r '.signatures[0].trusted_via' "$T/v.json")" = trust ] && ok || bad "trusted_via trust"
# old-style verification ignores the (non-critical) chain
expect 0 "valid" "$S" verify --trust "$T/fw1.pub.pem" "$T/r1.sgn"
expect 1 "no valid signature by a trusted key" "$S" verify --trust "$T/other.pub.pem" "$T/r1.sgn"

# The embedded chain is exactly the one openssl accepts.
"$S" inspect --json "$T/r1.sgn" >"$T/i.json"
[ "$(jq '.certificate_chains[0].certificates | length' "$T/i.json")" = 2 ] && ok || bad "inspect chain: $(cat "$T/i.json")"
[ "$(jq -r '.certificate_chains[0].certificates[0].serial' "$T/i.json")" = \
  "$(openssl x509 -in "$T/fw1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)" ] && ok || bad "inspect serial"
[ "$(jq -r '.certificate_chains[0].certificates[1].subject' "$T/i.json")" = "O=Acme,CN=Acme Code CA" ] && ok \
  || bad "inspect subject: $(jq -c .certificate_chains "$T/i.json")"
[ "$(jq -r '.certificate_chains[0].leaf_key_id' "$T/i.json")" = "$(jq -r '.signatures[0].key_id' "$T/i.json")" ] \
  && ok || bad "leaf key id is not the signature's"
[ "$(jq -r '.certificate_chains[0].certificates[0].not_after' "$T/i.json")" = \
  "$(date -d "$(openssl x509 -in "$T/fw1.pem" -noout -enddate | cut -d= -f2)" +%s)" ] && ok || bad "inspect validity"
"$S" inspect "$T/r1.sgn" >"$T/i.txt"
grep -q 'certificate chain: 2 certificates' "$T/i.txt" && grep -q 'subject O=Acme,CN=Release 2026' "$T/i.txt" \
  && ! grep -q 'unknown fields' "$T/i.txt" && ok || bad "inspect text: $(cat "$T/i.txt")"
# Extract the CERT_CHAIN value and give its certificates to openssl.
P1=$(jq .protected_size "$T/i.json"); N=$(jq .payload_size "$T/i.json")
A=$((32 + P1 + N)); L=$(jq '.signatures[0].signature_size' "$T/i.json")
off=$((A + 8 + 4 + 34 + L))
u16() { od -An -tu2 -j "$1" -N2 "$T/r1.sgn" | tr -d ' '; }
[ "$(u16 "$off")" = 2 ] && ok || bad "CERT_CHAIN type $(u16 "$off")"
o=$((off + 4)); l1=$(u16 "$o")
tail -c +$((o + 3)) "$T/r1.sgn" | head -c "$l1" | openssl x509 -inform der -out "$T/x-leaf.pem"
o=$((o + 2 + l1)); l2=$(u16 "$o")
tail -c +$((o + 3)) "$T/r1.sgn" | head -c "$l2" | openssl x509 -inform der -out "$T/x-ca.pem"
[ $((o + 2 + l2)) = "$(stat -c %s "$T/r1.sgn")" ] && ok || bad "CERT_CHAIN does not end the area"
openssl verify -x509_strict -CAfile "$T/root.pem" -untrusted "$T/x-ca.pem" "$T/x-leaf.pem" >/dev/null 2>&1 \
  && ok || bad "openssl rejects the embedded chain"
cmp -s "$T/x-leaf.pem" "$T/fw1.pem" && ok || bad "embedded leaf differs"
expect 2 "a certificate, not a public key: use --trust-root" "$S" verify --trust "$T/root.pem" "$T/r1.sgn"
[ "$(jq .header_size "$T/i.json")" = 32 ] && ok || bad "inspect --json lacks header_size"

# ---- CERT_CHAIN structure is checked by every verifier, whatever its options
split_area "$T/r1.sgn" # tlv1: fw1's signature, tlv2: its chain
: >"$T/empty"; tlv 2 "$T/empty" >"$T/empty.tlv"
rearea "$T/r1.sgn" "$T/empty.sgn" "$T/r1.sgn.tlv1" "$T/empty.tlv"
for o in "--trust $T/fw1.pub.pem" "--trust-root $T/root.pem"; do
  # shellcheck disable=SC2086
  expect 2 "empty certificate chain" "$S" verify $o "$T/empty.sgn"
done
expect 2 "empty certificate chain" "$S" inspect "$T/empty.sgn"
# at most one chain per signature
rearea "$T/r1.sgn" "$T/2for1.sgn" "$T/r1.sgn.tlv1" "$T/r1.sgn.tlv2" "$T/r1.sgn.tlv2"
expect 2 "more certificate chains than signatures" "$S" verify --trust "$T/fw1.pub.pem" "$T/2for1.sgn"
expect 2 "more certificate chains than signatures" "$S" verify --trust-root "$T/root.pem" "$T/2for1.sgn"
expect 2 "more certificate chains than signatures" "$S" inspect "$T/2for1.sgn"
# A well-framed value that is not X.509: the structure is fine (inspect shows
# it, --trust ignores it); the chain authenticates nothing (exit 1).
printf 'junk' >"$T/junk"
chain_tlv "$T/junk.tlv" -raw "$T/junk"
rearea "$T/r1.sgn" "$T/junk.sgn" "$T/r1.sgn.tlv1" "$T/junk.tlv"
expect 0 "valid" "$S" verify --trust "$T/fw1.pub.pem" "$T/junk.sgn"
expect 1 "certificate chain 1: certificate 1 is not a DER X.509 certificate" "$S" verify \
  --trust-root "$T/root.pem" "$T/junk.sgn"
"$S" inspect "$T/junk.sgn" >"$T/i.txt" && grep -q 'certificate chain: unusable: certificate chain 1: certificate 1 is not' \
  "$T/i.txt" && ok || bad "inspect of a non-X.509 chain: $(cat "$T/i.txt")"
"$S" inspect --json "$T/junk.sgn" >"$T/i.json" && jq -r '.certificate_chains[0].error' "$T/i.json" \
  | grep -q 'not a DER X.509' && ok || bad "inspect --json of a non-X.509 chain: $(cat "$T/i.json")"

# ---- refusals when signing
expect 2 "does not certify a signing key" "$S" sign --key "$U;object=other" --cert "$T/chain1.pem" \
  --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"
expect 2 "not an X.509 certificate" "$S" sign --key "$U;object=fw1" --cert "$T/fw1.pub.pem" \
  --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"
expect 2 "--cert goes with --complete" "$S" sign --prepare --pubkey "$T/fw1.pub.pem" \
  --cert "$T/chain1.pem" --version 1.0.0 "$T/fw.bin" "$T/x.req"
# with two keys the chain goes with the key it certifies
expect 0 "2 signatures" "$S" sign --key "$U;object=other" --key "$U;object=fw1" --cert "$T/chain1.pem" \
  --version 1.0.0 "$T/fw.bin" "$T/two.sgn"
"$S" verify --trust-root "$T/root.pem" --trust "$T/other.pub.pem" --threshold 2 --json "$T/two.sgn" >"$T/v.json" \
  && ok || bad "2-of-2 with a chain: $(cat "$T/v.json")"
[ "$(jq -r '[.signatures[].trusted_via] | join(",")' "$T/v.json")" = "trust,chain" ] && ok \
  || bad "two: $(jq -c .signatures "$T/v.json")"
expect 1 "not enough distinct trusted signers" "$S" verify --trust-root "$T/root.pem" \
  --trust "$T/fw2.pub.pem" --threshold 2 "$T/two.sgn"
expect 1 "not enough distinct trusted signers" "$S" verify --trust-root "$T/root.pem" --threshold 2 \
  "$T/two.sgn"
expect 2 "is more than the 1 trusted keys" "$S" verify --trust "$T/fw1.pub.pem" --threshold 2 "$T/two.sgn"

# ---- refusals when verifying
# another root
"$S" hsm keygen --type ecdsa-p256 --key "$U;object=root2" 2>/dev/null
expect 0 "root" "$S" pki init-root --key "$U;object=root2" --subject "/CN=Evil Root" --validity 3650 \
  -o "$T/root2.pem"
expect 1 "certificate chain: " "$S" verify --trust-root "$T/root2.pem" "$T/r1.sgn"
# no chain in the envelope
expect 0 "" "$S" sign --key "$U;object=fw1" --version 1.0.0 "$T/fw.bin" "$T/plain.sgn"
expect 1 "no certificate chain" "$S" verify --trust-root "$T/root.pem" "$T/plain.sgn"
# --json's reason is the line stderr shows, the option's name included
rc=0; "$S" verify --trust-root "$T/root.pem" --json "$T/plain.sgn" >"$T/v.json" 2>/dev/null || rc=$?
[ "$rc" = 1 ] && [ "$(jq -r .reason "$T/v.json")" = "$(cut -c9- "$T/err.txt")" ] && ok \
  || bad "verify --json reason: $(cat "$T/v.json") vs $(cat "$T/err.txt")"
# build time outside the certificate's validity
nb=$(date -d "$(openssl x509 -in "$T/fw1.pem" -noout -startdate | cut -d= -f2)" +%s)
SOURCE_DATE_EPOCH=$((nb - 86400)) "$S" sign --key "$U;object=fw1" --cert "$T/chain1.pem" \
  --version 1.0.0 "$T/fw.bin" "$T/early.sgn" 2>/dev/null
expect 1 "certificate is not yet valid" "$S" verify --trust-root "$T/root.pem" "$T/early.sgn"
SOURCE_DATE_EPOCH=$((nb + 400 * 86400)) "$S" sign --key "$U;object=fw1" --cert "$T/chain1.pem" \
  --version 1.0.0 "$T/fw.bin" "$T/late.sgn" 2>/dev/null
expect 1 "certificate has expired" "$S" verify --trust-root "$T/root.pem" "$T/late.sgn"
# a BUILD_TIME past 9999 (here 2^63, once a negative time_t: "not yet valid") is not written
expect 2 "" env SOURCE_DATE_EPOCH=9223372036854775808 "$S" sign --key "$U;object=fw1" \
  --cert "$T/chain1.pem" --version 1.0.0 "$T/fw.bin" "$T/far.sgn"
no_output "$T/far.sgn"
# ... but a release built inside the validity stays valid (checked at BUILD_TIME, not now)
SOURCE_DATE_EPOCH=$((nb + 60)) "$S" sign --key "$U;object=fw1" --cert "$T/chain1.pem" \
  --version 1.0.0 "$T/fw.bin" "$T/intime.sgn" 2>/dev/null
expect 0 "valid" "$S" verify --trust-root "$T/root.pem" "$T/intime.sgn"
# wrong profile: an idevid certificate for the signing key
expect 0 "certificate" "$S" pki issue --ca-key "$U;object=factory" --ca-cert "$T/factory.pem" "${P[@]}" \
  --pubkey "$T/fw1.pub.pem" --profile idevid --serial-number SN-1 --hw-type 1.3.6.1.4.1.99999.1 \
  --subject "/CN=Device" -o "$T/dev.pem"
cat "$T/dev.pem" "$T/factory.pem" >"$T/devchain.pem"
expect 0 "" "$S" sign --key "$U;object=fw1" --cert "$T/devchain.pem" --version 1.0.0 "$T/fw.bin" "$T/dev.sgn"
expect 1 "profile code-signing: rule" "$S" verify --trust-root "$T/root.pem" "$T/dev.sgn"
# chains that cannot reach the root are refused when signing, naming what is
# missing or misplaced: the intermediate left out, the order reversed
expect 2 "whose issuer '/CN=Acme Code CA/O=Acme' is missing" "$S" sign --key "$U;object=fw1" \
  --cert "$T/fw1.pem" --version 1.0.0 "$T/fw.bin" "$T/short.sgn"
no_output "$T/short.sgn"
cat "$T/ca.pem" "$T/fw1.pem" >"$T/reversed.pem"
expect 2 "is not issued by certificate 2" "$S" sign --key "$U;object=fw1" \
  --cert "$T/reversed.pem" --version 1.0.0 "$T/fw.bin" "$T/short.sgn"
no_output "$T/short.sgn"
cat "$T/fw1.pem" "$T/root.pem" >"$T/skip.pem"
expect 2 "is not issued by certificate 2" "$S" cosign --key "$U;object=fw1" \
  --cert "$T/skip.pem" "$T/plain.sgn"
# ... and a chain that includes the root is fine
cat "$T/chain1.pem" "$T/root.pem" >"$T/full.pem"
expect 0 "" "$S" sign --key "$U;object=fw1" --cert "$T/full.pem" --version 1.0.0 "$T/fw.bin" \
  "$T/full.sgn"
expect 0 "valid" "$S" verify --trust-root "$T/root.pem" "$T/full.sgn"
# usage
expect 2 "at least one --trust key or --trust-root" "$S" verify "$T/r1.sgn"

# inputs that are not regular files are refused at once (a FIFO would block)
mkfifo "$T/fifo"
expect 2 "not a regular file" timeout 10 "$S" verify --trust-root "$T/root.pem" --crl "$T/fifo" \
  "$T/r1.sgn"
expect 2 "not a regular file" timeout 10 "$S" sign --key "$U;object=fw1" --cert "$T/fifo" \
  --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
rm -f "$T/fifo"

# ---- key rotation: a new key, a new certificate, the same root
expect 0 "certificate" "$S" pki issue "${C[@]}" --pubkey "$T/fw2.pub.pem" --profile code-signing \
  --subject "/CN=Release 2027/O=Acme" --validity 365 -o "$T/fw2.pem"
cat "$T/fw2.pem" "$T/ca.pem" >"$T/chain2.pem"
expect 0 "" "$S" sign --key "$U;object=fw2" --cert "$T/chain2.pem" --version 1.1.0 "$T/fw.bin" "$T/r2.sgn"
expect 0 "valid" "$S" verify --trust-root "$T/root.pem" "$T/r2.sgn"
openssl verify -x509_strict -CAfile "$T/root.pem" -untrusted "$T/ca.pem" "$T/fw2.pem" >/dev/null 2>&1 \
  && ok || bad "openssl rejects the rotated chain"

# ---- M-of-N with chains: each signer's chain beside its signature, from
# one sign run or added by cosign; the root alone makes both count
expect 0 "2 signatures" "$S" sign --key "$U;object=fw1" --key "$U;object=fw2" --cert "$T/chain1.pem" \
  --cert "$T/chain2.pem" --version 1.1.0 "$T/fw.bin" "$T/both.sgn"
expect 0 "valid (2 trusted signers)" "$S" verify --trust-root "$T/root.pem" --threshold 2 "$T/both.sgn"
"$S" inspect --json "$T/both.sgn" >"$T/i.json"
[ "$(jq -r '[.certificate_chains[].leaf_key_id] | join(",")' "$T/i.json")" = \
  "$(jq -r '[.signatures[].key_id] | join(",")' "$T/i.json")" ] && ok || bad "two chains: $(cat "$T/i.json")"
# Exit classes do not depend on chain order: structure (exit 2) is checked
# before any chain is; all chain refusals are a "no" (exit 1).
split_area "$T/both.sgn" # tlv1, tlv2: signatures by fw1, fw2; tlv3, tlv4: their chains
chain_tlv "$T/short1.tlv" "$T/fw1.pem"         # fails: no intermediate
{ le 3 2; printf abc; le 9 2; printf xy; } >"$T/broken"  # framing error: 9 > 2
tlv 2 "$T/broken" >"$T/broken.tlv"
chain_tlv "$T/dup.tlv" "$T/fw1.pem" "$T/ca.pem" # a second chain for fw1
cp "$T/both.sgn.tlv3" "$T/c1.tlv"                # fw1's good chain
B=("$T/both.sgn.tlv1" "$T/both.sgn.tlv2")
for order in "short1 broken" "broken short1"; do
  set -- $order
  rearea "$T/both.sgn" "$T/o.sgn" "${B[@]}" "$T/$1.tlv" "$T/$2.tlv"
  expect 2 "a length is 0 or runs past" "$S" verify --trust-root "$T/root.pem" "$T/o.sgn"
  expect 2 "a length is 0 or runs past" "$S" verify --trust "$T/fw1.pub.pem" "$T/o.sgn"
  expect 2 "a length is 0 or runs past" "$S" inspect "$T/o.sgn"
done
for order in "short1 junk" "junk short1" "c1 dup" "dup c1" "junk dup"; do
  set -- $order
  rearea "$T/both.sgn" "$T/o.sgn" "${B[@]}" "$T/$1.tlv" "$T/$2.tlv"
  expect 1 "" "$S" verify --trust-root "$T/root.pem" --threshold 2 "$T/o.sgn"
  expect 0 "" "$S" inspect "$T/o.sgn"
done
rearea "$T/both.sgn" "$T/dup.sgn" "${B[@]}" "$T/c1.tlv" "$T/dup.tlv"
expect 1 "certificate chains 1 and 2 certify one key" "$S" verify --trust-root "$T/root.pem" "$T/dup.sgn"
expect 0 "valid" "$S" verify --trust "$T/fw1.pub.pem" "$T/dup.sgn"
"$S" inspect "$T/dup.sgn" >"$T/i.txt" && grep -q 'certificate chain 2 of 2: 2 certificates' "$T/i.txt" \
  && ok || bad "inspect of two chains for one key: $(cat "$T/i.txt")"
expect 2 "a second chain for key" "$S" sign --key "$U;object=fw1" --cert "$T/chain1.pem" \
  --cert "$T/chain1.pem" --version 1.1.0 "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"
expect 0 "" "$S" sign --key "$U;object=fw1" --cert "$T/chain1.pem" --version 1.1.0 "$T/fw.bin" "$T/co.sgn"
cp "$T/co.sgn" "$T/co0.sgn"
expect 2 "does not certify key" "$S" cosign --key "$U;object=other" --cert "$T/chain2.pem" "$T/co.sgn"
cmp -s "$T/co.sgn" "$T/co0.sgn" && ok || bad "a refused cosign changed the envelope"
expect 0 "signature added" "$S" cosign --key "$U;object=fw2" --cert "$T/chain2.pem" "$T/co.sgn"
expect 0 "valid (2 trusted signers)" "$S" verify --trust-root "$T/root.pem" --threshold 2 "$T/co.sgn"
"$S" inspect --json "$T/co.sgn" >"$T/i.json"
[ "$(jq '.certificate_chains | length' "$T/i.json")" = 2 ] && ok || bad "cosign chain: $(cat "$T/i.json")"
# a co-signature without its chain does not count for the root alone
expect 0 "signature added" "$S" cosign --key "$U;object=fw2" "$T/co0.sgn"
expect 1 "not enough distinct trusted signers" "$S" verify --trust-root "$T/root.pem" --threshold 2 \
  "$T/co0.sgn"
expect 0 "valid (2 trusted signers)" "$S" verify --trust-root "$T/root.pem" --trust "$T/fw2.pub.pem" \
  --threshold 2 "$T/co0.sgn"
expect 2 "one --cert per run" "$S" cosign --key "$U;object=other" --cert "$T/chain1.pem" \
  --cert "$T/chain2.pem" "$T/co0.sgn"

# Two-step signing with a certified offline key (openssl holds it): the chain
# is attached when the signature is, at --complete.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/off.key" 2>/dev/null
openssl pkey -in "$T/off.key" -pubout -out "$T/off.pub.pem"
expect 0 "certificate" "$S" pki issue "${C[@]}" --pubkey "$T/off.pub.pem" --profile code-signing \
  --subject "/CN=Offline release key/O=Acme" --validity 365 -o "$T/off.pem"
cat "$T/off.pem" "$T/ca.pem" >"$T/off.chain.pem"
expect 0 "" "$S" sign --prepare --pubkey "$T/off.pub.pem" --version 1.3.0 "$T/fw.bin" "$T/off.req"
"$S" inspect --tbs-out "$T/off.tbs" "$T/off.req" >/dev/null
openssl pkeyutl -sign -inkey "$T/off.key" -in "$T/off.tbs" -out "$T/off.sig"
expect 2 "does not certify the request's key" "$S" sign --complete "$T/off.req" --signature "$T/off.sig" \
  --pubkey "$T/off.pub.pem" --cert "$T/chain1.pem" "$T/off.sgn"
no_output "$T/off.sgn"
expect 2 "one --cert" "$S" sign --complete "$T/off.req" --signature "$T/off.sig" \
  --pubkey "$T/off.pub.pem" --cert "$T/off.chain.pem" --cert "$T/chain1.pem" "$T/off.sgn"
expect 0 "completed" "$S" sign --complete "$T/off.req" --signature "$T/off.sig" \
  --pubkey "$T/off.pub.pem" --cert "$T/off.chain.pem" "$T/off.sgn"
expect 0 "valid (1 trusted signer)" "$S" verify --trust-root "$T/root.pem" "$T/off.sgn"
expect 0 "valid" "$S" verify --trust "$T/off.pub.pem" "$T/off.sgn"
expect 0 "" "$S" sign --prepare --pubkey "$T/off.pub.pem" --format mcuboot --header-size 0x200 \
  --pad-header --version 1.3.0 "$T/fw.bin" "$T/offmcu.req"
"$S" inspect --tbs-out "$T/offmcu.tbs" "$T/offmcu.req" >/dev/null
openssl pkeyutl -sign -inkey "$T/off.key" -in "$T/offmcu.tbs" -out "$T/offmcu.sig"
expect 2 "an MCUboot image carries no certificate chain" "$S" sign --complete "$T/offmcu.req" \
  --signature "$T/offmcu.sig" --pubkey "$T/off.pub.pem" --cert "$T/off.chain.pem" "$T/offmcu.bin"
no_output "$T/offmcu.bin"

# An Ed25519 release key: certified, signs, verifies through the chain.
"$S" hsm keygen --type ed25519 --key "$U;object=fw3" 2>/dev/null
"$S" hsm pubkey --key "$U;object=fw3" -o "$T/fw3.pub.pem" 2>/dev/null
expect 0 "certificate" "$S" pki issue "${C[@]}" --pubkey "$T/fw3.pub.pem" --profile code-signing \
  --subject "/CN=Release 2028 Ed25519/O=Acme" --validity 365 -o "$T/fw3.pem"
openssl verify -x509_strict -CAfile "$T/root.pem" -untrusted "$T/ca.pem" "$T/fw3.pem" >/dev/null 2>&1 \
  && ok || bad "openssl rejects the Ed25519 release certificate"
cat "$T/fw3.pem" "$T/ca.pem" >"$T/chain3.pem"
expect 0 "" "$S" sign --key "$U;object=fw3" --cert "$T/chain3.pem" --version 1.2.0 "$T/fw.bin" "$T/r3.sgn"
expect 0 "valid (1 trusted signer)" "$S" verify --trust-root "$T/root.pem" "$T/r3.sgn"
"$S" verify --trust-root "$T/root.pem" --json "$T/r3.sgn" >"$T/v.json"
[ "$(jq -r '.signatures[0].algorithm' "$T/v.json")" = ed25519 ] && ok || bad "ed25519 json: $(cat "$T/v.json")"

# ---- revocation: revoke the first release certificate
expect 0 "revoked" "$S" pki revoke "${P[@]}" --serial "$(openssl x509 -in "$T/fw1.pem" -noout -serial | cut -d= -f2)" \
  --reason keyCompromise
expect 0 "1 revoked" "$S" pki crl "${C[@]}" -o "$T/ca.crl"
expect 1 "certificate revoked" "$S" verify --trust-root "$T/root.pem" --crl "$T/ca.crl" "$T/r1.sgn"
expect 1 "certificate revoked" "$S" verify --trust-root "$T/root.pem" --crl "$T/ca.crl" "$T/intime.sgn"
"$S" verify --trust-root "$T/root.pem" --crl "$T/ca.crl" --json "$T/r1.sgn" >"$T/v.json" 2>/dev/null || true
[ "$(jq -r .valid "$T/v.json")" = false ] && jq -r .reason "$T/v.json" | grep -q revoked && ok \
  || bad "revoked json: $(cat "$T/v.json")"
expect 0 "valid" "$S" verify --trust-root "$T/root.pem" --crl "$T/ca.crl" "$T/r2.sgn"
openssl verify -crl_check -CAfile "$T/root.pem" -untrusted "$T/ca.pem" -CRLfile "$T/ca.crl" "$T/fw1.pem" \
  >/dev/null 2>&1 && bad "openssl accepts the revoked certificate" || ok
expect 2 "--crl goes with --trust-root" "$S" verify --trust "$T/fw1.pub.pem" --crl "$T/ca.crl" "$T/r1.sgn"

# ---- the code-signing CA itself revoked by the root: every release under it
# fails once the root's CRL is given too
R=(--ca-key "$U;object=root" --ca-cert "$T/root.pem" "${P[@]}")
expect 0 "0 revoked" "$S" pki crl "${R[@]}" -o "$T/root0.crl"
expect 0 "valid" "$S" verify --trust-root "$T/root.pem" --crl "$T/ca.crl" --crl "$T/root0.crl" "$T/r2.sgn"
expect 0 "revoked" "$S" pki revoke "${P[@]}" --serial "$(openssl x509 -in "$T/ca.pem" -noout -serial | cut -d= -f2)" \
  --reason cACompromise
expect 0 "1 revoked" "$S" pki crl "${R[@]}" -o "$T/root1.crl"
expect 1 "certificate revoked" "$S" verify --trust-root "$T/root.pem" --crl "$T/ca.crl" --crl "$T/root1.crl" \
  "$T/r2.sgn"

# ---- a CA certifies only its own kind (rule issuer.profile): the factory CA
# issues no code-signing certificate, the code-signing CA no idevid; and one
# mis-issued outside signet (openssl, with a factory CA's key) fails both
# verify --trust-root and pki verify --profile code-signing
expect 1 "rule issuer.profile" "$S" pki issue --ca-key "$U;object=factory" --ca-cert "$T/factory.pem" \
  "${P[@]}" --pubkey "$T/fw2.pub.pem" --profile code-signing --subject "/CN=Mis-issued/O=Acme" -o "$T/mis.pem"
no_output "$T/mis.pem"
expect 1 "rule issuer.profile" "$S" pki issue "${C[@]}" --pubkey "$T/fw2.pub.pem" --profile idevid \
  --serial-number SN-2 --hw-type 1.3.6.1.4.1.99999.1 --subject /CN=Device -o "$T/mis.pem"
no_output "$T/mis.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/f2.key" 2>/dev/null
softhsm2-util --import "$T/f2.key" --token rel --label factory2 --id f2f2 --pin 1234 >/dev/null
expect 0 "CA" "$S" pki init-ca --key "$U;object=factory2" --issuer-key "$U;object=root" \
  --issuer-cert "$T/root.pem" --profile factory-ca --subject "/CN=Acme Factory CA 2/O=Acme" -o "$T/f2.pem"
openssl req -new -key "$T/off.key" -subj "/CN=Mis-issued/O=Acme" -out "$T/mis.csr"
printf '[v3]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n%s\n' \
  'extendedKeyUsage=codeSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid' >"$T/mis.cnf"
openssl x509 -req -in "$T/mis.csr" -force_pubkey "$T/fw1.pub.pem" -CA "$T/f2.pem" -CAkey "$T/f2.key" \
  -set_serial 0x4a5b6c7d8e9f0a1b2c3d4e5f60718293 -days 30 -extfile "$T/mis.cnf" -extensions v3 \
  -out "$T/mis.pem" 2>/dev/null
openssl verify -x509_strict -purpose any -CAfile "$T/root.pem" -untrusted "$T/f2.pem" "$T/mis.pem" \
  >/dev/null 2>&1 && ok || bad "openssl rejects the mis-issued chain (the test needs it valid as X.509)"
expect 1 "profile code-signing: rule issuer.profile" "$S" pki verify --root "$T/root.pem" \
  --untrusted "$T/f2.pem" --profile code-signing "$T/mis.pem"
expect 0 "" "$S" pki verify --root "$T/root.pem" --untrusted "$T/f2.pem" "$T/mis.pem"
cat "$T/mis.pem" "$T/f2.pem" >"$T/mischain.pem"
expect 0 "" "$S" sign --key "$U;object=fw1" --cert "$T/mischain.pem" --version 1.0.0 "$T/fw.bin" "$T/mis.sgn"
expect 1 "rule issuer.profile" "$S" verify --trust-root "$T/root.pem" "$T/mis.sgn"


# ---- every CA between a release key and the root must be a code-signing CA
# (rule chain.code-signing): a root (here one made with openssl) whose
# general-purpose CA, without a path length limit, made a "code-signing CA"
# below it does not certify releases, though openssl accepts the chain
O="$T/o"; mkdir -p "$O"
for k in root a b; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$O/$k.key" 2>/dev/null
done
cat >"$O/ext.cnf" <<'CNF'
[root]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[a]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[b]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
extendedKeyUsage=codeSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[leaf]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=codeSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
CNF
openssl req -new -x509 -key "$O/root.key" -subj "/CN=Other Root" -days 3650 -config "$O/ext.cnf" \
  -extensions root -out "$O/root.pem" 2>/dev/null
# Each level lives shorter than its issuer (rule validity.nested), with a
# margin: certificates made a second apart must still nest.
declare -A days=([a]=300 [b]=200 [leaf]=100)
ca_sign() { # csr-subject key issuer-cert issuer-key ext serial out [force_pubkey]
  openssl req -new -key "$2" -subj "$1" -out "$O/tmp.csr" -config "$O/ext.cnf" 2>/dev/null
  openssl x509 -req -in "$O/tmp.csr" ${8:+-force_pubkey "$8"} -CA "$3" -CAkey "$4" -set_serial "$6" \
    -days "${days[$5]}" -extfile "$O/ext.cnf" -extensions "$5" -out "$7" 2>/dev/null
}
ca_sign "/CN=General CA" "$O/a.key" "$O/root.pem" "$O/root.key" a 0x11aa22bb33cc44dd55ee66ff77008899 "$O/a.pem"
for top in a root; do # the code-signing CA below the general one, and for contrast below the root
  ca_sign "/CN=Code CA" "$O/b.key" "$O/$top.pem" "$O/$top.key" b 0x21aa22bb33cc44dd55ee66ff77008899 "$O/b-$top.pem"
  ca_sign "/CN=Release/O=Acme" "$O/b.key" "$O/b-$top.pem" "$O/b.key" leaf \
    0x31aa22bb33cc44dd55ee66ff77008899 "$O/leaf-$top.pem" "$T/fw1.pub.pem"
done
cat "$O/leaf-a.pem" "$O/b-a.pem" "$O/a.pem" >"$O/chain-a.pem"
cat "$O/leaf-root.pem" "$O/b-root.pem" >"$O/chain-root.pem"
openssl verify -x509_strict -CAfile "$O/root.pem" -untrusted "$O/b-a.pem" -untrusted "$O/a.pem" \
  "$O/leaf-a.pem" >/dev/null 2>&1 && ok || bad "openssl rejects the chain (the test needs it valid as X.509)"
expect 1 "rule chain.code-signing: CA /CN=General CA (depth 2)" "$S" pki verify --root "$O/root.pem" \
  --untrusted "$O/b-a.pem" --untrusted "$O/a.pem" --profile code-signing "$O/leaf-a.pem"
expect 0 "" "$S" pki verify --root "$O/root.pem" --untrusted "$O/b-root.pem" --profile code-signing \
  "$O/leaf-root.pem"
for top in a root; do
  expect 0 "" "$S" sign --key "$U;object=fw1" --cert "$O/chain-$top.pem" --version 1.0.0 "$T/fw.bin" \
    "$O/$top.sgn"
done
expect 1 "rule chain.code-signing" "$S" verify --trust-root "$O/root.pem" "$O/a.sgn"
expect 0 "valid" "$S" verify --trust-root "$O/root.pem" "$O/root.sgn"

finish

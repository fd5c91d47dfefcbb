#!/usr/bin/env bash
# End to end through the signet binary with a real SoftHSM2 token: keygen of
# every type, sign, verify, inspect, cross-checks with openssl, pkcs11-tool
# and softhsm2-util, and every bad input with its exit code, message and no
# output file.
. "$(dirname "$0")/lib.sh"

new_token release
printf '9999\n' >"$T/wrongpin"
chmod 600 "$T/wrongpin" # PIN files must be private
U="pkcs11:token=release;pin-source=file:$PINFILE"
TYPES="ecdsa-p256 ecdsa-p384 ed25519 rsa-3072 rsa-4096"

# ---- keygen, pubkey, list
for t in $TYPES; do
  expect 0 "generated $t" "$S" hsm keygen --type "$t" --key "$U;object=fw-$t"
  expect 0 "" "$S" hsm pubkey --key "$U;object=fw-$t" -o "$T/$t.pub.pem"
  openssl pkey -pubin -in "$T/$t.pub.pem" -noout 2>/dev/null && ok || bad "openssl rejects $t pubkey"
done
openssl pkey -pubin -in "$T/ecdsa-p384.pub.pem" -text -noout | grep -q 'NIST CURVE: P-384' && ok \
  || bad "p384 pubkey curve"
openssl pkey -pubin -in "$T/rsa-4096.pub.pem" -text -noout | grep -q '4096 bit' && ok \
  || bad "rsa-4096 pubkey size"
expect 2 "exists" "$S" hsm keygen --type ecdsa-p256 --key "$U;object=fw-ecdsa-p256"
expect 2 "--type 'rsa-2048'" "$S" hsm keygen --type rsa-2048 --key "$U;object=x"
SIGNET_PIN=1234 "$S" hsm list --json pkcs11:token=release >"$T/list.json"
[ "$(jq '[.[] | select(.kind == "key")] | length' "$T/list.json")" = 5 ] && ok \
  || bad "hsm list shows $(jq -c . "$T/list.json")"
uri=$(jq -r '.[] | select(.kind == "key" and .label == "fw-ed25519") | .uri' "$T/list.json")
expect 0 "" "$S" hsm pubkey --key "$uri;pin-source=file:$PINFILE" -o "$T/from-list.pub.pem"
cmp -s "$T/from-list.pub.pem" "$T/ed25519.pub.pem" && ok || bad "list URI names another key"
expect 0 "" "$S" hsm list

# private key attributes, read by a tool we did not write
pkcs11-tool --module "$MODULE" --token-label release --pin 1234 --list-objects --type privkey \
  >"$T/objs.txt" 2>/dev/null
grep -q 'Access:.*never extractable' "$T/objs.txt" && ok || bad "keys not never-extractable"
grep -q 'Usage:.*decrypt' "$T/objs.txt" && bad "a private key may decrypt" || ok

# ---- a firmware image, signed by each key alone
head -c 200000 /dev/urandom >"$T/fw.bin"
for t in $TYPES; do
  out="$T/fw-$t.sgn"
  expect 0 "1 signature" "$S" sign --key "$U;object=fw-$t" --version 1.2.3+45 \
    --security-counter 7 --hw-id acme-gw-rev2 "$T/fw.bin" "$out"
  expect 0 "valid" "$S" verify --trust "$T/$t.pub.pem" --hw-id acme-gw-rev2 \
    --min-security-counter 7 "$out"
  "$S" inspect --json "$out" >"$T/i.json"
  P=$(field "$T/i.json" .protected_size)
  N=$(field "$T/i.json" .payload_size)
  L=$(field "$T/i.json" '.signatures[0].signature_size')
  [ "$N" = 200000 ] && ok || bad "payload size $N"
  [ "$(field "$T/i.json" .version)" = "1.2.3+45" ] && ok || bad "version"
  # The payload is stored as is, and its digest is what openssl computes.
  tail -c +$((32 + P + 1)) "$out" | head -c "$N" | cmp -s - "$T/fw.bin" && ok || bad "payload bytes"
  alg=$(field "$T/i.json" .payload_digest.algorithm)
  [ "$(openssl dgst -"$alg" -r "$T/fw.bin" | cut -d' ' -f1)" = "$(field "$T/i.json" .payload_digest.value)" ] \
    && ok || bad "$t payload digest differs from openssl's"
  # openssl verifies the signature over M = the first 32+P bytes (docs/envelope.md §6).
  head -c $((32 + P)) "$out" >"$T/M"
  tail -c +$((32 + P + N + 8 + 4 + 34 + 1)) "$out" | head -c "$L" >"$T/sig"
  case $t in
    ecdsa-p256) v=(openssl dgst -sha256 -verify "$T/$t.pub.pem" -signature "$T/sig" "$T/M") ;;
    ecdsa-p384) v=(openssl dgst -sha384 -verify "$T/$t.pub.pem" -signature "$T/sig" "$T/M") ;;
    ed25519) v=(openssl pkeyutl -verify -pubin -inkey "$T/$t.pub.pem" -rawin -in "$T/M" -sigfile "$T/sig") ;;
    rsa-*) v=(openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32
              -verify "$T/$t.pub.pem" -signature "$T/sig" "$T/M") ;;
  esac
  "${v[@]}" >/dev/null 2>&1 && ok || bad "openssl does not verify the $t signature"
done
[ "$(field "$T/i.json" .payload_digest.algorithm)" = sha256 ] && ok || bad "default digest"
"$S" inspect --json "$T/fw-ecdsa-p384.sgn" | jq -e '.payload_digest.algorithm == "sha384"' >/dev/null \
  && ok || bad "P-384 signs a SHA-384 digest"

# ---- several keys, threshold, JSON naming each signature
keys=()
for t in $TYPES; do keys+=(--key "$U;object=fw-$t"); done
expect 0 "5 signatures" "$S" sign "${keys[@]}" --version 2.0.0 "$T/fw.bin" "$T/all.sgn"
trust=()
for t in $TYPES; do trust+=(--trust "$T/$t.pub.pem"); done
expect 0 "5 trusted signers" "$S" verify "${trust[@]}" --threshold 5 "$T/all.sgn"
expect 0 "" "$S" sign --key "$U;object=fw-ecdsa-p256" --key "$U;object=fw-ed25519" \
  --version 2.0.0 "$T/fw.bin" "$T/two.sgn"
"$S" verify --json --trust "$T/ecdsa-p256.pub.pem" --trust "$T/rsa-3072.pub.pem" "$T/two.sgn" \
  >"$T/v.json" 2>/dev/null && ok || bad "one trusted of two signers is valid at threshold 1"
jq -e '.valid and .valid_signers == 1 and .signatures[0].counted and
       (.signatures[1].status == "untrusted-key") and (.signatures[1].counted | not)' "$T/v.json" \
  >/dev/null && ok || bad "verify --json: $(cat "$T/v.json")"
expect 1 "not enough distinct trusted signers (1 of 2 required)" "$S" verify --threshold 2 \
  --trust "$T/ecdsa-p256.pub.pem" --trust "$T/rsa-3072.pub.pem" "$T/two.sgn"
rc=0; "$S" verify --json --threshold 2 --trust "$T/ecdsa-p256.pub.pem" \
  --trust "$T/rsa-3072.pub.pem" "$T/two.sgn" >"$T/v.json" 2>/dev/null || rc=$?
[ $rc = 1 ] && jq -e '(.valid | not) and .exit_code == 1' "$T/v.json" >/dev/null && ok \
  || bad "verify --json on failure"
expect 2 "more than the 1 trusted keys" "$S" verify --threshold 2 --trust "$T/ed25519.pub.pem" "$T/two.sgn"

# ---- M-of-N: co-signing in place, 2 of 3
A="$U;object=fw-ecdsa-p256"; B="$U;object=fw-ed25519"; C="$U;object=fw-rsa-3072"
T3=(--trust "$T/ecdsa-p256.pub.pem" --trust "$T/ed25519.pub.pem" --trust "$T/rsa-3072.pub.pem")
expect 0 "" "$S" sign --key "$A" --version 5.0.0 "$T/fw.bin" "$T/rel.sgn"
expect 1 "not enough distinct trusted signers (1 of 2 required)" "$S" verify "${T3[@]}" --threshold 2 "$T/rel.sgn"
cp "$T/rel.sgn" "$T/rel1.sgn"
expect 0 "signature added" "$S" cosign --key "$B" "$T/rel.sgn"
expect 0 "2 trusted signers" "$S" verify "${T3[@]}" --threshold 2 "$T/rel.sgn"
expect 2 "already signed" "$S" cosign --key "$B" "$T/rel.sgn"
# M and the payload are untouched: only the signature area grew.
P=$("$S" inspect --json "$T/rel1.sgn" | jq '32 + .protected_size + .payload_size')
cmp -s <(head -c "$P" "$T/rel.sgn") <(head -c "$P" "$T/rel1.sgn") && ok || bad "cosign changed M or payload"
# an untrusted extra signature neither helps nor breaks
expect 0 "" "$S" cosign --key "$U;object=fw-ecdsa-p384" "$T/rel.sgn"
expect 0 "2 trusted signers" "$S" verify "${T3[@]}" --threshold 2 "$T/rel.sgn"
expect 1 "(2 of 3 required)" "$S" verify "${T3[@]}" --threshold 3 "$T/rel.sgn"
expect 0 "" "$S" cosign --key "$C" "$T/rel.sgn"
expect 0 "3 trusted signers" "$S" verify "${T3[@]}" --threshold 3 "$T/rel.sgn"
expect 2 "not a signet envelope" "$S" cosign --key "$A" "$T/fw.bin"
cp "$T/rel1.sgn" "$T/rel2.sgn"
expect 3 "wrong PIN" "$S" cosign --key "pkcs11:token=release;object=fw-ed25519;pin-source=file:$T/wrongpin" "$T/rel2.sgn"
cmp -s "$T/rel1.sgn" "$T/rel2.sgn" && ok || bad "failed cosign changed the file"
compgen -G "$T/rel2.sgn.tmp-*" >/dev/null && bad "cosign left a temp file" || ok

# ---- SBOM binding
cp "$SIGNET_SOURCE_DIR/fuzz/corpus/sbom/cyclonedx.json" "$T/bom.json"
cp "$SIGNET_SOURCE_DIR/fuzz/corpus/sbom/spdx.json" "$T/spdx.json"
expect 0 "" "$S" sign --key "$B" --version 1.0.0 --sbom "$T/bom.json" "$T/fw.bin" "$T/sbom.sgn"
expect 0 "valid" "$S" verify --trust "$T/ed25519.pub.pem" --sbom "$T/bom.json" "$T/sbom.sgn"
"$S" inspect --json "$T/sbom.sgn" | jq -e --arg h "$(sha256sum "$T/bom.json" | cut -d' ' -f1)" \
  '.sbom.kind == "cyclonedx" and .sbom.sha256 == $h' >/dev/null && ok || bad "inspect sbom"
"$S" inspect "$T/sbom.sgn" | grep -q "^sbom:  *cyclonedx sha256 " && ok || bad "inspect sbom text"
expect 1 "is not the SBOM bound to this envelope" "$S" verify --trust "$T/ed25519.pub.pem" \
  --sbom "$T/spdx.json" "$T/sbom.sgn"
expect 1 "no SBOM is bound" "$S" verify --trust "$T/ecdsa-p256.pub.pem" --sbom "$T/bom.json" \
  "$T/fw-ecdsa-p256.sgn"
expect 0 "" "$S" sign --key "$B" --version 1.0.0 --sbom "$T/spdx.json" "$T/fw.bin" "$T/spdx.sgn"
"$S" inspect --json "$T/spdx.sgn" | jq -e '.sbom.kind == "spdx"' >/dev/null && ok || bad "spdx kind"
printf '{"bomFormat":"CycloneDX","specVersion":"1.2"}' >"$T/old.json"
expect 2 "specVersion \"1.2\" is not supported" "$S" sign --key "$B" --version 1.0.0 \
  --sbom "$T/old.json" "$T/fw.bin" "$T/x.sgn"
printf '<bom/>' >"$T/bom.xml"
expect 2 "$T/bom.xml: not valid JSON: line 1, column 1" "$S" sign --key "$B" --version 1.0.0 \
  --sbom "$T/bom.xml" "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"

# ---- two-step (offline) signing: openssl pkeyutl on "another machine" signs
for kt in "EC -pkeyopt ec_paramgen_curve:P-256" "EC -pkeyopt ec_paramgen_curve:P-384" ED25519 \
  "RSA -pkeyopt rsa_keygen_bits:3072"; do
  name=$(printf '%s' "$kt" | tr -cd 'A-Za-z0-9' | head -c 40)
  # shellcheck disable=SC2086
  openssl genpkey -algorithm $kt -out "$T/off-$name.key" 2>/dev/null
  openssl pkey -in "$T/off-$name.key" -pubout -out "$T/off-$name.pub"
  req="$T/off-$name.req"
  expect 0 "prepared signing request" "$S" sign --prepare --pubkey "$T/off-$name.pub" \
    --version 7.0.0 --security-counter 4 "$T/fw.bin" "$req"
  "$S" inspect "$req" >"$T/req.txt" && ok || bad "inspect request"
  grep -q "signed message:" "$T/req.txt" && grep -q "security counter: 4" "$T/req.txt" && ok \
    || bad "request inspect text: $(cat "$T/req.txt")"
  expect 0 "" "$S" inspect --tbs-out "$T/tbs" "$req"
  cmd=$("$S" inspect --json "$req" | jq -r .sign_command)
  cmd=${cmd//KEY.pem/$T/off-$name.key}; cmd=${cmd//TBS/$T/tbs}; cmd=${cmd//SIG/$T/sig}
  $cmd 2>/dev/null && ok || bad "offline sign command failed: $cmd"
  expect 0 "completed" "$S" sign --complete "$req" --signature "$T/sig" --pubkey "$T/off-$name.pub" \
    "$T/off-$name.sgn"
  expect 0 "valid" "$S" verify --trust "$T/off-$name.pub" --min-security-counter 4 "$T/off-$name.sgn"
  [ "$("$S" inspect --json "$T/off-$name.sgn" | jq -r .payload_size)" = 200000 ] && ok || bad "payload"
done
# a signature over another request is refused, with nothing written
expect 0 "" "$S" sign --prepare --pubkey "$T/off-ED25519.pub" --version 7.0.1 "$T/fw.bin" "$T/other.req"
expect 1 "signature does not verify over $T/other.req" "$S" sign --complete "$T/other.req" \
  --signature "$T/sig" --pubkey "$T/off-ED25519.pub" "$T/x.sgn"
no_output "$T/x.sgn"
expect 1 "not the key $T/other.req was prepared for" "$S" sign --complete "$T/other.req" \
  --signature "$T/sig" --pubkey "$T/ed25519.pub.pem" "$T/x.sgn"
no_output "$T/x.sgn"
# raw r||s (as PKCS#11 CKM_ECDSA returns it), made here from openssl's DER signature
K256="$T/off-ECpkeyoptecparamgencurveP256"
expect 0 "" "$S" sign --prepare --pubkey "$K256.pub" --version 7.1.0 "$T/fw.bin" "$T/p11.req"
expect 0 "" "$S" inspect --tbs-out "$T/p11.tbs" "$T/p11.req"
openssl pkeyutl -sign -inkey "$K256.key" -in "$T/p11.tbs" -out "$T/p11.der"
hex=$(openssl asn1parse -inform DER -in "$T/p11.der" | awk -F: '/INTEGER/ {printf "%064s", $NF}' | tr ' ' 0)
printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')" >"$T/p11.sig"
[ "$(stat -c %s "$T/p11.sig")" = 64 ] && ok || bad "raw signature is $(stat -c %s "$T/p11.sig") bytes"
expect 1 "wrong --signature-format" "$S" sign --complete "$T/p11.req" --signature "$T/p11.sig" \
  --pubkey "$K256.pub" "$T/x.sgn"
expect 0 "" "$S" sign --complete "$T/p11.req" --signature "$T/p11.sig" --signature-format raw \
  --pubkey "$K256.pub" "$T/p11.sgn"
expect 0 "valid" "$S" verify --trust "$K256.pub" "$T/p11.sgn"
# damaged requests
cp "$T/p11.req" "$T/bad.req"; printf 'X' | dd of="$T/bad.req" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect 2 "payload does not match its digest (damaged)" "$S" sign --complete "$T/bad.req" \
  --signature "$T/p11.sig" --signature-format raw --pubkey "$K256.pub" "$T/x.sgn"
head -c 300 "$T/p11.req" >"$T/short.req"
expect 2 "truncated" "$S" inspect "$T/short.req"
expect 2 "--prepare needs --pubkey" "$S" sign --prepare --key "$A" --version 1.0.0 "$T/fw.bin" "$T/x.req"
expect 2 "--complete needs --signature and --pubkey" "$S" sign --complete "$T/p11.req" "$T/x.sgn"
no_output "$T/x.sgn"

# ---- MCUboot images through the CLI, against imgtool's reference images
V="$SIGNET_SOURCE_DIR/tests/vectors/mcuboot"
softhsm2-util --import "$V/test-ed25519.key.pem" --token release --label mcu-ed25519 --id e0e0 \
  --pin 1234 >/dev/null
softhsm2-util --import "$V/test-ecdsa-p256.key.pem" --token release --label mcu-p256 --id e0e1 \
  --pin 1234 >/dev/null
MO=(--format mcuboot --header-size 0x200 --pad-header --slot-size 0x40000 --align 4
    --version 1.2.3+4 --security-counter 7)
expect 0 "MCUboot image" "$S" sign "${MO[@]}" --key "$U;object=mcu-ed25519" "$V/input.bin" "$T/mcu-ed.bin"
cmp -s "$T/mcu-ed.bin" "$V/ed25519.signed.bin" && ok || bad "Ed25519 MCUboot image differs from imgtool's"
expect 0 "" "$S" sign --format mcuboot --header-size 0x400 --pad-header --slot-size 0x20000 --align 8 \
  --version 0.9.0 --pad --confirm --key "$U;object=mcu-ed25519" "$V/input.bin" "$T/mcu-pad.bin"
cmp -s "$T/mcu-pad.bin" "$V/ed25519.padded-confirmed.bin" && ok || bad "padded image differs from imgtool's"
expect 0 "" "$S" sign "${MO[@]}" --key "$U;object=mcu-p256" "$V/input.bin" "$T/mcu-p256.bin"
expect 0 "valid MCUboot image" "$S" verify --trust "$V/test-ecdsa-p256.pub.pem" --min-security-counter 7 \
  "$T/mcu-p256.bin"
for k in ed25519 ecdsa-p256 ecdsa-p384 rsa-3072; do
  expect 0 "valid MCUboot image" "$S" verify --format mcuboot --trust "$V/test-$k.pub.pem" "$V/$k.signed.bin"
done
expect 1 "no signature by a trusted key" "$S" verify --trust "$V/test-ed25519.pub.pem" "$V/ecdsa-p256.signed.bin"
expect 1 "security counter below the minimum (7 < 8)" "$S" verify --trust "$V/test-ed25519.pub.pem" \
  --min-security-counter 8 "$V/ed25519.signed.bin"
"$S" verify --json --trust "$V/test-ed25519.pub.pem" "$V/ed25519.signed.bin" 2>/dev/null \
  | jq -e '.valid and .format == "mcuboot" and .signatures[0].status == "valid"' >/dev/null && ok \
  || bad "mcuboot verify --json"
"$S" inspect "$V/ed25519.padded-confirmed.bin" | grep -q "image_ok set" && ok || bad "mcuboot inspect"
"$S" inspect --json "$V/ecdsa-p384.signed.bin" | jq -e '.digest.algorithm == "sha384" and
  .security_counter == 7' >/dev/null && ok || bad "mcuboot inspect --json"
cp "$V/ed25519.signed.bin" "$T/mcu.bin"
flip "$T/mcu.bin" 1000
expect 1 "" "$S" verify --trust "$V/test-ed25519.pub.pem" "$T/mcu.bin.flipped"
# two-step MCUboot signing: the vectors' private keys sign offline with openssl pkeyutl; with
# Ed25519 (deterministic) the completed image is imgtool's, byte for byte
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
expect 0 "prepared signing request" "$S" sign --prepare --pubkey "$V/test-ed25519.pub.pem" "${MO[@]}" \
  "$V/input.bin" "$T/mcu-ed.req"
"$S" inspect "$T/mcu-ed.req" >"$T/req.txt" && grep -q "for an MCUboot image" "$T/req.txt" \
  && grep -q "security counter: 7" "$T/req.txt" && grep -q "so use -rawin" "$T/req.txt" && ok \
  || bad "MCUboot request inspect text: $(cat "$T/req.txt")"
"$S" inspect --json "$T/mcu-ed.req" | jq -e '.image_format == "mcuboot" and .signed_bytes == 32 and
  .mcuboot.version == "1.2.3+4" and .mcuboot.security_counter == 7 and .mcuboot.header_size == 512 and
  .mcuboot.image_size == 65536 and .mcuboot.digest.value == .signed_digest' >/dev/null && ok \
  || bad "MCUboot request inspect --json: $("$S" inspect --json "$T/mcu-ed.req")"
expect 0 "" "$S" inspect --tbs-out "$T/mcu-ed.tbs" "$T/mcu-ed.req"
[ "$(hexof "$T/mcu-ed.tbs")" = "$("$S" inspect --json "$V/ed25519.signed.bin" | jq -r .digest.value)" ] \
  && ok || bad "--tbs-out of an MCUboot request is not imgtool's image digest"
openssl pkeyutl -sign -rawin -inkey "$V/test-ed25519.key.pem" -in "$T/mcu-ed.tbs" -out "$T/mcu-ed.sig"
expect 0 "completed" "$S" sign --complete "$T/mcu-ed.req" --signature "$T/mcu-ed.sig" \
  --pubkey "$V/test-ed25519.pub.pem" "$T/mcu-ed-2step.bin"
cmp -s "$T/mcu-ed-2step.bin" "$V/ed25519.signed.bin" && ok || bad "two-step Ed25519 image differs from imgtool's"
expect 0 "" "$S" sign --prepare --pubkey "$V/test-ed25519.pub.pem" --format mcuboot --header-size 0x400 \
  --pad-header --slot-size 0x20000 --align 8 --version 0.9.0 --pad --confirm "$V/input.bin" "$T/mcu-pad.req"
expect 0 "" "$S" inspect --tbs-out "$T/mcu-pad.tbs" "$T/mcu-pad.req"
openssl pkeyutl -sign -rawin -inkey "$V/test-ed25519.key.pem" -in "$T/mcu-pad.tbs" -out "$T/mcu-pad.sig"
expect 0 "completed" "$S" sign --complete "$T/mcu-pad.req" --signature "$T/mcu-pad.sig" \
  --pubkey "$V/test-ed25519.pub.pem" "$T/mcu-pad-2step.bin"
cmp -s "$T/mcu-pad-2step.bin" "$V/ed25519.padded-confirmed.bin" && ok \
  || bad "two-step padded image differs from imgtool's"
# ECDSA and RSA-PSS: random nonce/salt, so verified rather than compared; the command is inspect's
for k in ecdsa-p256 ecdsa-p384 rsa-3072; do
  expect 0 "prepared signing request" "$S" sign --prepare --pubkey "$V/test-$k.pub.pem" "${MO[@]}" \
    "$V/input.bin" "$T/mcu-$k.req"
  expect 0 "" "$S" inspect --tbs-out "$T/mcu-$k.tbs" "$T/mcu-$k.req"
  want=$([ "$k" = ecdsa-p384 ] && echo 48 || echo 32)
  [ "$(stat -c %s "$T/mcu-$k.tbs")" = "$want" ] && ok || bad "$k: --tbs-out is not the $want-byte digest"
  cmd=$("$S" inspect --json "$T/mcu-$k.req" | jq -r .sign_command)
  cmd=${cmd//KEY.pem/$V/test-$k.key.pem}; cmd=${cmd//TBS/$T/mcu-$k.tbs}; cmd=${cmd//SIG/$T/mcu-$k.sig}
  $cmd 2>/dev/null && ok || bad "offline sign command failed: $cmd"
  expect 0 "completed" "$S" sign --complete "$T/mcu-$k.req" --signature "$T/mcu-$k.sig" \
    --pubkey "$V/test-$k.pub.pem" "$T/mcu-$k-2step.bin"
  expect 0 "valid MCUboot image" "$S" verify --format mcuboot --trust "$V/test-$k.pub.pem" \
    --min-security-counter 7 "$T/mcu-$k-2step.bin"
done
# a raw r||s P-256 signature (CKM_ECDSA's form) goes into the image as DER
hex=$(openssl asn1parse -inform DER -in "$T/mcu-ecdsa-p256.sig" | awk -F: '/INTEGER/ {printf "%064s", $NF}' | tr ' ' 0)
printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')" >"$T/mcu-p256.raw"
expect 0 "completed" "$S" sign --complete "$T/mcu-ecdsa-p256.req" --signature "$T/mcu-p256.raw" \
  --signature-format raw --pubkey "$V/test-ecdsa-p256.pub.pem" "$T/mcu-p256-raw.bin"
expect 0 "valid MCUboot image" "$S" verify --trust "$V/test-ecdsa-p256.pub.pem" "$T/mcu-p256-raw.bin"
# a signature over another request, or the wrong key: exit 1 and nothing written
expect 0 "" "$S" sign --prepare --pubkey "$V/test-ed25519.pub.pem" --format mcuboot --header-size 0x200 \
  --pad-header --version 1.2.4 "$V/input.bin" "$T/mcu-other.req"
expect 1 "signature does not verify over $T/mcu-other.req" "$S" sign --complete "$T/mcu-other.req" \
  --signature "$T/mcu-ed.sig" --pubkey "$V/test-ed25519.pub.pem" "$T/x.bin"
no_output "$T/x.bin"
expect 1 "signature does not verify" "$S" sign --complete "$T/mcu-ecdsa-p256.req" \
  --signature "$T/mcu-ecdsa-p384.sig" --pubkey "$V/test-ecdsa-p256.pub.pem" "$T/x.bin"
no_output "$T/x.bin"
expect 1 "not the key $T/mcu-ed.req was prepared for" "$S" sign --complete "$T/mcu-ed.req" \
  --signature "$T/mcu-ed.sig" --pubkey "$V/test-ecdsa-p256.pub.pem" "$T/x.bin"
no_output "$T/x.bin"
# damaged requests: exit 2 and nothing written (image byte, parameter block, image header)
flip "$T/mcu-ed.req" 5000
expect 2 "request header does not match its body (damaged)" "$S" sign --complete "$T/mcu-ed.req.flipped" \
  --signature "$T/mcu-ed.sig" --pubkey "$V/test-ed25519.pub.pem" "$T/x.bin"
no_output "$T/x.bin"
expect 2 "damaged" "$S" inspect "$T/mcu-ed.req.flipped"
flip "$T/mcu-ed.req" $((104 + 25))
expect 2 "MCUboot parameters: reserved bytes not zero" "$S" sign --complete "$T/mcu-ed.req.flipped" \
  --signature "$T/mcu-ed.sig" --pubkey "$V/test-ed25519.pub.pem" "$T/x.bin"
flip "$T/mcu-ed.req" $((104 + 32 + 12))
expect 2 "image in the request" "$S" sign --complete "$T/mcu-ed.req.flipped" \
  --signature "$T/mcu-ed.sig" --pubkey "$V/test-ed25519.pub.pem" "$T/x.bin"
head -c 3000 "$T/mcu-ed.req" >"$T/mcu-short.req"
expect 2 "truncated" "$S" sign --complete "$T/mcu-short.req" --signature "$T/mcu-ed.sig" \
  --pubkey "$V/test-ed25519.pub.pem" "$T/x.bin"
no_output "$T/x.bin"
expect 2 "rsa-4096 keys cannot sign MCUboot images" "$S" sign --prepare --pubkey "$T/rsa-4096.pub.pem" \
  "${MO[@]}" "$V/input.bin" "$T/x.req"
expect 2 "--prepare needs --pubkey and no --key" "$S" sign --prepare --pubkey "$V/test-ed25519.pub.pem" \
  --key "$U;object=mcu-ed25519" "${MO[@]}" "$V/input.bin" "$T/x.req"
expect 2 "--complete takes only" "$S" sign --complete "$T/mcu-pad.req" --format mcuboot \
  --signature "$T/mcu-pad.sig" --pubkey "$V/test-ed25519.pub.pem" "$T/x.bin"
no_output "$T/x.req"
no_output "$T/x.bin"
expect 2 "needs --header-size" "$S" sign --format mcuboot --key "$U;object=mcu-ed25519" --version 1.0.0 \
  "$V/input.bin" "$T/x.bin"
expect 2 "exactly one --key" "$S" sign "${MO[@]}" --key "$U;object=mcu-ed25519" --key "$U;object=mcu-p256" \
  "$V/input.bin" "$T/x.bin"
expect 2 "need --format mcuboot" "$S" sign --header-size 0x200 --key "$B" --version 1.0.0 "$T/fw.bin" "$T/x.bin"
expect 2 "" "$S" sign --format mcuboot --header-size 0x200 --pad-header --slot-size 0x1000 \
  --key "$U;object=mcu-ed25519" --version 1.0.0 "$V/input.bin" "$T/x.bin"
expect 2 "for signet envelopes" "$S" verify --trust "$V/test-ed25519.pub.pem" --threshold 1 --hw-id x \
  "$V/ed25519.signed.bin"
no_output "$T/x.bin"

# ---- policy failures (exit 1)
E="$T/fw-ecdsa-p256.sgn"
P256="$T/ecdsa-p256.pub.pem"
expect 1 "no valid signature by a trusted key" "$S" verify --trust "$T/ed25519.pub.pem" "$E"
expect 1 "hardware id does not match" "$S" verify --trust "$P256" --hw-id acme-gw-rev3 "$E"
expect 1 "security counter below the minimum (7 < 8)" "$S" verify --trust "$P256" \
  --min-security-counter 8 "$E"
expect 1 "hardware id required but absent" "$S" verify --trust "$P256" --hw-id x "$T/all.sgn"

# ---- damaged envelopes
size=$(stat -c %s "$E")
head -c $((size - 1)) "$E" >"$T/trunc.sgn"
expect 2 "truncated" "$S" verify --trust "$P256" "$T/trunc.sgn"
expect 2 "truncated" "$S" inspect "$T/trunc.sgn"
head -c 20 "$E" >"$T/short.sgn"
expect 2 "$T/short.sgn: truncated" "$S" verify --trust "$P256" "$T/short.sgn"
{ cat "$E"; printf 'X'; } >"$T/long.sgn"
expect 2 "trailing bytes after the signature area" "$S" verify --trust "$P256" "$T/long.sgn"
head -c 4096 /dev/urandom >"$T/garbage.sgn"
expect 2 "not a signet envelope" "$S" verify --trust "$P256" "$T/garbage.sgn"
expect 2 "not a signet envelope" "$S" inspect "$T/fw.bin"
P=$("$S" inspect --json "$E" | jq .protected_size)
flip "$E" $((32 + P + 1000))   # payload
expect 1 "payload does not match its digest" "$S" verify --trust "$P256" "$E.flipped"
flip "$E" 40                   # a protected field value
expect_any() { # exit 1 or 2, never 0
  local rc=0; "$@" >/dev/null 2>&1 || rc=$?
  [ $rc = 1 ] || [ $rc = 2 ] && ok || bad "exit $rc for $*"
}
expect_any "$S" verify --trust "$P256" "$E.flipped"
flip "$E" $((size - 3))        # the signature
expect 1 "no valid signature" "$S" verify --trust "$P256" "$E.flipped"
flip "$E" 0
expect 2 "bad magic" "$S" verify --trust "$P256" "$E.flipped"

# ---- usage errors and missing files
expect 2 "--version is required" "$S" sign --key "$U;object=fw-ed25519" "$T/fw.bin" "$T/x.sgn"
expect 2 "expected X.Y.Z" "$S" sign --key "$U;object=fw-ed25519" --version 1.2 "$T/fw.bin" "$T/x.sgn"
expect 2 "--key is required" "$S" sign --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
expect 2 "expected IN and OUT" "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 "$T/fw.bin"
expect 2 "unknown or incomplete option '--pin'" "$S" sign --pin 1234 --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
expect 2 "$T/nope.bin" "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 "$T/nope.bin" "$T/x.sgn"
no_output "$T/x.sgn"
expect 2 "$T/nope.pem" "$S" verify --trust "$T/nope.pem" "$E"
head -c 300 /dev/urandom >"$T/notakey.pem"
expect 2 "$T/notakey.pem: not a PEM or DER public key" "$S" verify --trust "$T/notakey.pem" "$E"
expect 2 "unknown command" "$S" frobnicate
expect 2 "hardware id 'a b'" "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 --hw-id "a b" \
  "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"
for c in sign cosign verify inspect hsm help; do expect 0 "" "$S" "$c" --help; done
"$S" --version | grep -q '^signet [0-9]' && ok || bad "--version"

# ---- HSM failures: exit 3 (environment) or 2 (a key that is not there), never an output file
expect 3 "wrong PIN" "$S" sign --key "pkcs11:token=release;object=fw-ed25519;pin-source=file:$T/wrongpin" \
  --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"
expect 3 "token" "$S" sign --key "pkcs11:token=nosuch;object=k;pin-source=file:$PINFILE" \
  --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
expect 3 "$T/nomodule.so" "$S" sign --module "$T/nomodule.so" --key "$U;object=fw-ed25519" \
  --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
expect 2 "not found" "$S" sign --key "$U;object=no-such-key" --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
expect 2 "pin-value" "$S" sign --key "pkcs11:token=release;object=fw-ed25519;pin-value=1234" \
  --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
expect 3 "PIN" "$S" sign --key "pkcs11:token=release;object=fw-ed25519" --version 1.0.0 \
  "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"
SIGNET_PIN=1234 expect 0 "" "$S" sign --key "pkcs11:token=release;object=fw-ed25519" \
  --version 1.0.0 "$T/fw.bin" "$T/envpin.sgn"
expect 3 "no PKCS#11 module" env -u SIGNET_PKCS11_MODULE "$S" sign --key "$U;object=fw-ed25519" \
  --version 1.0.0 "$T/fw.bin" "$T/y.sgn"
no_output "$T/y.sgn"

# ---- keys made by tools we did not write
pkcs11-tool --module "$MODULE" --token-label release --login --pin 1234 --keypairgen \
  --key-type EC:prime256v1 --label p11tool-p256 --id 7001 >/dev/null 2>&1
expect 0 "" "$S" sign --key "$U;object=p11tool-p256" --version 1.0.0 "$T/fw.bin" "$T/p11.sgn"
expect 0 "" "$S" hsm pubkey --key "$U;object=p11tool-p256" -o "$T/p11.pub.pem"
expect 0 "valid" "$S" verify --trust "$T/p11.pub.pem" "$T/p11.sgn"
for kt in ed25519 "EC -pkeyopt ec_paramgen_curve:P-384"; do
  # shellcheck disable=SC2086
  openssl genpkey -algorithm $kt -out "$T/imp.key" 2>/dev/null
  label="imported-${kt%% *}"
  softhsm2-util --import "$T/imp.key" --token release --label "$label" --id "$(printf '%04x' $RANDOM)" \
    --pin 1234 >/dev/null
  openssl pkey -in "$T/imp.key" -pubout -out "$T/imp.pub.pem"
  expect 0 "" "$S" sign --key "$U;object=$label" --version 1.0.0 "$T/fw.bin" "$T/imp.sgn"
  expect 0 "valid" "$S" verify --trust "$T/imp.pub.pem" "$T/imp.sgn"
done
pkcs11-tool --module "$MODULE" --token-label release --login --pin 1234 --keypairgen \
  --key-type rsa:2048 --label rsa-2048 --id 7002 >/dev/null 2>&1
expect 2 "unsupported key type" "$S" sign --key "$U;object=rsa-2048" --version 1.0.0 "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"

# ---- inputs: Intel HEX, S-record and ELF made by objcopy, load address from the input
if command -v arm-none-eabi-gcc >/dev/null; then
  printf 'void _start(void){for(;;);}\nconst int table[64] = {1,2,3};\n' >"$T/app.c"
  arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb -nostdlib -Os -Wl,-Ttext=0x08004000 \
    "$T/app.c" -o "$T/app.elf"
  arm-none-eabi-objcopy -O ihex "$T/app.elf" "$T/app.hex"
  arm-none-eabi-objcopy -O srec "$T/app.elf" "$T/app.srec"
  arm-none-eabi-objcopy -O binary "$T/app.elf" "$T/app.bin"
  # objcopy -O binary fills gaps inside an ELF segment with its zero bytes; HEX and
  # SREC leave those bytes out, so signet pads them: with 0 they must match exactly.
  for f in app.elf app.hex app.srec; do
    expect 0 "" "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 --pad-byte 0 "$T/$f" "$T/$f.sgn"
    "$S" inspect --json "$T/$f.sgn" >"$T/i.json"
    [ "$(field "$T/i.json" .load_addr)" = 0x08004000 ] && ok || bad "$f load address $(field "$T/i.json" .load_addr)"
    P=$(field "$T/i.json" .protected_size)
    tail -c +$((32 + P + 1)) "$T/$f.sgn" | head -c "$(stat -c %s "$T/app.bin")" | cmp -s - "$T/app.bin" \
      && ok || bad "$f payload differs from objcopy -O binary"
  done
  expect 0 "" "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 --load-addr 0x10000 \
    "$T/app.hex" "$T/hex2.sgn"
  [ "$("$S" inspect --json "$T/hex2.sgn" | jq -r .load_addr)" = 0x00010000 ] && ok || bad "--load-addr"
  # a bad checksum on line 2
  sed '2s/..$/00/' "$T/app.hex" >"$T/badsum.hex"
  grep -q "$(sed -n 2p "$T/app.hex")" "$T/badsum.hex" && cp "$T/app.hex" "$T/badsum.hex" && sed -i '2s/..$/FF/' "$T/badsum.hex"
  expect 2 "line 2" "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 "$T/badsum.hex" "$T/x.sgn"
  sed '2s/..$/00/' "$T/app.srec" >"$T/badsum.srec"
  cmp -s "$T/badsum.srec" "$T/app.srec" && sed -i '2s/..$/FF/' "$T/badsum.srec"
  expect 2 "line 2" "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 "$T/badsum.srec" "$T/x.sgn"
  no_output "$T/x.sgn"
fi
# an ELF32 with two PT_LOAD segments that overlap (0x1000+0x20 and 0x1010+0x20)
le32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
le16() { printf "$(printf '\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)))"; }
phdr() { le32 1; le32 "$1"; le32 "$2"; le32 "$2"; le32 32; le32 32; le32 5; le32 4; }
{
  printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000'
  le16 2; le16 40; le32 1; le32 0x1000; le32 52; le32 0; le32 0
  le16 52; le16 32; le16 2; le16 40; le16 0; le16 0
  phdr 116 0x1000; phdr 148 0x1010
  head -c 64 /dev/zero | tr '\0' 'A'
} >"$T/overlap.elf"
expect 2 "overlap" "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 "$T/overlap.elf" "$T/x.sgn"
no_output "$T/x.sgn"

# ---- reproducible: same input, options, SOURCE_DATE_EPOCH and Ed25519 key
for n in 1 2; do
  SOURCE_DATE_EPOCH=1700000000 "$S" sign --key "$U;object=fw-ed25519" --version 3.1.4 \
    --security-counter 9 --hw-id board-a "$T/fw.bin" "$T/repro$n.sgn" 2>/dev/null
done
cmp -s "$T/repro1.sgn" "$T/repro2.sgn" && ok || bad "not reproducible"
"$S" inspect --json "$T/repro1.sgn" | jq -e '.build_time == 1700000000' >/dev/null && ok \
  || bad "SOURCE_DATE_EPOCH not honoured"
SOURCE_DATE_EPOCH=yesterday expect 2 "SOURCE_DATE_EPOCH" "$S" sign --key "$U;object=fw-ed25519" \
  --version 1.0.0 "$T/fw.bin" "$T/x.sgn"

# ---- an interrupted run leaves no output and no temp file: SIGTERM, then
# kill -9, once the output is being written (SIGINT is ignored by background
# jobs of a script). The temp is unnamed (O_TMPFILE): it shows only as a
# deleted file among the process's descriptors.
writing_temp() { # pid dir: the process has an unnamed temp open in dir
  local fd
  for fd in /proc/"$1"/fd/*; do
    case $(readlink "$fd" 2>/dev/null) in "$2"/\#*" (deleted)") return 0 ;; esac
  done
  return 1
}
truncate -s 1G "$T/big.bin"
for sig in TERM KILL; do
  mkdir -p "$T/int"
  "$S" sign --key "$U;object=fw-ecdsa-p256" --version 1.0.0 "$T/big.bin" "$T/int/big.sgn" \
    2>/dev/null &
  pid=$!
  for _ in $(seq 1000); do writing_temp $pid "$T/int" && break; sleep 0.01; done
  kill -$sig $pid 2>/dev/null || true
  rc=0; wait $pid 2>/dev/null || rc=$?
  want=$((128 + $(kill -l $sig)))
  if [ $rc = 0 ]; then
    bad "signing 1 GiB finished before SIG$sig: the interrupt test did not interrupt"
  else
    [ $rc = $want ] && ok || bad "signet sign ended with $rc on SIG$sig, not $want"
    no_output "$T/int/big.sgn"
    [ -z "$(ls -A "$T/int")" ] && ok || bad "SIG$sig left files: $(ls -A "$T/int")"
  fi
  rm -rf "$T/int"
done
rm -f "$T/big.bin"

# ---- named temps of dead processes are swept by the next run in the same
# directory; a live process's temp, another name's and a symlink stay
mkdir -p "$T/sw"
sleep 30 & live=$!
bash -c 'exit 0' & dead=$!; wait $dead
printf x >"$T/sw/.a.sgn.signet-tmp-$dead-abc123"
printf x >"$T/sw/.a.sgn.signet-tmp-$live-abc123"
printf x >"$T/sw/.a.sgn.tmp-$dead-abc123"
ln -s "$T/sw/victim" "$T/sw/.b.sgn.signet-tmp-$dead-abc123"
printf keep >"$T/sw/victim"
"$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 "$T/fw.bin" "$T/sw/a.sgn" && ok \
  || bad "sign into the sweep directory failed"
[ ! -e "$T/sw/.a.sgn.signet-tmp-$dead-abc123" ] && ok || bad "a dead process's temp was not swept"
[ -e "$T/sw/.a.sgn.signet-tmp-$live-abc123" ] && ok || bad "a live process's temp was swept"
[ -e "$T/sw/.a.sgn.tmp-$dead-abc123" ] && ok || bad "a file not named by signet was swept"
[ -L "$T/sw/.b.sgn.signet-tmp-$dead-abc123" ] && [ "$(cat "$T/sw/victim")" = keep ] && ok \
  || bad "a symlink named like a temp was followed or removed"
kill $live 2>/dev/null; wait $live 2>/dev/null || true

# ---- outputs: mode 0666 less the umask for a new file, the old mode kept
# when replacing one; a symlink at the output name is replaced, not written
# through
mkdir -p "$T/mode"
for m in 022 077 002; do
  (umask $m && "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 "$T/fw.bin" \
    "$T/mode/u$m.sgn")
  want=$(printf '%o' $((0666 & ~0$m)))
  got=$(stat -c %a "$T/mode/u$m.sgn")
  [ "$got" = "$want" ] && ok || bad "umask $m: output mode $got, wanted $want"
done
printf old >"$T/mode/keep.sgn"; chmod 640 "$T/mode/keep.sgn"
(umask 022 && "$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 "$T/fw.bin" \
  "$T/mode/keep.sgn")
[ "$(stat -c %a "$T/mode/keep.sgn")" = 640 ] && ok || bad "overwriting changed the mode"
printf precious >"$T/mode/victim"
ln -s "$T/mode/victim" "$T/mode/link.sgn"
"$S" sign --key "$U;object=fw-ed25519" --version 1.0.0 "$T/fw.bin" "$T/mode/link.sgn"
[ "$(cat "$T/mode/victim")" = precious ] && [ ! -L "$T/mode/link.sgn" ] && ok \
  || bad "a symlink at the output name was written through"

# ---- inputs that are not regular files are refused at once, never read
# (a FIFO would block for ever)
mkfifo "$T/fifo"
expect 2 "not a regular file" timeout 10 "$S" inspect "$T/fifo"
expect 2 "not a regular file" timeout 10 "$S" verify --trust "$T/fifo" "$T/fw-ed25519.sgn"
expect 2 "not a regular file" timeout 10 "$S" verify --trust "$T/ed25519.pub.pem" "$T/fifo"
expect 2 "not a regular file" timeout 10 "$S" verify --trust-root "$T/fifo" "$T/fw-ed25519.sgn"
expect 2 "not a regular file" timeout 10 "$S" sign --complete "$T/fifo" --signature "$T/fifo" \
  --pubkey "$T/ed25519.pub.pem" "$T/x.sgn"
rm -f "$T/fifo"

# ---- numbers: one strict parser. Decimal for counts and counters; 0x-hex
# too for addresses, sizes and bytes; no octal, sign, whitespace or overflow
E25519="$U;object=fw-ed25519"
for bad_num in 010 09 0x10 " 1" "1 " +1 -1 4294967296 1e3 ""; do
  expect 2 "--security-counter" "$S" sign --key "$E25519" --version 1.0.0 \
    --security-counter "$bad_num" "$T/fw.bin" "$T/num.sgn"
  no_output "$T/num.sgn"
done
for bad_addr in $'\t-1' -1 " 0x10" 0x 010 18446744073709551616 0xg; do
  expect 2 "--load-addr" "$S" sign --key "$E25519" --version 1.0.0 --load-addr "$bad_addr" \
    "$T/fw.bin" "$T/num.sgn"
done
expect 2 "--pad-byte" "$S" sign --key "$E25519" --version 1.0.0 --pad-byte 0x100 \
  "$T/fw.bin" "$T/num.sgn"
expect 2 "--min-security-counter" "$S" verify --trust "$T/ed25519.pub.pem" \
  --min-security-counter 07 "$T/fw-ed25519.sgn"
expect 0 "" "$S" sign --key "$E25519" --version 1.0.0 --security-counter 10 \
  --load-addr 0x8000000 --pad-byte 0xFF "$T/fw.bin" "$T/num.sgn"
[ "$("$S" inspect --json "$T/num.sgn" | jq -r '.security_counter, .load_addr')" = \
  "$(printf '10\n0x08000000')" ] && ok || bad "counter 10 / load address 0x8000000 not as given"
SOURCE_DATE_EPOCH=0x10 expect 2 "SOURCE_DATE_EPOCH" "$S" sign --key "$E25519" --version 1.0.0 \
  "$T/fw.bin" "$T/num.sgn"

# ---- inspect shows every field in words
"$S" inspect "$T/fw-ecdsa-p256.sgn" >"$T/inspect.txt"
for w in "version:          1.2.3+45" "security counter: 7" "hardware id:      acme-gw-rev2" \
  "payload digest:   sha256" "build time:" "signatures:       1" "ecdsa-p256-sha256"; do
  grep -qF "$w" "$T/inspect.txt" && ok || bad "inspect lacks '$w'"
done

finish

#!/usr/bin/env bash
# Makes the seed corpora of the pem, chain, pkcs11_uri and pin_source
# harnesses with the real tools (signet in a SoftHSM2 token, openssl), plus
# a few hand-made edge cases. Run from the tree with SIGNET=path/to/signet;
# the seeds are committed, so this is only for remaking them.
set -euo pipefail
S=${SIGNET:?set SIGNET to the signet binary}
cd "$(dirname "$0")/.."
C=$PWD/corpus
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/conf"
export SOFTHSM2_CONF=$T/conf SIGNET_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
softhsm2-util --init-token --free --label seeds --so-pin 000000 --pin 1234 >/dev/null
printf '1234\n' >"$T/pin" && chmod 600 "$T/pin"
U="pkcs11:token=seeds;pin-source=file:$T/pin"
for k in root code fw; do "$S" hsm keygen --type ecdsa-p256 --key "$U;object=$k" 2>/dev/null; done
"$S" hsm keygen --type ed25519 --key "$U;object=fw2" 2>/dev/null
"$S" hsm pubkey --key "$U;object=fw" -o "$T/fw.pub.pem" 2>/dev/null
"$S" hsm pubkey --key "$U;object=fw2" -o "$T/fw2.pub.pem" 2>/dev/null
P=(--db "$T/db")
"$S" pki init-root --key "$U;object=root" --subject "/CN=Seed Root/O=Acme" --validity 3650 \
  "${P[@]}" -o "$T/root.pem" >/dev/null
"$S" pki init-ca --key "$U;object=code" --issuer-key "$U;object=root" --issuer-cert "$T/root.pem" \
  --profile code-signing-ca --subject "/CN=Seed Code CA/O=Acme" "${P[@]}" -o "$T/ca.pem" >/dev/null
for k in fw fw2; do
  "$S" pki issue --ca-key "$U;object=code" --ca-cert "$T/ca.pem" "${P[@]}" --pubkey "$T/$k.pub.pem" \
    --profile code-signing --subject "/CN=Seed $k/O=Acme" --validity 365 -o "$T/$k.pem" >/dev/null
done
serial=$(openssl x509 -in "$T/fw2.pem" -noout -serial | cut -d= -f2)
"$S" pki revoke --ca-cert "$T/ca.pem" "${P[@]}" --serial "$serial" --reason superseded >/dev/null
"$S" pki crl --ca-key "$U;object=code" --ca-cert "$T/ca.pem" "${P[@]}" -o "$T/ca.crl" >/dev/null
"$S" pki crl --ca-key "$U;object=root" --ca-cert "$T/root.pem" "${P[@]}" -o "$T/root.crl" >/dev/null
head -c 3000 /dev/urandom >"$T/fw.bin"

mkdir -p "$C/pem" "$C/chain" "$C/pkcs11_uri" "$C/pin_source"
# pem: bundles, chains, one certificate, CRLs, public keys
cp "$T/root.pem" "$C/pem/root.pem"
cat "$T/fw.pem" "$T/ca.pem" >"$C/pem/chain.pem"
cat "$T/fw.pem" "$T/ca.pem" "$T/root.pem" >"$C/pem/chain_to_root.pem"
cat "$T/root.pem" "$T/ca.pem" >"$C/pem/roots_bundle.pem"
openssl x509 -in "$T/ca.pem" -outform der -out "$C/pem/ca.der"
cp "$T/ca.crl" "$C/pem/ca.crl.pem"
openssl crl -in "$T/root.crl" -outform der -out "$C/pem/root.crl.der"
cat "$T/ca.crl" "$T/root.crl" >"$C/pem/two_crls.pem"
cp "$T/fw.pub.pem" "$C/pem/p256.pub.pem"
cp "$T/fw2.pub.pem" "$C/pem/ed25519.pub.pem"
openssl pkey -pubin -in "$T/fw.pub.pem" -outform der -out "$C/pem/p256.pub.der"
{ echo "comment before"; cat "$T/root.pem"; echo "between"; cat "$T/ca.pem"; } >"$C/pem/text_around.pem"
head -c 400 "$T/ca.pem" >"$C/pem/truncated.pem"
# private keys (hsm import): each supported type, PKCS#8 PEM and DER, the
# traditional forms, encrypted ones, other types, one cut short
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$C/pem/p256.key.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -outform DER -out "$C/pem/p384.key.der" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$C/pem/ed25519.key.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$T/rsa.key" 2>/dev/null
openssl pkey -in "$T/rsa.key" -traditional -out "$C/pem/rsa3072.trad.key.pem"
openssl pkey -in "$C/pem/p256.key.pem" -traditional -ec_conv_form compressed -out "$C/pem/p256.trad.key.pem"
openssl pkey -in "$C/pem/p256.key.pem" -aes128 -passout pass:seed -out "$C/pem/p256.enc.key.pem"
openssl pkey -in "$C/pem/p256.key.pem" -traditional -aes128 -passout pass:seed -out "$C/pem/p256.proctype.key.pem"
openssl pkcs8 -topk8 -in "$C/pem/p256.key.pem" -passout pass:seed -outform DER -out "$C/pem/p256.enc.key.der"
openssl genpkey -algorithm X25519 -out "$C/pem/x25519.key.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$C/pem/rsa1024.key.pem" 2>/dev/null
{ echo "a CI secret"; cat "$C/pem/ed25519.key.pem" "$C/pem/p256.key.pem"; } >"$C/pem/two_keys.pem"
head -c 150 "$C/pem/p256.key.pem" >"$C/pem/truncated.key.pem"
cat "$T/ca.pem" "$T/fw.pem" >"$C/pem/chain_wrong_order.pem"
# chain: envelopes whose CERT_CHAIN goes to the CA, to the root, and two signers
"$S" sign --key "$U;object=fw" --cert "$C/pem/chain.pem" --version 1.0.0 "$T/fw.bin" "$C/chain/to_ca.sgn" >/dev/null
"$S" sign --key "$U;object=fw" --cert "$C/pem/chain_to_root.pem" --version 1.0.1 "$T/fw.bin" \
  "$C/chain/to_root.sgn" >/dev/null
cat "$T/fw2.pem" "$T/ca.pem" "$T/root.pem" >"$T/chain2.pem"
"$S" sign --key "$U;object=fw" --cert "$C/pem/chain_to_root.pem" --key "$U;object=fw2" --cert "$T/chain2.pem" \
  --version 1.0.2 "$T/fw.bin" "$C/chain/two_signers.sgn" >/dev/null
cp "$C"/envelope/chain-*.sgn "$C/chain/"
# pkcs11_uri: what --key takes
printf '%s' "pkcs11:token=rel;object=fw1;type=private;pin-source=file:/run/pin" >"$C/pkcs11_uri/key"
printf '%s' "pkcs11:token=Acme%20CA;id=%01%02;object=root?module-path=/usr/lib/softhsm/libsofthsm2.so" \
  >"$C/pkcs11_uri/module_path"
printf '%s' "pkcs11:manufacturer=SoftHSM%20project;serial=1234;model=SoftHSM%20v2" >"$C/pkcs11_uri/token_attrs"
printf '%s' "pkcs11:token=t;object=k?pin-value=SECRETPIN" >"$C/pkcs11_uri/pin_value"
printf '%s' "pkcs11:token=t;object=k?pIn-VaLu%65=SECRETPIN" >"$C/pkcs11_uri/pin_value_spelt"
printf '%s' "pkcs11:token=t;piN-valuee=SECRETPIN;object=k" >"$C/pkcs11_uri/misspelt"
printf '%s' "pkcs11:token=t;;object=k" >"$C/pkcs11_uri/empty_attr"
printf '%s' "pkcs11:token=t;token=u" >"$C/pkcs11_uri/twice"
printf '%s' "pkcs11:slot-id=4294967296;library-version=1.2" >"$C/pkcs11_uri/slot_id"
printf '%s' "pkcs11:token=t;type=bogus" >"$C/pkcs11_uri/bad_type"
# pin_source: PIN files
printf '1234\n' >"$C/pin_source/plain"
printf '1234\r\nsecond line\n' >"$C/pin_source/crlf"
printf 'no newline at end' >"$C/pin_source/no_newline"
printf '\nafter an empty line\n' >"$C/pin_source/empty_first"
printf 'pin\0after nul\n' >"$C/pin_source/nul"
head -c 300 /dev/zero | tr '\0' 7 >"$C/pin_source/too_long"

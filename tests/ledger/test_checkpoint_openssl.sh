#!/usr/bin/env bash
# Checkpoints signed with Ed25519 and ECDSA P-256 keys in a SoftHSM2 token,
# checked by tools that are not ours: the note is cut up with coreutils, the
# signature bytes verify with `openssl pkeyutl -verify` (Ed25519 over the
# note text, ECDSA over its SHA-256), and the key ID and the verifier key
# string are recomputed from the public key with openssl (docs/ledger-
# checkpoints.md says which bytes each covers).
#   CHECKPOINT_TOOL=tests/ledger/checkpoint_tool SIGNET=cli/signet test_checkpoint_openssl.sh
source "${SIGNET_SOURCE_DIR:?}/tests/cli/lib.sh"
TOOL=${CHECKPOINT_TOOL:?set CHECKPOINT_TOOL to the checkpoint_tool binary}
new_token ledger
key_uri() { printf 'pkcs11:token=ledger;object=%s;pin-source=file:%s' "$1" "$PINFILE"; }
ORIGIN=signet.example/ledger/station-3
printf 'a leaf' | openssl dgst -sha256 -binary >"$T/root.bin"
ROOT_HEX=$(od -An -tx1 -v "$T/root.bin" | tr -d ' \n')
ROOT_B64=$(base64 -w0 "$T/root.bin")

for type in ed25519 ecdsa-p256; do
  key=$(key_uri "log-$type") d="$T/$type"
  mkdir "$d"
  expect 0 generated "$S" hsm keygen --type "$type" --key "$key"
  "$S" hsm pubkey --key "$key" -o "$d/pub.pem"
  openssl pkey -pubin -in "$d/pub.pem" -outform DER -out "$d/spki.der"
  expect 0 "" "$TOOL" sign "$key" "$ORIGIN" 42 "$ROOT_HEX"
  cp "$T/out.txt" "$d/note"

  # The body, byte for byte; a blank line; one signature line by the origin.
  printf '%s\n42\n%s\n' "$ORIGIN" "$ROOT_B64" >"$d/text"
  head -c "$(stat -c %s "$d/text")" "$d/note" | cmp -s - "$d/text" && ok || bad "$type: body differs"
  [ "$(wc -l <"$d/note")" = 5 ] && [ -z "$(sed -n 4p "$d/note")" ] && ok || bad "$type: layout"
  line=$(sed -n 5p "$d/note")
  case $line in "— $ORIGIN "*) ok ;; *) bad "$type: signature line: $line" ;; esac
  printf '%s' "${line##* }" | base64 -d >"$d/raw"
  head -c 4 "$d/raw" | od -An -tx1 | tr -d ' \n' >"$d/id"
  tail -c +5 "$d/raw" >"$d/sig"

  # Key ID and verifier key, recomputed.
  if [ "$type" = ed25519 ]; then
    tail -c 32 "$d/spki.der" >"$d/pub"
    { printf '%s\n\001' "$ORIGIN"; cat "$d/pub"; } | openssl dgst -sha256 -binary | head -c 4 |
      od -An -tx1 | tr -d ' \n' >"$d/want_id"
    vkey="$ORIGIN+$(cat "$d/want_id")+$({ printf '\001'; cat "$d/pub"; } | base64 -w0)"
    [ "$(stat -c %s "$d/sig")" = 64 ] && ok || bad "ed25519 signature is not 64 bytes"
    expect 0 "" openssl pkeyutl -verify -pubin -inkey "$d/pub.pem" -rawin -in "$d/text" \
      -sigfile "$d/sig"
  else
    openssl dgst -sha256 -binary "$d/spki.der" | head -c 4 | od -An -tx1 | tr -d ' \n' \
      >"$d/want_id"
    vkey="$ORIGIN+$(cat "$d/want_id")+$({ printf '\002'; cat "$d/spki.der"; } | base64 -w0)"
    openssl asn1parse -inform DER -in "$d/sig" >/dev/null && ok || bad "ECDSA signature is not DER"
    expect 0 "" openssl pkeyutl -verify -pubin -inkey "$d/pub.pem" -rawin -digest sha256 \
      -in "$d/text" -sigfile "$d/sig"
    expect 0 "" openssl dgst -sha256 -verify "$d/pub.pem" -signature "$d/sig" "$d/text"
  fi
  cmp -s "$d/id" "$d/want_id" && ok || bad "$type: key ID $(cat "$d/id") != $(cat "$d/want_id")"
  expect 0 "" "$TOOL" vkey "$d/pub.pem" "$ORIGIN"
  [ "$(cat "$T/out.txt")" = "$vkey" ] && ok || bad "$type: vkey $(cat "$T/out.txt") != $vkey"

  # Our verifier, by PEM (the key named by the origin) and by vkey string.
  expect 0 "" "$TOOL" verify "$d/note" "$d/pub.pem"
  cmp -s "$T/out.txt" "$d/text" && ok || bad "$type: verified body differs"
  expect 0 "" "$TOOL" verify "$d/note" "$vkey"
  expect 1 "none of the given keys" "$TOOL" verify "$d/note" "$d/pub.pem" other.example/name

  # A changed tree size: openssl and we both say no.
  sed 's/^42$/43/' "$d/note" >"$d/forged"
  head -n 3 "$d/forged" >"$d/forged_text"
  if [ "$type" = ed25519 ]; then
    expect 1 "" openssl pkeyutl -verify -pubin -inkey "$d/pub.pem" -rawin -in "$d/forged_text" \
      -sigfile "$d/sig"
  else
    expect 1 "" openssl dgst -sha256 -verify "$d/pub.pem" -signature "$d/sig" "$d/forged_text"
  fi
  expect 1 "does not verify" "$TOOL" verify "$d/forged" "$d/pub.pem"
  # CRLF line ends are malformed input.
  sed 's/$/\r/' "$d/note" >"$d/crlf"
  expect 2 "carriage return" "$TOOL" verify "$d/crlf" "$d/pub.pem"
done

# The other key's checkpoint is not ours.
expect 1 "none of the given keys" "$TOOL" verify "$T/ed25519/note" "$T/ecdsa-p256/pub.pem"
# A P-384 key cannot sign checkpoints.
expect 0 generated "$S" hsm keygen --type ecdsa-p384 --key "$(key_uri log-p384)"
expect 2 "cannot sign checkpoints" "$TOOL" sign "$(key_uri log-p384)" "$ORIGIN" 1 "$ROOT_HEX"
# A token whose public key object is another key's: the signature is
# checked with it before the note is returned, so this is an HSM failure
# (exit 3), never a checkpoint that does not verify.
expect 0 generated "$S" hsm keygen --type ecdsa-p256 --key "$(key_uri mixed);id=%6d"
expect 0 generated "$S" hsm keygen --type ecdsa-p256 --key "$(key_uri donor);id=%64"
"$S" hsm pubkey --key "$(key_uri donor)" | openssl pkey -pubin -outform DER -out "$T/donor.der"
p11() { pkcs11-tool --module "$MODULE" --token-label ledger --login --pin 1234 "$@" >/dev/null; }
p11 --delete-object --type pubkey --label mixed
p11 --write-object "$T/donor.der" --type pubkey --label mixed --id 6d
expect 3 "does not verify with its public key" "$TOOL" sign "$(key_uri mixed)" "$ORIGIN" 1 "$ROOT_HEX"
finish

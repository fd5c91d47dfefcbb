#!/usr/bin/env bash
# sign, sign --complete and cosign with --ledger: release.started before the
# output, release.signed read back from the published file (fields checked
# against openssl and sha256sum), a refused run appends nothing, and
# --ledger-key cuts a checkpoint that `ledger verify` accepts.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
new_token release
U="pkcs11:token=release;pin-source=file:$PINFILE"
export SOURCE_DATE_EPOCH=1795000000
L="$T/rel.ledger"
for k in fw1 fw2; do
  "$S" hsm keygen --type ecdsa-p256 --key "$U;object=$k" 2>/dev/null
  "$S" hsm pubkey --key "$U;object=$k" -o "$T/$k.pem" 2>/dev/null
done
token_keys "$U"
"$S" ledger init --ledger "$L" --origin rel.example/log 2>/dev/null
head -c 70000 /dev/urandom >"$T/fw.bin"

spki_sha256() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
size() { "$S" ledger export --ledger "$L" --format jsonl | wc -l; }
rec() { "$S" ledger export --ledger "$L" --format jsonl | sed -n "$(($1 + 1))p"; }
# check INDEX JQ_EXPR WANT
check() {
  local got
  got=$(rec "$1" | jq -r "$2")
  [ "$got" = "$3" ] && ok || bad "record $1: $2 is '$got', wanted '$3'"
}
K1=$(spki_sha256 "$T/fw1.pem")
K2=$(spki_sha256 "$T/fw2.pem")

# ---- usage: refused before the ledger is opened
expect 2 "--ledger-key goes with --ledger" "$S" sign --key "$U;object=fw1" --version 1.0.0 \
  --ledger-key "$U;object=log" "$T/fw.bin" "$T/x.sgn"
expect 2 "a --prepare request is none" "$S" sign --prepare --pubkey "$T/fw1.pem" \
  --version 1.0.0 --ledger "$L" "$T/fw.bin" "$T/x.req"
expect 2 "" "$S" sign --key "$U;object=fw1" --version 1.0.0 --ledger "$T/none.ledger" \
  "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"

# ---- a refused run appends nothing: bad key, bad input, bad SBOM, --hw-id
# the ledger cannot hold, a key that already signed
expect 2 "not found" "$S" sign --key "$U;object=nope" --version 1.0.0 --ledger "$L" \
  "$T/fw.bin" "$T/x.sgn"
expect 2 "" "$S" sign --key "$U;object=fw1" --version 1.0.0 --ledger "$L" "$T/missing.bin" "$T/x.sgn"
printf ':10000000FFFFFFFF\n' >"$T/bad.hex"
expect 2 "bad.hex" "$S" sign --key "$U;object=fw1" --version 1.0.0 --ledger "$L" "$T/bad.hex" "$T/x.sgn"
echo '{"not":"an sbom"}' >"$T/bad.json"
expect 2 "" "$S" sign --key "$U;object=fw1" --version 1.0.0 --sbom "$T/bad.json" --ledger "$L" \
  "$T/fw.bin" "$T/x.sgn"
# an --hw-id with a space at its end, which an envelope takes but a record
# does not, and an output name with a control character
expect 2 "the ledger cannot record this release" "$S" sign --key "$U;object=fw1" --version 1.0.0 \
  --hw-id "board " --ledger "$L" "$T/fw.bin" "$T/x.sgn"
expect 2 "output" "$S" sign --key "$U;object=fw1" --version 1.0.0 --ledger "$L" "$T/fw.bin" \
  "$T/x$(printf '\t')y.sgn"
# a certificate chain that certifies another key than the one that signs
for k in root code; do "$S" hsm keygen --type ecdsa-p256 --key "$U;object=$k" 2>/dev/null; done
"$S" pki init-root --key "$U;object=root" --subject /CN=Root --validity 3650 -o "$T/root.pem" 2>/dev/null
"$S" pki init-ca --key "$U;object=code" --issuer-key "$U;object=root" --issuer-cert "$T/root.pem" \
  --profile code-signing-ca --subject /CN=Code -o "$T/code.pem" 2>/dev/null
"$S" pki issue --ca-key "$U;object=code" --ca-cert "$T/code.pem" --pubkey "$T/fw2.pem" \
  --profile code-signing --subject /CN=Rel2 --validity 30 -o "$T/fw2.cert.pem" 2>/dev/null
cat "$T/fw2.cert.pem" "$T/code.pem" >"$T/fw2.chain.pem"
expect 2 "does not certify a signing key" "$S" sign --key "$U;object=fw1" --version 1.0.0 \
  --cert "$T/fw2.chain.pem" --ledger "$L" "$T/fw.bin" "$T/x.sgn"
# a --ledger-key that is not there, or cannot sign checkpoints
expect 2 "not found" "$S" sign --key "$U;object=fw1" --version 1.0.0 --ledger "$L" \
  --ledger-key "$U;object=nolog" "$T/fw.bin" "$T/x.sgn"
"$S" hsm keygen --type ecdsa-p384 --key "$U;object=p384" 2>/dev/null
expect 2 "checkpoints are signed by an ed25519 or ecdsa-p256 key" "$S" cosign --key "$U;object=fw1" \
  --ledger "$L" --ledger-key "$U;object=p384" "$T/fw.bin"
no_output "$T/x.sgn"
[ "$(size)" = 0 ] && ok || bad "refused runs appended $(size) records"

# ---- sign: started, then signed as read back
"$S" sign --key "$U;object=fw1" --version 1.2.3 --security-counter 7 --hw-id board-a \
  --ledger "$L" "$T/fw.bin" "$T/fw.sgn" 2>"$T/err.txt" && ok || bad "sign --ledger: $(cat "$T/err.txt")"
[ "$(size)" = 2 ] && ok || bad "sign appended $(size) records, wanted 2"
check 0 .type release.started
check 0 .output fw.sgn
check 0 .format signet
check 0 .version 1.2.3+0
check 1 .type release.signed
check 1 .file_sha256 "$(sha256sum "$T/fw.sgn" | cut -d' ' -f1)"
check 1 '.key_ids | join(",")' "$K1"
check 1 .security_counter 7
check 1 .hw_id board-a
check 1 .digest "$("$S" inspect --json "$T/fw.sgn" | jq -r .payload_digest.value)"
check 1 .time "$(date -u -d @1795000000 +%Y-%m-%dT%H:%M:%SZ)"

# ---- cosign: both keys, in signature order; a second cosign by the same
# key is refused before anything is appended; --ledger-key cuts a checkpoint
expect 0 "" "$S" cosign --key "$U;object=fw2" --ledger "$L" \
  --ledger-key "$U;object=log" "$T/fw.sgn"
grep -q "checkpoint of 4 records stored" "$T/err.txt" && ok || bad "cosign cut no checkpoint"
check 2 .type release.started
check 3 '.key_ids | join(",")' "$K1,$K2"
check 3 .file_sha256 "$(sha256sum "$T/fw.sgn" | cut -d' ' -f1)"
expect 2 "already signed" "$S" cosign --key "$U;object=fw2" --ledger "$L" "$T/fw.sgn"
expect 2 "does not certify a signing key" "$S" cosign --key "$U;object=root" \
  --cert "$T/fw2.chain.pem" --ledger "$L" "$T/fw.sgn"
[ "$(size)" = 4 ] && ok || bad "a refused cosign appended a record"
expect 0 "4 records and 1 checkpoints verified" "$S" ledger verify --ledger "$L" --pubkey "$T/log.pem"

# ---- MCUboot: the key id is the SPKI hash, as for envelopes
"$S" sign --format mcuboot --header-size 0x200 --pad-header --key "$U;object=fw2" --version 2.0.1+5 \
  --ledger "$L" "$T/fw.bin" "$T/fw.mcu" 2>/dev/null && ok || bad "sign --format mcuboot --ledger"
check 4 .format mcuboot
check 5 '.key_ids | join(",")' "$K2"
check 5 .version 2.0.1+5
check 5 .file_sha256 "$(sha256sum "$T/fw.mcu" | cut -d' ' -f1)"
check 5 .digest_alg sha256

# ---- --complete (a key openssl holds), both formats
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/off.key" 2>/dev/null
openssl pkey -in "$T/off.key" -pubout -out "$T/off.pem"
KO=$(spki_sha256 "$T/off.pem")
"$S" sign --prepare --pubkey "$T/off.pem" --version 1.3.0 "$T/fw.bin" "$T/off.req" 2>/dev/null
"$S" inspect --tbs-out "$T/off.tbs" "$T/off.req" >/dev/null
openssl pkeyutl -sign -inkey "$T/off.key" -in "$T/off.tbs" -out "$T/off.sig"
head -c 64 /dev/urandom >"$T/junk.sig"
expect 1 "not the key" "$S" sign --complete "$T/off.req" --signature "$T/off.sig" --pubkey "$T/fw1.pem" \
  --ledger "$L" "$T/off.sgn"
expect 2 "" "$S" sign --complete "$T/missing.req" --signature "$T/off.sig" --pubkey "$T/off.pem" \
  --ledger "$L" "$T/off.sgn"
[ "$(size)" = 6 ] && ok || bad "a refused --complete appended a record"
expect 0 "" "$S" sign --complete "$T/off.req" --signature "$T/off.sig" \
  --pubkey "$T/off.pem" --ledger "$L" --ledger-key "$U;object=log" "$T/off.sgn"
grep -q "checkpoint of 8 records stored" "$T/err.txt" && ok || bad "--complete cut no checkpoint"
check 6 .version 1.3.0+0
check 7 '.key_ids | join(",")' "$KO"
"$S" sign --prepare --pubkey "$T/off.pem" --format mcuboot --header-size 0x200 --pad-header \
  --version 1.3.0 "$T/fw.bin" "$T/offmcu.req" 2>/dev/null
"$S" inspect --tbs-out "$T/offmcu.tbs" "$T/offmcu.req" >/dev/null
openssl pkeyutl -sign -inkey "$T/off.key" -in "$T/offmcu.tbs" -out "$T/offmcu.sig"
expect 0 "" "$S" sign --complete "$T/offmcu.req" --signature "$T/offmcu.sig" --pubkey "$T/off.pem" \
  --ledger "$L" "$T/offmcu.bin"
check 8 .format mcuboot
check 9 '.key_ids | join(",")' "$KO"
check 9 .file_sha256 "$(sha256sum "$T/offmcu.bin" | cut -d' ' -f1)"
expect 0 "10 records and 2 checkpoints verified" "$S" ledger verify --ledger "$L" --pubkey "$T/log.pem"

# ---- a signing that fails after its checks keeps its started record only
# (OUT is a directory: the rename that publishes it fails)
mkdir "$T/outdir"
expect 3 "" "$S" sign --key "$U;object=fw1" --version 1.0.0 --ledger "$L" "$T/fw.bin" "$T/outdir"
check 10 .type release.started
check 10 .output outdir
[ "$(size)" = 11 ] && ok || bad "a failed signing appended $(size) records, wanted 11"
finish

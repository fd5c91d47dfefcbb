#!/usr/bin/env bash
# The inputs of sign and cosign through the signet binary, with a real
# SoftHSM2 token: the payload span limit (--max-span) for every format, an
# OUT that is one of the inputs, FIFOs where a file is read, and concurrent
# co-signing of one envelope.
. "$(dirname "$0")/lib.sh"

new_token inputs
U="pkcs11:token=inputs;pin-source=file:$PINFILE"
K="$U;object=k1"
expect 0 "" "$S" hsm keygen --type ecdsa-p256 --key "$K"
head -c 4000 /dev/urandom >"$T/fw.bin"
openssl genpkey -algorithm ED25519 -out "$T/off.key" 2>/dev/null
openssl pkey -in "$T/off.key" -pubout -out "$T/off.pub"

# ---- one span limit for every input, checked before anything is written
# A 432-byte ELF64 with 8-byte PT_LOAD segments at 0 and 2^40: a 1 TiB
# payload unless refused.
elf_far() { # out
  python3 - "$1" <<'EOF'
import struct, sys
eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
eh += struct.pack("<HHIQQQIHHHHHH", 2, 40, 1, 0, 64, 0, 0, 64, 56, 2, 0, 0, 0)
ph = b"".join(struct.pack("<IIQQQQQQ", 1, 5, off, addr, addr, 8, 8, 8)
              for off, addr in ((0x1a0, 0), (0x1a8, 1 << 40)))
body = eh + ph
body += bytes(0x1a0 - len(body)) + b"ABCDEFGHabcdefgh"
assert len(body) == 432
open(sys.argv[1], "wb").write(body)
EOF
}
elf_far "$T/far.elf"
start=$(date +%s)
expect 2 "far.elf: data spans 0x00000000..0x10000000007 (1099511627784 bytes), over the 1073741824-byte limit (see --max-span)" \
  timeout 20 "$S" sign --key "$K" --version 1.0.0 "$T/far.elf" "$T/far.sgn"
no_output "$T/far.sgn"
[ $(($(date +%s) - start)) -lt 10 ] && ok || bad "refusing the far ELF took $(($(date +%s) - start)) s"
expect 2 "over the 1073741824-byte limit" timeout 20 "$S" sign --format mcuboot --header-size 0x200 \
  --pad-header --key "$K" --version 1.0.0 "$T/far.elf" "$T/far.img"
no_output "$T/far.img"
expect 2 "over the 1073741824-byte limit" timeout 20 "$S" sign --prepare --pubkey "$T/off.pub" \
  --version 1.0.0 "$T/far.elf" "$T/far.req"
no_output "$T/far.req"
# The option sets the limit exactly, for raw binary too.
expect 2 "fw.bin: data spans 0x00000000..0x00000F9F (4000 bytes), over the 3999-byte limit" \
  "$S" sign --key "$K" --version 1.0.0 --max-span 3999 "$T/fw.bin" "$T/span.sgn"
no_output "$T/span.sgn"
expect 0 "signed" "$S" sign --key "$K" --version 1.0.0 --max-span 4000 "$T/fw.bin" "$T/span.sgn"
expect 2 "over the 3999-byte limit" "$S" sign --format mcuboot --header-size 0x200 --pad-header \
  --key "$K" --version 1.0.0 --max-span 3999 "$T/fw.bin" "$T/span.img"
no_output "$T/span.img"
expect 0 "MCUboot image" "$S" sign --format mcuboot --header-size 0x200 --pad-header \
  --key "$K" --version 1.0.0 --max-span 0x1000 "$T/fw.bin" "$T/span.img"
expect 2 "--max-span must be at least 1" "$S" sign --key "$K" --version 1.0.0 --max-span 0 \
  "$T/fw.bin" "$T/x.sgn"
expect 2 "--max-span '1G': not a number" "$S" sign --key "$K" --version 1.0.0 --max-span 1G \
  "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"

# ---- an OUT that is an input is refused, and the input is left as it was
cp "$T/fw.bin" "$T/keep.bin"
ln "$T/fw.bin" "$T/hard.bin"
ln -s fw.bin "$T/soft.bin"
for out in fw.bin hard.bin soft.bin; do
  expect 2 "$T/$out: output is the same file as the input $T/fw.bin" \
    "$S" sign --key "$K" --version 1.0.0 "$T/fw.bin" "$T/$out"
  expect 2 "output is the same file as the input" "$S" sign --format mcuboot --header-size 0x200 \
    --pad-header --key "$K" --version 1.0.0 "$T/fw.bin" "$T/$out"
done
cmp -s "$T/fw.bin" "$T/keep.bin" && ok || bad "sign replaced its input"
[ -L "$T/soft.bin" ] && ok || bad "sign replaced the symlink"
printf '{"bomFormat":"CycloneDX","specVersion":"1.5"}' >"$T/bom.json"
cp "$T/bom.json" "$T/keep.json"
expect 2 "output is the same file as the input $T/bom.json" \
  "$S" sign --key "$K" --version 1.0.0 --sbom "$T/bom.json" "$T/fw.bin" "$T/bom.json"
cmp -s "$T/bom.json" "$T/keep.json" && ok || bad "sign replaced its SBOM"
cp "$T/off.pub" "$T/keep.pub"
expect 2 "output is the same file as the input $T/off.pub" \
  "$S" sign --prepare --pubkey "$T/off.pub" --version 1.0.0 "$T/fw.bin" "$T/off.pub"
expect 2 "output is the same file as the input $T/fw.bin" \
  "$S" sign --prepare --pubkey "$T/off.pub" --version 1.0.0 "$T/fw.bin" "$T/fw.bin"
cmp -s "$T/off.pub" "$T/keep.pub" && ok || bad "sign --prepare replaced its public key"
expect 0 "" "$S" sign --prepare --pubkey "$T/off.pub" --version 1.0.0 "$T/fw.bin" "$T/off.req"
"$S" inspect --tbs-out "$T/tbs" "$T/off.req" >/dev/null
openssl pkeyutl -sign -rawin -inkey "$T/off.key" -in "$T/tbs" -out "$T/off.sig"
cp "$T/off.req" "$T/keep.req"
cp "$T/off.sig" "$T/keep.sig"
for out in off.req off.sig off.pub; do
  expect 2 "$T/$out: output is the same file as the input $T/$out" "$S" sign --complete "$T/off.req" \
    --signature "$T/off.sig" --pubkey "$T/off.pub" "$T/$out"
done
cmp -s "$T/off.req" "$T/keep.req" && cmp -s "$T/off.sig" "$T/keep.sig" && ok \
  || bad "sign --complete replaced an input"
expect 0 "completed" "$S" sign --complete "$T/off.req" --signature "$T/off.sig" \
  --pubkey "$T/off.pub" "$T/off.sgn"

# ---- a FIFO where a file is read: refused at once, never waited on
mkfifo "$T/fifo"
start=$(date +%s)
expect 2 "fifo: not a regular file" timeout 10 "$S" sign --key "$K" --version 1.0.0 "$T/fifo" "$T/f.sgn"
expect 2 "fifo: not a regular file" timeout 10 "$S" sign --key "$K" --version 1.0.0 \
  --sbom "$T/fifo" "$T/fw.bin" "$T/f.sgn"
expect 2 "fifo: not a regular file" timeout 10 "$S" sign --format mcuboot --header-size 0x200 \
  --pad-header --key "$K" --version 1.0.0 "$T/fifo" "$T/f.img"
expect 2 "fifo: not a regular file" timeout 10 "$S" cosign --key "$K" "$T/fifo"
no_output "$T/f.sgn"
no_output "$T/f.img"
[ $(($(date +%s) - start)) -lt 10 ] && ok || bad "FIFO inputs took $(($(date +%s) - start)) s"

# ---- concurrent co-signing: every run's signature ends up in the file
# Without a lock, runs that start together each add their signature to the
# same old file and the last rename wins. Each co-signer has its own SoftHSM
# token directory (as separate signers' HSMs would be): processes sharing one
# SoftHSM2 directory at once sometimes fail to find the token at all.
NKEYS=6
TR=(--trust "$T/k1.pub")
expect 0 "" "$S" hsm pubkey --key "$K" -o "$T/k1.pub"
for i in $(seq 2 $NKEYS); do
  mkdir "$T/tokens$i"
  printf 'directories.tokendir = %s/tokens%s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$T" "$i" >"$T/softhsm2-$i.conf"
  SOFTHSM2_CONF="$T/softhsm2-$i.conf" new_token "cosigner$i"
  SOFTHSM2_CONF="$T/softhsm2-$i.conf" expect 0 "" "$S" hsm keygen --type ecdsa-p256 \
    --key "pkcs11:token=cosigner$i;object=k;pin-source=file:$PINFILE"
  SOFTHSM2_CONF="$T/softhsm2-$i.conf" expect 0 "" "$S" hsm pubkey \
    --key "pkcs11:token=cosigner$i;object=k;pin-source=file:$PINFILE" -o "$T/k$i.pub"
  TR+=(--trust "$T/k$i.pub")
done
ROUNDS=${COSIGN_ROUNDS:-5}
for r in $(seq 1 "$ROUNDS"); do
  expect 0 "" "$S" sign --key "$K" --version "1.0.$r" "$T/fw.bin" "$T/race.sgn"
  pids=()
  for i in $(seq 2 $NKEYS); do
    SOFTHSM2_CONF="$T/softhsm2-$i.conf" "$S" cosign \
      --key "pkcs11:token=cosigner$i;object=k;pin-source=file:$PINFILE" "$T/race.sgn" \
      2>"$T/race-$i.err" &
    pids+=($!)
  done
  fails=0
  for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
  [ "$fails" = 0 ] && ok || bad "round $r: $fails cosign runs failed: $(cat "$T"/race-*.err)"
  n=$("$S" inspect --json "$T/race.sgn" | jq '.signatures | length')
  [ "$n" = $NKEYS ] && ok || bad "round $r: $n of $NKEYS signatures in the file"
  compgen -G "$T/.race.sgn.signet-tmp-*" >/dev/null && bad "round $r: temp file left: $(ls "$T")" || ok
done
expect 0 "$NKEYS trusted signers" "$S" verify "${TR[@]}" --threshold $NKEYS "$T/race.sgn"

finish

#!/usr/bin/env bash
# signet in two minutes: installs what is missing, builds, creates a
# project-local SoftHSM2 token in .demo/ (git-ignored), generates a release
# key inside it, signs a sample firmware, verifies it, and inspects it.
# Run it again at any time: it starts from a fresh token each time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Installing missing dependencies (if any) and building signet"
./scripts/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target signet >/dev/null
S="$root/build/cli/signet"
"$S" --version

demo="$root/.demo"
rm -rf "$demo"
mkdir -p "$demo/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$demo" \
  >"$demo/softhsm2.conf"
export SOFTHSM2_CONF="$demo/softhsm2.conf"
export SIGNET_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
unset SIGNET_PIN

say "Creating a SoftHSM2 token 'release' in .demo/ (a software stand-in for a real HSM)"
# A demo PIN, kept in a 0600 file: signet reads PINs from files, the
# environment or a prompt, never from its command line.
umask 077
head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$demo/pin"
softhsm2-util --init-token --free --label release --so-pin "$(cat "$demo/pin")" \
  --pin "$(cat "$demo/pin")" >/dev/null
umask 022
K="pkcs11:token=release;object=fw-release;pin-source=file:$demo/pin"
echo "key URI: $K"

say "Generating an ECDSA P-256 release key inside the token"
"$S" hsm keygen --type ecdsa-p256 --key "$K"
"$S" hsm pubkey --key "$K" -o "$demo/fw-release.pub.pem"
echo "The private key is sensitive, non-extractable and sign-only; only its public half"
echo "leaves the token, as $demo/fw-release.pub.pem:"
cat "$demo/fw-release.pub.pem"
"$S" hsm list "pkcs11:token=release;pin-source=file:$demo/pin"

say "Signing a sample firmware (an Intel HEX file at 0x08004000)"
head -c 48000 /dev/urandom >"$demo/app.bin"
objcopy -I binary -O ihex --change-addresses 0x08004000 "$demo/app.bin" "$demo/app.hex"
SOURCE_DATE_EPOCH=$(date +%s) "$S" sign --key "$K" --version 1.4.0+17 --security-counter 3 \
  --hw-id acme-gw-rev2 "$demo/app.hex" "$demo/app.sgn"

say "Verifying it against the public key, the device class and the rollback counter"
"$S" verify --trust "$demo/fw-release.pub.pem" --hw-id acme-gw-rev2 --min-security-counter 3 \
  "$demo/app.sgn"

say "What a device with anti-rollback counter 4 would say (expected: refused, exit 1)"
"$S" verify --trust "$demo/fw-release.pub.pem" --min-security-counter 4 "$demo/app.sgn" \
  && exit 1 || echo "exit $? - refused, as it should be"

say "Inspecting the envelope"
"$S" inspect "$demo/app.sgn"

say "A 2-of-3 release: three approvers, each with a key in the token; two must sign"
for who in alice bob carol; do
  "$S" hsm keygen --type ed25519 --key "pkcs11:token=release;object=approver-$who;pin-source=file:$demo/pin" 2>/dev/null
  "$S" hsm pubkey --key "pkcs11:token=release;object=approver-$who;pin-source=file:$demo/pin" \
    -o "$demo/approver-$who.pub.pem"
done
A="pkcs11:token=release;pin-source=file:$demo/pin;object=approver"
trust=(--trust "$demo/approver-alice.pub.pem" --trust "$demo/approver-bob.pub.pem"
       --trust "$demo/approver-carol.pub.pem")
printf '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"mbedtls","version":"3.5.2"}]}\n' \
  >"$demo/app.cdx.json"
"$S" sign --key "$A-alice" --version 1.5.0 --security-counter 4 --sbom "$demo/app.cdx.json" \
  "$demo/app.hex" "$demo/release.sgn"
echo "Only Alice has signed; a device requiring 2 of 3 says no:"
"$S" verify "${trust[@]}" --threshold 2 "$demo/release.sgn" || echo "exit $? - refused"
"$S" cosign --key "$A-carol" "$demo/release.sgn"
echo "Carol co-signed (the payload was not re-hashed); now:"
"$S" verify "${trust[@]}" --threshold 2 --sbom "$demo/app.cdx.json" "$demo/release.sgn"

say "An MCUboot image of the same firmware, for a bootloader that speaks MCUboot"
"$S" hsm keygen --type ed25519 --key "pkcs11:token=release;object=mcuboot-key;pin-source=file:$demo/pin" 2>/dev/null
"$S" hsm pubkey --key "pkcs11:token=release;object=mcuboot-key;pin-source=file:$demo/pin" \
  -o "$demo/mcuboot-key.pub.pem"
"$S" sign --format mcuboot --header-size 0x200 --pad-header --slot-size 0x40000 --align 4 \
  --version 1.4.0+17 --security-counter 3 \
  --key "pkcs11:token=release;object=mcuboot-key;pin-source=file:$demo/pin" "$demo/app.bin" "$demo/app.mcuboot.bin"
"$S" verify --trust "$demo/mcuboot-key.pub.pem" "$demo/app.mcuboot.bin"
"$S" inspect "$demo/app.mcuboot.bin"

say "A device PKI: root and factory CA keys in the token, a device identity from a CSR"
P="pkcs11:token=release;pin-source=file:$demo/pin"
for k in pki-root pki-factory; do
  "$S" hsm keygen --type ecdsa-p256 --key "$P;object=$k" 2>/dev/null
done
rm -f "$demo/pki.db"
"$S" pki init-root --key "$P;object=pki-root" --subject "/CN=Acme Device Root/O=Acme" \
  --validity 3650 --db "$demo/pki.db" -o "$demo/root.pem"
"$S" pki init-ca --key "$P;object=pki-factory" --ca-key "$P;object=pki-root" \
  --ca-cert "$demo/root.pem" --profile factory-ca --subject "/CN=Acme Factory CA/O=Acme" \
  --db "$demo/pki.db" -o "$demo/factory.pem"
# The device makes its key and CSR (here openssl stands in for the device).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$demo/device.key" \
  -subj "/CN=whatever the device says" -out "$demo/device.csr" 2>/dev/null
"$S" pki issue --ca-key "$P;object=pki-factory" --ca-cert "$demo/factory.pem" \
  --csr "$demo/device.csr" --profile idevid --serial-number GW2-000123 \
  --hw-type 1.3.6.1.4.1.99999.1.2 --subject "/CN=Acme Gateway/O=Acme" --db "$demo/pki.db" \
  -o "$demo/device.pem"
"$S" pki crl --ca-key "$P;object=pki-factory" --ca-cert "$demo/factory.pem" --db "$demo/pki.db" \
  -o "$demo/factory.crl"
"$S" pki list --db "$demo/pki.db"
echo "openssl, independently:"
openssl verify -x509_strict -crl_check -CAfile "$demo/root.pem" -untrusted "$demo/factory.pem" \
  -CRLfile "$demo/factory.crl" "$demo/device.pem"
# A production batch: one CSR per device, named by its serial, one process.
rm -rf "$demo/csr" "$demo/certs"
mkdir -p "$demo/csr" "$demo/certs"
for i in $(seq -w 1 20); do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj /CN=device -out "$demo/csr/GW2-0002$i.csr" 2>/dev/null
done
"$S" pki issue --ca-key "$P;object=pki-factory" --ca-cert "$demo/factory.pem" --profile idevid \
  --hw-type 1.3.6.1.4.1.99999.1.2 --subject "/CN=Acme Gateway/O=Acme" --db "$demo/pki.db" \
  --csr-dir "$demo/csr" --out-dir "$demo/certs"

say "Release keys under a root: two approvers, each with a code-signing certificate"
for k in rel-ca rel-alice rel-bob; do
  "$S" hsm keygen --type ecdsa-p256 --key "$P;object=$k" 2>/dev/null
done
"$S" pki init-ca --key "$P;object=rel-ca" --ca-key "$P;object=pki-root" --ca-cert "$demo/root.pem" \
  --profile code-signing-ca --subject "/CN=Acme Release CA/O=Acme" --db "$demo/pki.db" \
  -o "$demo/release-ca.pem"
for who in alice bob; do
  "$S" hsm pubkey --key "$P;object=rel-$who" -o "$demo/rel-$who.pub.pem" 2>/dev/null
  "$S" pki issue --ca-key "$P;object=rel-ca" --ca-cert "$demo/release-ca.pem" \
    --pubkey "$demo/rel-$who.pub.pem" --profile code-signing --subject "/CN=Release key $who/O=Acme" \
    --validity 365 --db "$demo/pki.db" -o "$demo/rel-$who.pem"
  cat "$demo/rel-$who.pem" "$demo/release-ca.pem" >"$demo/rel-$who.chain.pem"
done
"$S" sign --key "$P;object=rel-alice" --cert "$demo/rel-alice.chain.pem" --version 1.5.0 \
  "$demo/app.hex" "$demo/rotated.sgn"
"$S" cosign --key "$P;object=rel-bob" --cert "$demo/rel-bob.chain.pem" "$demo/rotated.sgn"
echo "the device trusts the root alone:"
"$S" verify --trust-root "$demo/root.pem" --threshold 2 "$demo/rotated.sgn"

say "An audit ledger: a release and certificates recorded, a checkpoint, a proof, tiles, a report"
"$S" hsm keygen --type ed25519 --key "$P;object=ledger" 2>/dev/null
"$S" hsm pubkey --key "$P;object=ledger" -o "$demo/ledger.pub.pem" 2>/dev/null
rm -rf "$demo/audit.ledger" "$demo/tiles"
"$S" ledger init --ledger "$demo/audit.ledger" --origin acme.example/release-log
# signet records what it does itself: release.started before the output
# is published, release.signed read back from it; cert.issued, crl.issued.
"$S" sign --key "$P;object=rel-alice" --cert "$demo/rel-alice.chain.pem" --version 1.6.0 \
  --ledger "$demo/audit.ledger" "$demo/app.hex" "$demo/release-1.6.sgn"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj /CN=device -out "$demo/device2.csr" 2>/dev/null
"$S" pki issue --ca-key "$P;object=pki-factory" --ca-cert "$demo/factory.pem" \
  --csr "$demo/device2.csr" --profile idevid --serial-number GW2-000999 \
  --hw-type 1.3.6.1.4.1.99999.1.2 --subject "/CN=Acme Gateway/O=Acme" --db "$demo/pki.db" \
  --ledger "$demo/audit.ledger" -o "$demo/device2.pem"
# the last command cuts a checkpoint signed in the token (--ledger-key)
"$S" pki crl --ca-key "$P;object=pki-factory" --ca-cert "$demo/factory.pem" --db "$demo/pki.db" \
  --ledger "$demo/audit.ledger" --ledger-key "$P;object=ledger" -o "$demo/factory.crl"
"$S" ledger show --ledger "$demo/audit.ledger"
"$S" ledger verify --ledger "$demo/audit.ledger" --pubkey "$demo/ledger.pub.pem"
"$S" ledger prove --ledger "$demo/audit.ledger" --serial "$(openssl x509 -noout -serial -in "$demo/device2.pem" | cut -d= -f2 | tr A-F a-f)" \
  -o "$demo/device2.proof"
"$S" ledger check-proof --pubkey "$demo/ledger.pub.pem" "$demo/device2.proof"
"$S" ledger export --ledger "$demo/audit.ledger" --tiles "$demo/tiles"

say "A provisioning station: 6 simulated devices on two fixtures, one of whose devices fake their lock"
# Each `signet sim` is a device with the real agent library on a unix socket;
# after each unit the station resets it and the next device answers (the
# station waits for a new board on a fixture, so each has more than it needs).
sims=()
trap 'for p in "${sims[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
rm -f "$demo"/line-a* "$demo"/line-b*
"$S" sim --state "$demo/line-a" --listen "unix:$demo/line-a.sock" --uid 5a000001 --units 10 \
  >"$demo/line-a.out" &
sims+=($!)
"$S" sim --state "$demo/line-b" --listen "unix:$demo/line-b.sock" --uid 5b000001 --units 10 \
  --fake-lock >"$demo/line-b.out" &
sims+=($!)
while ! grep -q listening "$demo/line-a.out" "$demo/line-b.out" 2>/dev/null ||
      [ "$(cat "$demo/line-a.out" "$demo/line-b.out" | grep -c listening)" != 2 ]; do sleep 0.05; done
"$S" station run --profile sim --fixture "line-a=unix:$demo/line-a.sock" \
  --fixture "line-b=unix:$demo/line-b.sock" --ca-key "$P;object=pki-factory" \
  --ca-cert "$demo/factory.pem" --chain "$demo/root.pem" --db "$demo/pki.db" \
  --ledger "$demo/audit.ledger" --ledger-key "$P;object=ledger" --count 6 --lock \
  && echo "exit 0" || echo "exit $? - line-b's units were quarantined: they claimed a lock they did not do"

say "A real chip: QEMU's nRF51 (micro:bit) provisioned through its GDB stub, and locked"
# No firmware on the chip: the station runs the device agent on this host
# over the GDB remote protocol, programs the flash with a routine run in the
# chip's RAM, and sets UICR RBPCONF (docs/provisioning.md section 12).
T=$demo
. "$root/tests/provision/qemu_lib.sh" # QEMU started halted on a free port, with an idle firmware
qemu_start
sims+=("$QEMU_PID")
"$S" station run --profile nrf51 --fixture "microbit=gdb:$QEMU_GDB" \
  --ca-key "$P;object=pki-factory" --ca-cert "$demo/factory.pem" --chain "$demo/root.pem" \
  --db "$demo/pki.db" --ledger "$demo/audit.ledger" --ledger-key "$P;object=ledger" --lock \
  && echo "exit 0"

"$S" ledger verify --ledger "$demo/audit.ledger" --pubkey "$demo/ledger.pub.pem"
"$S" ledger report --ledger "$demo/audit.ledger" --html "$demo/audit.html" --pubkey "$demo/ledger.pub.pem"

say "Evidence packs for an auditor: the release and the units, each record proved, checked offline"
rm -rf "$demo/pack-release" "$demo/pack-units"
"$S" evidence --release "$demo/release-1.6.sgn" --trust-root "$demo/root.pem" \
  --ledger "$demo/audit.ledger" --ledger-pubkey "$demo/ledger.pub.pem" --out "$demo/pack-release"
"$S" evidence --units --ledger "$demo/audit.ledger" --ledger-pubkey "$demo/ledger.pub.pem" \
  --out "$demo/pack-units"
"$S" evidence verify --pubkey "$demo/ledger.pub.pem" "$demo/pack-release" && echo "pack-release verified"
"$S" evidence verify --pubkey "$demo/ledger.pub.pem" "$demo/pack-units" && echo "pack-units verified"

cat <<MSG

What just happened:
  1. A SoftHSM2 token was created in .demo/tokens, standing in for a hardware HSM.
  2. An ECDSA P-256 key pair was generated inside it; the private key cannot leave it.
  3. A 48,000-byte Intel HEX firmware was signed into .demo/app.sgn: signet hashed the
     payload on the host (SHA-256), the token signed the envelope's header and protected
     metadata (version 1.4.0+17, security counter 3, hardware id acme-gw-rev2, load
     address 0x08004000, payload digest, build time).
  4. signet verify checked structure, digest, signature and policy, exactly as a device
     running formats/verifier.c would, and refused the image for a device whose
     anti-rollback counter is already 4.
  5. A release with its CycloneDX SBOM bound into the signed metadata needed two of
     three approvers: one signature was refused, a co-signature added in place made it
     valid, and verify --sbom checked that the SBOM is the one bound.
  6. The same firmware became an MCUboot image (header, TLVs, Ed25519 signature over the
     image digest) that MCUboot's bootutil accepts, signed by a key in the token.
  7. A device PKI with its CA keys in the token: a root, a factory CA, an IEEE 802.1AR
     device certificate (IDevID) for a key whose CSR openssl made, recorded in an SQLite
     database with a CRL; openssl verify (strict, CRL checked) accepts the device
     certificate. Then 20 more devices in one batch process.
  8. Release keys certified under the same root: each approver's signature carries its
     certificate chain, so a device holding only the root certificate requires two of
     them; a key can be rotated or revoked without touching the device. See docs/pki.md.
  9. A release, a device certificate and a CRL recorded by signet itself in a
     tamper-evident audit ledger (an RFC 9162 Merkle log in SQLite), a checkpoint signed by
     an Ed25519 key in the token, a proof file anyone with the public key checks offline,
     the log as C2SP tlog-tiles (.demo/tiles). See docs/ledger.md.
 10. A factory station provisioned six simulated devices on two fixtures: each made its
     key pair on the device, got its IDevID from the CA key in the token, had everything
     read back and a challenge signed, and was locked; those on the fixture whose
     devices fake their lock were quarantined. Every step is in the ledger, and the
     auditor's page (.demo/audit.html) shows the units. See docs/provisioning.md.
 11. A real chip model, QEMU's nRF51: through its GDB stub the station read its FICR
     identity, wrote its certificate, chain and injected key into flash pages with a
     routine run on the chip's own CPU, read them back and set readback protection in
     UICR, all recorded in the same ledger. The same profile drives a J-Link, OpenOCD or
     a CMSIS-DAP probe on a real board.
 12. Two evidence packs for a conformity assessment (.demo/pack-release, .demo/pack-units):
     the release with its inspection, certificate chain checked against the root, and the
     ledger checkpoint with an inclusion proof of each record; the station's units counted
     per status, station and day, each record proved; signet's own version and SBOM. Each
     has an index.json and an index.html, and signet evidence verify re-checks it all
     offline. See docs/evidence.md and docs/threat-model.md.
The format is specified in docs/envelope.md.
MSG

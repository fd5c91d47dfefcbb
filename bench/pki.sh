#!/usr/bin/env bash
# Device certificate issuance throughput: `signet pki issue --csr-dir`
# issuing N idevid certificates (default 10,000) in ONE process with a
# SoftHSM2 P-256 CA key and the issuance database, against the usual
# script: one `openssl x509 -req -CA ca.pem -CAkey ca.key` process per
# certificate (software CA key, same CSRs, same extensions, no database).
# The openssl loop is timed over M CSRs (default 500) and scaled to a rate.
# Prints certificates per second for both and the ratio. Targets: signet
# >= 1,000 certificates/s and >= 20x the openssl loop.
# Not a test: numbers only. Usage: bench/pki.sh [N] [M];
# SIGNET=path uses an existing binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
m=${2:-500}
if [ -z "${SIGNET:-}" ]; then
  ./scripts/setup-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" --target signet >/dev/null
fi
S="${SIGNET:-$PWD/build/cli/signet}"

W=$(mktemp -d "$PWD/.bench-XXXXXX") # on the project's disk, like real outputs
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/tokens" "$W/csr" "$W/out" "$W/ossl"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" \
  >"$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf" SIGNET_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
unset SOURCE_DATE_EPOCH
(umask 077 && printf '1234\n' >"$W/pin") # a PIN file must be private
softhsm2-util --init-token --free --label bench --so-pin 000000 --pin 1234 >/dev/null
U="pkcs11:token=bench;pin-source=file:$W/pin"
HW=1.3.6.1.4.1.99999.1.2

# ---- N device CSRs (P-256), made up front: not part of either timing
echo "making $n CSRs ..." >&2
if python3 -c 'import cryptography' 2>/dev/null; then
  python3 - "$W/csr" "$n" <<'EOF'
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    k = ec.generate_private_key(ec.SECP256R1())
    req = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device")]))
           .sign(k, hashes.SHA256()))
    with open(f"{d}/SN{i:06d}.csr", "wb") as f:
        f.write(req.public_bytes(serialization.Encoding.PEM))
EOF
else # slower, same result
  for i in $(seq 0 $((n - 1))); do
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
      -subj /CN=device -out "$W/csr/$(printf 'SN%06d' "$i").csr" 2>/dev/null
  done
fi

# ---- signet: root and factory CA in the token, then one batch process
for k in root factory; do "$S" hsm keygen --type ecdsa-p256 --key "$U;object=$k" 2>/dev/null; done
"$S" pki init-root --key "$U;object=root" --subject /CN=Bench\ Root --validity 3650 \
  --db "$W/db" -o "$W/root.pem" 2>/dev/null
"$S" pki init-ca --key "$U;object=factory" --ca-key "$U;object=root" --ca-cert "$W/root.pem" \
  --profile factory-ca --subject /CN=Bench\ Factory\ CA --db "$W/db" -o "$W/factory.pem" 2>/dev/null
sync
a=$(date +%s%N)
"$S" pki issue --ca-key "$U;object=factory" --ca-cert "$W/factory.pem" --profile idevid \
  --hw-type "$HW" --subject "/CN=Bench Device/O=Acme" --db "$W/db" \
  --csr-dir "$W/csr" --out-dir "$W/out" 2>"$W/signet.err"
b=$(date +%s%N)
got=$(find "$W/out" -name '*.pem' | wc -l)
[ "$got" = "$n" ] || { echo "signet issued $got of $n: $(tail -2 "$W/signet.err")" >&2; exit 1; }
openssl verify -x509_strict -CAfile "$W/root.pem" -untrusted "$W/factory.pem" \
  "$W/out/SN000000.pem" "$W/out/$(printf 'SN%06d' $((n - 1))).pem" >/dev/null
signet_s=$(awk "BEGIN{print ($b - $a) / 1e9}")
signet_rate=$(awk "BEGIN{printf \"%.0f\", $n / $signet_s}")

# ---- openssl: a software CA key, one process per certificate
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/ca.key" 2>/dev/null
openssl req -new -x509 -key "$W/ca.key" -subj /CN=Bench\ OpenSSL\ CA -days 3650 \
  -addext basicConstraints=critical,CA:TRUE,pathlen:0 -addext keyUsage=critical,keyCertSign,cRLSign \
  -out "$W/ca.pem" 2>/dev/null
cat >"$W/ext.cnf" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = otherName:1.3.6.1.5.5.7.8.4;SEQUENCE:hmn
[hmn]
type = OID:$HW
serial = FORMAT:ASCII,OCTETSTRING:@SN@
EOF
sync
a=$(date +%s%N)
i=0
for f in "$W"/csr/*.csr; do
  [ "$i" -lt "$m" ] || break
  sn=${f##*/}
  sn=${sn%.csr}
  ext=$(<"$W/ext.cnf") # the device serial goes into the SAN too (no extra process)
  printf '%s\n' "${ext//@SN@/$sn}" >"$W/ext-dev.cnf"
  openssl x509 -req -in "$f" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAserial "$W/ca.srl" -CAcreateserial \
    -days 365 -subj "/CN=Bench Device/O=Acme/serialNumber=$sn" -extfile "$W/ext-dev.cnf" \
    -out "$W/ossl/$sn.pem" 2>/dev/null
  i=$((i + 1))
done
b=$(date +%s%N)
ossl_s=$(awk "BEGIN{print ($b - $a) / 1e9}")
ossl_rate=$(awk "BEGIN{printf \"%.0f\", $m / $ossl_s}")

printf '%-58s %8s %12s\n' "" "certs" "certs/s"
printf '%-58s %8d %12s\n' "signet pki issue --csr-dir (SoftHSM2 P-256 CA, SQLite DB)" "$n" "$signet_rate"
echo "(signet signs on $(nproc) threads, its default --jobs, each with its own token session)"
printf '%-58s %8d %12s\n' "openssl x509 -req, one process per cert (software key)" "$m" "$ossl_rate"
echo "(the openssl loop ran $m certificates; its rate is scaled to per-second, not run for $n)"
echo "signet: $n certificates in $(printf '%.2f' "$signet_s") s; openssl: $m in $(printf '%.2f' "$ossl_s") s"
printf 'ratio: %.1fx   (targets: >= 1000 certs/s, >= 20x)\n' \
  "$(awk "BEGIN{print $signet_rate / $ossl_rate}")"

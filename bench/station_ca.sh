# Sourced by the station benchmarks: a SoftHSM2 token in $W with a root and
# a factory CA, an issuance database and a ledger. Needs S (the signet
# binary) and W (the work directory); sets U (the token's URI).
mkdir "$W/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" \
  >"$W/softhsm2.conf"
export SOFTHSM2_CONF=$W/softhsm2.conf SIGNET_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
unset SIGNET_PIN SOURCE_DATE_EPOCH
printf '1234\n' >"$W/pin"
chmod 600 "$W/pin"
softhsm2-util --init-token --free --label ca --so-pin 000000 --pin 1234 >/dev/null
U="pkcs11:token=ca;pin-source=file:$W/pin"
for k in root factory; do "$S" hsm keygen --type ecdsa-p256 --key "$U;object=$k" 2>/dev/null; done
"$S" pki init-root --key "$U;object=root" --subject /CN=Root --validity 3650 --db "$W/i.db" \
  -o "$W/root.pem" 2>/dev/null
"$S" pki init-ca --key "$U;object=factory" --issuer-key "$U;object=root" --issuer-cert \
  "$W/root.pem" --profile factory-ca --subject /CN=Factory --db "$W/i.db" -o "$W/ca.pem" 2>/dev/null
"$S" ledger init --ledger "$W/l.ledger" --origin bench.example/station 2>/dev/null

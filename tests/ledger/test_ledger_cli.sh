#!/usr/bin/env bash
# signet ledger end to end with a real SoftHSM2 token and real SQLite files:
# init, append (good and refused records), signed checkpoints (Ed25519 and
# ECDSA P-256), verify, proofs checked offline, consistency, show, export
# with an auditor's own script recomputing the root, and tampering of
# every kind found and located.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
new_token ledger
U="pkcs11:token=ledger;pin-source=file:$PINFILE"
export SOURCE_DATE_EPOCH=1795000000 # 2026-11-19T...Z: records get this time
L="$T/factory.ledger"

for t in ed25519 ecdsa-p256; do
  "$S" hsm keygen --type "$t" --key "$U;object=log-$t" 2>/dev/null
  "$S" hsm pubkey --key "$U;object=log-$t" -o "$T/log-$t.pem"
done

# ---- init
expect 2 "origin" "$S" ledger init --ledger "$L" --origin "bad origin"
no_output "$L"
expect 0 "created ledger" "$S" ledger init --ledger "$L" --origin factory.example/line-1
expect 2 "" "$S" ledger init --ledger "$L" --origin factory.example/line-1 # exists

# ---- append: good records of several types, refused ones leave nothing
serial=00aabbccddeeff00112233445566778899
der=$(printf 'cert' | sha256sum | cut -c1-64)
expect 0 "record 0 (cert.issued)" "$S" ledger append --ledger "$L" --type cert.issued \
  --json "{\"serial\":\"$serial\",\"profile\":\"idevid\",\"subject\":\"CN=d1\",\"der_sha256\":\"$der\",\"issuer_key_id\":\"0102\",\"device\":\"SN-0001\"}"
grep -F '"index":0' "$T/out.txt" >/dev/null && ok || bad "append prints the record"
for i in 1 2 3 4; do
  expect 0 "record $i (unit.locked)" "$S" ledger append --ledger "$L" --type unit.locked \
    --json "{\"unit\":\"u$i\",\"device\":\"SN-000$i\",\"lock_bits\":7,\"lock\":\"approtect\"}"
done
cp "$L" "$T/before"
expect 2 "" "$S" ledger append --ledger "$L" --type unit.locked --json '{"unit":"u5"}'          # missing device
expect 2 "" "$S" ledger append --ledger "$L" --type unit.locked --json '{"unit":"u5","device":"d","pin":"1234"}' # unknown key
expect 2 "" "$S" ledger append --ledger "$L" --type no.such --json '{}'
expect 2 "" "$S" ledger append --ledger "$L" --type unit.locked --json '{"unit":"u5",'
expect 2 "" "$S" ledger append --ledger "$L" --type unit.locked --json '{"unit":1.5,"device":"d"}'
cmp -s "$L" "$T/before" && ok || bad "a refused record changed the ledger file"

# ---- checkpoints with both key types; verify
expect 0 "" "$S" ledger checkpoint --ledger "$L" --key "$U;object=log-ed25519"
cp "$T/out.txt" "$T/cp5.note"
head -1 "$T/cp5.note" | grep -Fx factory.example/line-1 >/dev/null && ok || bad "checkpoint origin line"
sed -n 2p "$T/cp5.note" | grep -Fx 5 >/dev/null && ok || bad "checkpoint size line"
expect 0 "5 records and 1 checkpoints verified" "$S" ledger verify --ledger "$L" --pubkey "$T/log-ed25519.pem"
expect 1 "" "$S" ledger verify --ledger "$L" --pubkey "$T/log-ecdsa-p256.pem"
for i in 5 6 7; do
  "$S" ledger append --ledger "$L" --type unit.failed --json "{\"unit\":\"u$i\",\"step\":\"verify\",\"reason\":\"flash-verify\"}" >/dev/null 2>&1
done
expect 0 "" "$S" ledger checkpoint --ledger "$L" --key "$U;object=log-ecdsa-p256"
cp "$T/out.txt" "$T/cp8.note"
expect 0 "8 records and 2 checkpoints verified" "$S" ledger verify --ledger "$L" \
  --pubkey "$T/log-ed25519.pem" --pubkey "$T/log-ecdsa-p256.pem" --checkpoint "$T/cp5.note"

# ---- proofs, checked offline with the public key alone
expect 0 "" "$S" ledger prove --ledger "$L" --serial "$serial" -o "$T/serial.proof"
expect 0 "record 0 is in factory.example/line-1's log of 8 records" \
  "$S" ledger check-proof --pubkey "$T/log-ecdsa-p256.pem" "$T/serial.proof"
expect 1 "" "$S" ledger check-proof --pubkey "$T/log-ed25519.pem" "$T/serial.proof"
expect 0 "" "$S" ledger prove --ledger "$L" --device SN-0003
cp "$T/out.txt" "$T/device.proof"
expect 0 "record 3 is in" "$S" ledger check-proof --pubkey "$T/log-ecdsa-p256.pem" "$T/device.proof"
expect 0 "" "$S" ledger prove --ledger "$L" --index 7 -o "$T/i7.proof"
expect 0 "record 7 is in" "$S" ledger check-proof --pubkey "$T/log-ecdsa-p256.pem" "$T/i7.proof"
expect 0 "" "$S" ledger prove --ledger "$L" --digest "$der" -o "$T/digest.proof"
cmp -s "$T/digest.proof" "$T/serial.proof" && ok || bad "--digest finds the certificate's record"
expect 1 "no record with device SN-9999" "$S" ledger prove --ledger "$L" --device SN-9999
"$S" ledger append --ledger "$L" --type unit.locked --json '{"unit":"u9","device":"SN-0009","lock_bits":7,"lock":"approtect"}' >/dev/null 2>&1
expect 1 "no record with device SN-0009 in the first 8 records" "$S" ledger prove --ledger "$L" --device SN-0009
expect 1 "not in the latest checkpoint" "$S" ledger prove --ledger "$L" --index 8
# a proof with any part changed is refused
python3 - "$T/i7.proof" "$T" <<'PY'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
def save(name, ls): open(sys.argv[2] + "/" + name, "w").write("\n".join(ls))
for i, l in enumerate(lines):
    k, _, v = l.partition(" ")
    if k in ("record", "leaf-hash", "path", "checkpoint"):
        b = bytearray(base64.b64decode(v)); b[len(b) // 2] ^= 1
        m = list(lines); m[i] = k + " " + base64.b64encode(bytes(b)).decode()
        save("bad-%s-%d.proof" % (k, i), m)
    if k == "index":
        m = list(lines); m[i] = "index 6"; save("bad-index.proof", m)
PY
for f in "$T"/bad-*.proof; do
  rc=0; "$S" ledger check-proof --pubkey "$T/log-ecdsa-p256.pem" "$f" >/dev/null 2>&1 || rc=$?
  [ "$rc" = 1 ] || [ "$rc" = 2 ] && ok || bad "$(basename "$f"): exit $rc, wanted 1 or 2"
  [ "$rc" = 0 ] && bad "$(basename "$f") accepted"
done

# ---- consistency
expect 0 "" "$S" ledger consistency --ledger "$L" --from "$T/cp5.note" -o "$T/c.proof"
expect 0 "log of 5 records is a prefix of its log of 8" \
  "$S" ledger check-proof --pubkey "$T/log-ed25519.pem" --pubkey "$T/log-ecdsa-p256.pem" "$T/c.proof"
expect 1 "" "$S" ledger check-proof --pubkey "$T/log-ecdsa-p256.pem" "$T/c.proof" # old one is Ed25519

# ---- show and export; an auditor's script recomputes the root
expect 0 "" "$S" ledger show --ledger "$L" --status fail
[ "$(wc -l <"$T/out.txt")" = 3 ] && ok || bad "show --status fail: $(cat "$T/out.txt")"
expect 0 "" "$S" ledger show --ledger "$L" --device SN-0001 --json
[ "$(wc -l <"$T/out.txt")" = 2 ] && ok || bad "show --device: $(cat "$T/out.txt")"
expect 0 "" "$S" ledger export --ledger "$L" --format jsonl -o "$T/log.jsonl"
[ "$(wc -l <"$T/log.jsonl")" = 9 ] && ok || bad "export: 9 lines"
python3 "$SIGNET_SOURCE_DIR/docs/ledger-root.py" "$T/log.jsonl" 8 >"$T/root.txt"
sed -n 2,3p "$T/cp8.note" | cmp -s - "$T/root.txt" && ok || bad "the auditor's root: $(cat "$T/root.txt")"
expect 0 "" "$S" ledger export --ledger "$L" --format csv -o "$T/log.csv"
python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); assert r[0]==["index","time","origin","type","record"] and len(r)==10, r' "$T/log.csv" && ok || bad "csv"

# ---- tampering: each found, and located
tamper() { # name sql...
  cp "$L" "$T/t.ledger"
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [c.execute(s) for s in sys.argv[2:]]; c.commit()' "$T/t.ledger" "${@:2}"
}
tamper flip "UPDATE records SET leaf = CAST(replace(CAST(leaf AS TEXT), 'u2', 'u7') AS BLOB) WHERE idx = 2"
expect 1 "record 2" "$S" ledger verify --ledger "$T/t.ledger" --pubkey "$T/log-ed25519.pem" --pubkey "$T/log-ecdsa-p256.pem"
tamper delete "DELETE FROM records WHERE idx = 8"
expect 1 "" "$S" ledger verify --ledger "$T/t.ledger" --pubkey "$T/log-ed25519.pem" --pubkey "$T/log-ecdsa-p256.pem"
tamper forge "UPDATE checkpoints SET note = replace(note, char(10) || '8' || char(10), char(10) || '7' || char(10)) WHERE size = 8"
expect 1 "checkpoint" "$S" ledger verify --ledger "$T/t.ledger" --pubkey "$T/log-ed25519.pem" --pubkey "$T/log-ecdsa-p256.pem"
finish

#!/usr/bin/env bash
# pki init-root, init-ca, issue (one and --csr-dir), revoke and crl with
# --ledger: one record each, fields checked against openssl and the
# database; --ledger needs --db; the database and the ledger agree after a
# crash between the commit and the append (simulated by putting back the
# owed row, and by kill -9 at random moments in test_ledger_wire_pki_kill),
# and no record is ever appended twice; a version 1 database is upgraded.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
new_token ca
U="pkcs11:token=ca;pin-source=file:$PINFILE"
HW=1.3.6.1.4.1.99999.1.2
export SOURCE_DATE_EPOCH=1795000000
L="$T/pki.ledger"
DB="$T/pki.db"
token_keys "$U" root factory
"$S" ledger init --ledger "$L" --origin pki.example/log 2>/dev/null
csr() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
  -subj "/CN=x" -out "$2" 2>/dev/null; }
mkdir "$T/csrs" "$T/out"
for d in SN-1 SN-2 SN-3; do csr "$d" "$T/csrs/$d.csr"; done
csr one "$T/one.csr"

jsonl() { "$S" ledger export --ledger "$L" --format jsonl; }
size() { jsonl | wc -l; }
rec() { jsonl | sed -n "$(($1 + 1))p"; }
check() { # INDEX JQ WANT
  local got
  got=$(rec "$1" | jq -r "$2")
  [ "$got" = "$3" ] && ok || bad "record $1: $2 is '$got', wanted '$3'"
}
der_sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
F=(--ca-key "$U;object=factory" --ca-cert "$T/factory.pem")

# ---- usage
expect 2 "--ledger needs --db" "$S" pki init-root --key "$U;object=root" --subject /CN=R \
  --validity 3650 --ledger "$L" -o "$T/root.pem"
expect 2 "--ledger-key goes with --ledger" "$S" pki revoke --db "$DB" --serial 01 \
  --ledger-key "$U;object=log"
expect 2 "list takes no --ledger" "$S" pki list --db "$DB" --ledger "$L"
expect 2 "not found" "$S" pki init-root --key "$U;object=root" --subject /CN=R --validity 3650 \
  --db "$DB" --ledger "$L" --ledger-key "$U;object=nolog" -o "$T/root.pem"
[ ! -e "$T/root.pem" ] && ok || bad "a bad --ledger-key issued a root"
[ "$(size)" = 0 ] && ok || bad "usage errors appended records"

# ---- a root and a CA
expect 0 "" "$S" pki init-root --key "$U;object=root" --subject "/CN=Acme Root/O=Acme" \
  --validity 3650 --db "$DB" --ledger "$L" -o "$T/root.pem"
expect 0 "" "$S" pki init-ca --key "$U;object=factory" --issuer-key "$U;object=root" \
  --issuer-cert "$T/root.pem" --profile factory-ca --subject "/CN=Acme Factory/O=Acme" \
  --db "$DB" --ledger "$L" -o "$T/factory.pem"
check 0 .type cert.issued
check 0 .profile root
check 0 .serial "$(serial_of "$T/root.pem")"
check 0 .der_sha256 "$(der_sha256 "$T/root.pem")"
check 1 .profile factory-ca
check 1 .subject "$(openssl x509 -in "$T/factory.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
root_ski=$(openssl x509 -in "$T/root.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)
check 0 .issuer_key_id "$root_ski"
check 1 .issuer_key_id "$root_ski"

# ---- one device certificate, then its reissue
expect 0 "" "$S" pki issue "${F[@]}" --csr "$T/one.csr" --profile idevid --serial-number SN-9 \
  --hw-type "$HW" --db "$DB" --ledger "$L" -o "$T/one.pem"
check 2 .device SN-9
check 2 .der_sha256 "$(der_sha256 "$T/one.pem")"
check 2 .not_before "$(date -u -d @1795000000 +%Y-%m-%dT%H:%M:%SZ)"
check 2 .time "$(date -u -d @1795000000 +%Y-%m-%dT%H:%M:%SZ)"
expect 0 "" "$S" pki issue "${F[@]}" --csr "$T/one.csr" --profile idevid --serial-number SN-9 \
  --hw-type "$HW" --db "$DB" --reissue --ledger "$L" -o "$T/one2.pem"
check 3 .supersedes "$(serial_of "$T/one.pem")"
# a refused issuance appends nothing
expect 1 "" "$S" pki issue "${F[@]}" --csr "$T/one.csr" --profile idevid --serial-number SN-9 \
  --hw-type "$HW" --db "$DB" --ledger "$L" -o "$T/one3.pem"
[ "$(size)" = 4 ] && ok || bad "a refused issue appended a record"

# ---- a batch: one record per certificate, one ledger transaction
expect 0 "" "$S" pki issue "${F[@]}" --csr-dir "$T/csrs" --out-dir "$T/out" --profile idevid \
  --hw-type "$HW" --db "$DB" --ledger "$L"
grep -q "records 4 to 6 appended" "$T/err.txt" && ok || bad "batch: $(cat "$T/err.txt")"
for i in 1 2 3; do check $((3 + i)) .device "SN-$i"; done
check 5 .der_sha256 "$(der_sha256 "$T/out/SN-2.pem")"

# ---- revoke and crl, with a checkpoint
sn=$(serial_of "$T/out/SN-2.pem")
expect 0 "" "$S" pki revoke --db "$DB" --serial "$(echo "$sn" | tr a-f A-F)" --reason keyCompromise \
  --ledger "$L" --ledger-key "$U;object=log"
check 7 .type cert.revoked
check 7 .serial "$sn"
check 7 .reason keyCompromise
check 7 .issuer_key_id "$(openssl x509 -in "$T/factory.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)"
grep -q "checkpoint of 8 records stored" "$T/err.txt" && ok || bad "revoke cut no checkpoint"
expect 1 "already revoked" "$S" pki revoke --db "$DB" --serial "$sn" --ledger "$L"
expect 0 "" "$S" pki crl "${F[@]}" --db "$DB" --ledger "$L" -o "$T/f.crl"
check 8 .type crl.issued
check 8 .count 1
check 8 .crl_number 1
check 8 .der_sha256 "$(openssl crl -in "$T/f.crl" -outform DER | sha256sum | cut -d' ' -f1)"
[ "$(size)" = 9 ] && ok || bad "wanted 9 records, have $(size)"
expect 0 "9 records and 1 checkpoints verified" "$S" ledger verify --ledger "$L" --pubkey "$T/log.pem"

# ---- a crash after the append, before the owed row was deleted: the row
# is put back as it was; the next run finds the record and appends no copy
sqlite3 "$DB" "SELECT count(*) FROM ledger_owed" | grep -qx 0 && ok || bad "rows still owed"
row=$(rec 8 | jq -c 'del(.index, .time, .origin, .type)')
sqlite3 "$DB" "INSERT INTO ledger_owed (ledger, from_index, time, type, fields, ref) VALUES
  ('pki.example/log', 8, 1795000000, 'crl.issued', '$row', 'crl:x:1')"
expect 0 "" "$S" pki revoke --db "$DB" --serial "$(serial_of "$T/out/SN-3.pem")" --ledger "$L"
[ "$(size)" = 10 ] && ok || bad "the owed CRL record was appended again ($(size) records)"
check 9 .type cert.revoked
sqlite3 "$DB" "SELECT count(*) FROM ledger_owed" | grep -qx 0 && ok || bad "the settled row is still owed"

# ---- a crash after the commit, before the append: the row stays owed, and
# the next run (any pki --ledger command) appends it first
sn1=$(serial_of "$T/out/SN-1.pem")
"$S" pki revoke --db "$DB" --serial "$sn1" 2>/dev/null # no --ledger: nothing owed
sqlite3 "$DB" "INSERT INTO ledger_owed (ledger, from_index, time, type, fields, ref) VALUES
  ('pki.example/log', 10, 1795000000, 'cert.revoked',
   '{\"reason\":\"unspecified\",\"revoked_at\":\"2026-11-18T09:06:40Z\",\"serial\":\"$sn1\"}', '$sn1')"
expect 0 "" "$S" pki crl "${F[@]}" --db "$DB" --ledger "$L" -o "$T/f2.crl"
check 10 .type cert.revoked
check 10 .serial "$sn1"
check 11 .type crl.issued
check 11 .crl_number 2
# rows owed to another ledger stay owed
"$S" ledger init --ledger "$T/other.ledger" --origin other.example/log 2>/dev/null
expect 0 "" "$S" pki crl "${F[@]}" --db "$DB" --ledger "$T/other.ledger" -o "$T/f3.crl"
sqlite3 "$DB" "SELECT count(*) FROM ledger_owed" | grep -qx 0 && ok || bad "rows still owed"
[ "$(size)" = 12 ] && ok || bad "another ledger's run wrote to this one"

# ---- the ledger holds what the database holds: every certificate once
db_serials=$("$S" pki list --db "$DB" --json | jq -r '.[].serial' | sort)
ledger_serials=$(jsonl | jq -r 'select(.type == "cert.issued") | .serial' | sort)
[ "$db_serials" = "$ledger_serials" ] && ok || bad "database and ledger disagree"

# ---- a version 1 database is upgraded when opened
sqlite3 "$T/v1.db" "PRAGMA application_id=1397182539; PRAGMA user_version=1;
  CREATE TABLE certs (id INTEGER PRIMARY KEY, serial TEXT NOT NULL UNIQUE, subject TEXT NOT NULL,
  profile TEXT NOT NULL, device_serial TEXT, key_id TEXT NOT NULL, issuer TEXT NOT NULL,
  issuer_key_id TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,
  issued_at INTEGER NOT NULL, der BLOB NOT NULL, superseded_by TEXT, revoked_at INTEGER,
  reason INTEGER);
  CREATE TABLE crl_numbers (issuer_key_id TEXT PRIMARY KEY, last INTEGER NOT NULL);"
expect 0 "" "$S" pki crl "${F[@]}" --db "$T/v1.db" --ledger "$L" -o "$T/v1.crl"
[ "$(sqlite3 "$T/v1.db" "PRAGMA user_version")" = 3 ] && ok || bad "the database was not upgraded"
expect 0 "13 records and 1 checkpoints verified" "$S" ledger verify --ledger "$L" --pubkey "$T/log.pem"
finish

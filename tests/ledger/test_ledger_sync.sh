#!/usr/bin/env bash
# signet ledger sync and verify --from against a real PostgreSQL server
# (pg_fixture.sh): two stations into one server; a rerun uploads nothing;
# a fork, a changed record and a device locked at two stations are refused
# with nothing changed on the server; verify --from audits one station from
# the central copy alone and finds a record changed there; a sync killed
# with kill -9 resumes.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/pg_fixture.sh"
FILL=${LEDGER_FILL:?set LEDGER_FILL to tests/ledger/ledger_fill}
new_token sync
U="pkcs11:token=sync;pin-source=file:$PINFILE"
token_keys "$U"
export SOURCE_DATE_EPOCH=1795000000
pg_start
count() { "${PSQL[@]}" -d signet -At -c "SELECT count(*) FROM signet_records WHERE origin = '$1'"; }
station() { # ledger origin records
  "$S" ledger init --ledger "$1" --origin "$2" >/dev/null 2>&1
  "$FILL" "$1" "$3"
}
locked() { # ledger device
  "$S" ledger append --ledger "$1" --type unit.locked --json "{\"unit\":\"u-$2\",\"device\":\"$2\",\"lock_bits\":7,\"lock\":\"approtect\"}" >/dev/null
}
cp_() { "$S" ledger checkpoint --ledger "$1" --key "$U;object=log" >/dev/null; }
copy_ledger() { # a consistent copy of a WAL-mode SQLite file
  python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' "$1" "$2"
}

# ---- two stations, one server
expect 1 "holds no signet ledgers" "$S" ledger verify --from "$PGURL" --origin line-a --pubkey "$T/log.pem"
station "$T/a.ledger" line-a 2500
locked "$T/a.ledger" 0a0b0c0d
cp_ "$T/a.ledger"
station "$T/b.ledger" line-b 300
locked "$T/b.ledger" 1a1b1c1d
cp_ "$T/b.ledger"
station "$T/none.ledger" line-none 3
expect 1 "no checkpoint" "$S" ledger sync --ledger "$T/none.ledger" --to "$PGURL"
expect 0 "" "$S" ledger sync --ledger "$T/a.ledger" --to "$PGURL"
grep -qF "records 0..2501 of 'line-a'" "$T/out.txt" && grep -qF "2501 uploaded, 1 checkpoints" "$T/out.txt" &&
  ok || bad "first sync: $(cat "$T/out.txt")"
copy_ledger "$T/a.ledger" "$T/old.ledger"
expect 0 "" "$S" ledger sync --ledger "$T/b.ledger" --to "$PGURL"
[ "$(count line-a) $(count line-b)" = "2501 301" ] && ok || bad "server counts: $(count line-a) $(count line-b)"
# the password never shows: a URI with one names host, port and database only
expect 3 "cannot connect" "$S" ledger sync --ledger "$T/a.ledger" --to "postgresql://signet:s3cret-pw@127.0.0.1:1/signet"
grep -q s3cret "$T/err.txt" && bad "the password is in the message" || ok
# a malformed one: libpq quotes the string in its reason; the password must not follow
expect 2 "not a PostgreSQL connection string" "$S" ledger sync --ledger "$T/a.ledger" --to "postgresql://u:s3cret-pw@[::1/db"
grep -q s3cret "$T/err.txt" && bad "the password is in the message: $(cat "$T/err.txt")" || ok
expect 3 "cannot connect" "$S" ledger sync --ledger "$T/a.ledger" --to "postgresql://s3cret-user:s3cret-pw@s3cret-host.invalid/db?connect_timeout=2"
grep -q s3cret-pw "$T/err.txt" && bad "the password is in the message: $(cat "$T/err.txt")" || ok

# ---- a server schema of another version is refused, not written to
"${PSQL[@]}" -d signet -c "UPDATE signet_schema SET version = 2" >/dev/null
expect 3 "schema version 2, this signet knows 1" "$S" ledger sync --ledger "$T/a.ledger" --to "$PGURL"
expect 3 "schema version 2" "$S" ledger verify --from "$PGURL" --origin line-a --pubkey "$T/log.pem"
"${PSQL[@]}" -d signet -c "UPDATE signet_schema SET version = 1" >/dev/null

# ---- a rerun uploads nothing; new records upload only themselves
expect 0 "" "$S" ledger sync --ledger "$T/a.ledger" --to "$PGURL"
grep -qF ": 0 uploaded, 0 checkpoints" "$T/out.txt" && ok || bad "rerun: $(cat "$T/out.txt")"
"$FILL" "$T/a.ledger" 10
cp_ "$T/a.ledger"
"$FILL" "$T/a.ledger" 5 # after the checkpoint: stays local
expect 0 "" "$S" ledger sync --ledger "$T/a.ledger" --to "$PGURL"
grep -qF "records 2501..2511 of 'line-a'" "$T/out.txt" && ok || bad "delta sync: $(cat "$T/out.txt")"
[ "$(count line-a)" = 2511 ] && ok || bad "server holds $(count line-a) records of line-a"

# ---- verify --from: the central copy alone
expect 0 "2511 records and 2 checkpoints verified" "$S" ledger verify --from "$PGURL" --origin line-a --pubkey "$T/log.pem"
expect 0 "301 records and 1 checkpoints verified" "$S" ledger verify --from "$PGURL" --origin line-b --pubkey "$T/log.pem"
expect 1 "no checkpoint of 'line-z'" "$S" ledger verify --from "$PGURL" --origin line-z --pubkey "$T/log.pem"
expect 2 "--origin" "$S" ledger verify --from "$PGURL" --pubkey "$T/log.pem"

# ---- a device locked at two stations: the batch is refused, nothing kept
station "$T/c.ledger" line-c 20
locked "$T/c.ledger" 0a0b0c0d
cp_ "$T/c.ledger"
expect 1 "record 20 of 'line-c': device 0a0b0c0d is already in record 2500 of 'line-a'" \
  "$S" ledger sync --ledger "$T/c.ledger" --to "$PGURL"
[ "$(count line-c)" = 0 ] && ok || bad "a refused batch left $(count line-c) records"

# ---- a fork: another ledger under line-a's origin (ledger_fill writes the same
# records for the same origin and index: the two part at record 2500)
station "$T/fork.ledger" line-a 3000
cp_ "$T/fork.ledger"
expect 1 "a fork: record 2500 of 'line-a' differs from the server's copy" \
  "$S" ledger sync --ledger "$T/fork.ledger" --to "$PGURL"
[ "$(count line-a)" = 2511 ] && ok || bad "a fork changed the server"
# an older copy of the station's ledger (a restored backup): the server is ahead
expect 1 "the server holds 2511 records of 'line-a', more than this ledger's latest checkpoint (2501)" \
  "$S" ledger sync --ledger "$T/old.ledger" --to "$PGURL"


# ---- a record changed after it was appended, before its upload
copy_ledger "$T/b.ledger" "$T/b2.ledger"
"$FILL" "$T/b2.ledger" 40
cp_ "$T/b2.ledger"
ledger_replace "$T/b2.ledger" 320 '"test"' '"tEst"'
expect 1 "record 320 was changed after it was appended" "$S" ledger sync --ledger "$T/b2.ledger" --to "$PGURL"
[ "$(count line-b)" = 301 ] && ok || bad "a changed record reached the server"

# ---- kill -9 during a sync: the server stays consistent, a rerun resumes
station "$T/d.ledger" line-d 40000
cp_ "$T/d.ledger"
"$S" ledger sync --ledger "$T/d.ledger" --to "$PGURL" >/dev/null 2>&1 &
pid=$!
sleep 0.4
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
n=$(count line-d)
state=$("${PSQL[@]}" -d signet -At -c "SELECT size FROM signet_ledgers WHERE origin = 'line-d'")
[ "$n" = "${state:-0}" ] && [ $((n % 1000)) = 0 -o "$n" = 40000 ] && ok ||
  bad "after kill -9: $n records, state size ${state:-none}"
expect 0 "" "$S" ledger sync --ledger "$T/d.ledger" --to "$PGURL"
grep -qF "records $n..40000 of 'line-d'" "$T/out.txt" && ok || bad "resume: $(cat "$T/out.txt") (had $n)"
expect 0 "40000 records and 1 checkpoints verified" "$S" ledger verify --from "$PGURL" --origin line-d --pubkey "$T/log.pem"

# ---- a record changed on the server: verify --from names it
"${PSQL[@]}" -d signet -c "UPDATE signet_records SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), 'test', 'tEst'), 'UTF8') WHERE origin = 'line-a' AND idx = 7" >/dev/null
expect 1 "record 7" "$S" ledger verify --from "$PGURL" --origin line-a --pubkey "$T/log.pem"
"${PSQL[@]}" -d signet -c "DELETE FROM signet_records WHERE origin = 'line-b' AND idx = 100" >/dev/null
expect 1 "record 100: missing from the central copy" "$S" ledger verify --from "$PGURL" --origin line-b --pubkey "$T/log.pem"
finish

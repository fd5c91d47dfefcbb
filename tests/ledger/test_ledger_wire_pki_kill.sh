#!/usr/bin/env bash
# kill -9 of `signet pki issue --ledger` (one certificate, and batches) at
# random moments and right when the certificate file appears (after the
# database commit, before the ledger append), many rounds; after each, the next `pki --ledger` run
# brings them to agree: every certificate in the database has exactly one
# cert.issued record, the ledger has none the database lacks, and it
# verifies. (Without the settling at the start of each run, the records a
# kill left owed never reach the ledger.)
#   WIRE_KILL_ROUNDS (default 30)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
new_token ca
U="pkcs11:token=ca;pin-source=file:$PINFILE"
L="$T/pki.ledger"
DB="$T/pki.db"
ROUNDS=${WIRE_KILL_ROUNDS:-30}
token_keys "$U" root code
"$S" ledger init --ledger "$L" --origin kill.example/log 2>/dev/null
"$S" pki init-root --key "$U;object=root" --subject /CN=Root --validity 3650 --db "$DB" \
  -o "$T/root.pem" 2>/dev/null
"$S" pki init-ca --key "$U;object=code" --issuer-key "$U;object=root" --issuer-cert "$T/root.pem" \
  --profile code-signing-ca --subject /CN=Code --db "$DB" -o "$T/code.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
  openssl pkey -pubout -out "$T/rel.pub.pem"

issue() { # OUT (stderr: the caller's)
  exec "$S" pki issue --ca-key "$U;object=code" --ca-cert "$T/code.pem" --pubkey "$T/rel.pub.pem" \
    --profile code-signing --subject /CN=Release --validity 30 --db "$DB" --ledger "$L" -o "$1"
}
# The database's certificates issued under --ledger (the root and CA were
# issued before, without) and the ledger's cert.issued serials: the same,
# each once.
agree() {
  local db ledger
  db=$("$S" pki list --db "$DB" --json | jq -r '.[] | select(.profile == "code-signing") | .serial' | sort)
  ledger=$("$S" ledger export --ledger "$L" --format jsonl | jq -r 'select(.type == "cert.issued") | .serial' | sort)
  [ "$db" = "$ledger" ] && ok || bad "$1: database and ledger disagree: $(diff <(echo "$db") <(echo "$ledger") | tr '\n' ' ')"
  "$S" ledger verify --ledger "$L" --pubkey "$T/log.pem" >/dev/null 2>"$T/verify.txt" && ok ||
    bad "$1: the ledger does not verify: $(cat "$T/verify.txt")"
}

cp -a "$T/tokens" "$T/tokens.bak"
t0=$(date +%s%N)
(issue "$T/first.pem" 2>/dev/null) && ok || bad "pki issue --ledger failed"
ms=$((($(date +%s%N) - t0) / 1000000))
owed_after_kill=0
# round I RUN OUT WATCH SCALE: RUN OUT in the background, killed (odd I)
# as soon as WATCH appears or (even I) at a random moment of up to SCALE
# times a run; then RUN again to the end, into OUT.next, which settles
# what the kill left owed before its own; then the two must agree.
round() {
  local i=$1 run=$2 out=$3 watch=$4 scale=$5 pid
  ($run "$out" 2>/dev/null) &
  pid=$!
  if [ $((i % 2)) = 0 ]; then
    sleep "$(awk -v r="$RANDOM" -v ms="$ms" -v k="$scale" 'BEGIN { printf "%.3f", r / 32767 * ms * k / 1000 }')"
  else
    while kill -0 "$pid" 2>/dev/null && [ ! -e "$watch" ]; do :; done
  fi
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # SoftHSM2 may be killed in the middle of rewriting its token files: they
  # are the test's scaffolding, not what is under test, so put them back.
  rm -rf "$T/tokens" && cp -a "$T/tokens.bak" "$T/tokens"
  [ "$(sqlite3 "$DB" "SELECT count(*) FROM ledger_owed")" != 0 ] &&
    owed_after_kill=$((owed_after_kill + 1))
  ($run "$out.next" 2>"$T/next.err") && ok ||
    bad "$run round $i: the run after the kill failed: $(cat "$T/next.err")"
  agree "$run $i"
  rm -f "$T"/.*.signet-tmp-* 2>/dev/null || true
}
for i in $(seq 1 "$ROUNDS"); do
  round "$i" issue "$T/c-$i.pem" "$T/c-$i.pem" 1.2
done

# The same for batches (--csr-dir, one record per certificate), watching
# for the first certificate file.
mkdir "$T/csrs"
for n in a b c d; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj /CN=x -out "$T/csrs/$n.csr" 2>/dev/null
done
batch() { # OUT_DIR
  mkdir -p "$1"
  exec "$S" pki issue --ca-key "$U;object=code" --ca-cert "$T/code.pem" --csr-dir "$T/csrs" \
    --out-dir "$1" --profile code-signing --subject /CN=Batch --validity 30 --db "$DB" \
    --ledger "$L"
}
for i in $(seq 1 $((ROUNDS / 3))); do
  round "$i" batch "$T/b-$i" "$T/b-$i/a.pem" 2
done
# Some kills must have come between the commit and the append.
[ "$owed_after_kill" -gt 0 ] && ok || bad "no kill left a record owed: the rounds proved nothing"
echo "$ROUNDS rounds (a run: ${ms} ms), $owed_after_kill kills left records owed"
finish

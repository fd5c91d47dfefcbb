# A throwaway PostgreSQL server for tests (source it after tests/cli/lib.sh):
# pg_start makes a cluster in $T/pg, listening on a unix socket in that
# directory only (no TCP), trust authentication for the user "signet", a
# database "signet", and sets PGURL (a postgresql:// URI) and PSQL (psql
# with the right socket). As root the server runs as the "postgres" user
# (the server refuses to run as root). pg_stop stops it; the EXIT trap
# does so and removes $T.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PGDIR=
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() {
  [ -x "$PGBIN/initdb" ] || { echo "FAIL: no PostgreSQL server (Debian postgresql; scripts/setup-deps.sh)" >&2; exit 1; }
  PGDIR="$T/pg"
  mkdir -p "$PGDIR"
  if [ "$(id -u)" = 0 ]; then chmod 711 "$T"; chown postgres "$PGDIR"; fi
  local port=$((20000 + RANDOM % 30000))
  pg_as "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U signet --no-sync >"$T/pg-init.log" 2>&1 ||
    { echo "FAIL: initdb: $(tail -3 "$T/pg-init.log")" >&2; exit 1; }
  pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
    -o "-k $PGDIR -c listen_addresses= -p $port -c fsync=off" start >/dev/null ||
    { echo "FAIL: the PostgreSQL server did not start: $(tail -3 "$PGDIR/log")" >&2; exit 1; }
  PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$port" -U signet)
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE signet" >/dev/null
  PGURL="postgresql:///signet?host=$PGDIR&port=$port&user=signet"
}
pg_stop() {
  [ -n "$PGDIR" ] && [ -d "$PGDIR/data" ] && pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1
  PGDIR=
  return 0
}
trap 'pg_stop; rm -rf "$T"' EXIT

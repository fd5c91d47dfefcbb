#!/usr/bin/env bash
# Several fixtures in one station process (docs/provisioning.md §5): 24 units
# on 4 fixtures, each on its own thread with its own token session, database
# and ledger handles, sharing the UID registry and the ledger's index. Every
# unit passes, the indexes stay gap-free (the ledger verifies) and the
# invariants hold. Labelled tsan: scripts/test.sh also runs it with a
# ThreadSanitizer build of signet, which stops at the first data race.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/station_lib.sh"
fixtures=()
for i in 1 2 3 4; do
  sim "t$i" --uid "$(printf '2%d000000' "$i")" --units 12
  fixtures+=(--fixture "$(fx "t$i")")
done
rc=0
"$S" station run "${CA[@]}" "${fixtures[@]}" --count 24 --lock --json --ledger-key "$U;object=log" \
  >"$T/t.json" 2>"$T/t.err" || rc=$?
[ "$rc" = 0 ] && ok || bad "exit $rc: $(head -c 600 "$T/t.err")"
[ "$(results "$T/t.json" | awk '$4 == "pass"' | wc -l)" = 24 ] && ok ||
  bad "$(results "$T/t.json" | grep -v ' pass ')"
[ "$(results "$T/t.json" | awk '{print $1}' | sort -u | wc -l)" = 4 ] && ok ||
  bad "not every fixture worked"
check_all
verify_ledger
stop_sims
finish

#!/usr/bin/env bash
# signet ledger export --tiles: a 70,000-record ledger (the C2SP example
# size: 273 full level-0 tiles, a partial of 112, a full level-1 tile, a
# partial of 17, a level-2 partial of 1) checked by a tlog-tiles client
# written from the specification alone (tiles_client.py) with the
# checkpoint's signature checked by openssl; an incremental export that
# rewrites no full tile; a missing or cut tile found; kill -9 during an
# export never leaves a checkpoint whose tiles are not all there.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
FILL=${LEDGER_FILL:?set LEDGER_FILL to tests/ledger/ledger_fill}
new_token tiles
U="pkcs11:token=tiles;pin-source=file:$PINFILE"
token_keys "$U"
L="$T/t.ledger"
D="$T/tiles"
client() { python3 "$here/tiles_client.py" "$D" check "$@" >"$T/client.out" 2>&1; }
sig_ok() { # the checkpoint in $D verifies with openssl (docs/ledger.md)
  head -n 3 "$D/checkpoint" >"$T/text"
  sed -n 5p "$D/checkpoint" | sed 's/.* //' | base64 -d | tail -c +5 >"$T/sig"
  openssl pkeyutl -verify -pubin -inkey "$T/log.pem" -rawin -in "$T/text" -sigfile "$T/sig" >/dev/null 2>&1
}

"$S" ledger init --ledger "$L" --origin tiles.example/line-1 >/dev/null
"$FILL" "$L" 70000
expect 1 "no checkpoint" "$S" ledger export --ledger "$L" --tiles "$D"
[ ! -e "$D/checkpoint" ] && ok || bad "a checkpoint file without a checkpoint"
"$S" ledger checkpoint --ledger "$L" --key "$U;object=log" >/dev/null
"$FILL" "$L" 5 # after the checkpoint: not exported
expect 0 "" "$S" ledger export --ledger "$L" --tiles "$D"
# 274 + 2 + 1 hash tiles, 274 entry bundles, the checkpoint
grep -qF "size 70000: 552 files written, 0 already there" "$T/out.txt" && ok ||
  bad "first export: $(cat "$T/out.txt")"
for f in tile/0/273.p/112 tile/1/000 tile/1/001.p/17 tile/2/000.p/1 tile/entries/273.p/112 tile/0/272; do
  [ -f "$D/$f" ] && ok || bad "missing $f"
done
[ ! -e "$D/tile/0/274" ] && [ ! -e "$D/tile/entries/274.p/1" ] && ok || bad "tiles beyond the checkpoint"
sig_ok && ok || bad "openssl does not verify the exported checkpoint"
client 0 255 256 65535 65536 69999 && ok || bad "client: $(cat "$T/client.out")"

# ---- incremental: new records and a checkpoint; no full tile is rewritten
ino() { stat -c %i "$D/$1"; }
before="$(ino tile/0/000) $(ino tile/0/272) $(ino tile/1/000) $(ino tile/entries/100) $(ino tile/0/273.p/112)"
"$FILL" "$L" 600
"$S" ledger checkpoint --ledger "$L" --key "$U;object=log" >/dev/null
expect 0 "" "$S" ledger export --ledger "$L" --tiles "$D"
grep -qF "size 70605:" "$T/out.txt" && ok || bad "second export: $(cat "$T/out.txt")"
after="$(ino tile/0/000) $(ino tile/0/272) $(ino tile/1/000) $(ino tile/entries/100) $(ino tile/0/273.p/112)"
[ "$before" = "$after" ] && ok || bad "full or earlier tiles were rewritten: $before / $after"
written=$(sed -n 's/.*: \([0-9]*\) files written.*/\1/p' "$T/out.txt")
[ "$written" -le 12 ] && ok || bad "an incremental export wrote $written files"
[ -f "$D/tile/0/273" ] && [ -f "$D/tile/0/275.p/205" ] && [ -f "$D/tile/1/001.p/19" ] && ok ||
  bad "the grown tiles are missing"
client 70604 70000 1 && ok || bad "client after the second export: $(cat "$T/client.out")"
expect 0 "" "$S" ledger export --ledger "$L" --tiles "$D"
grep -qF ": 0 files written" "$T/out.txt" && ok || bad "an export with nothing new: $(cat "$T/out.txt")"

# ---- the client can fail: a missing tile, a cut bundle, a changed hash
cp -a "$D" "$T/good"
rm "$D/tile/0/100"
client && bad "the client passed with a missing tile" || ok
rm -rf "$D" && cp -a "$T/good" "$D"
truncate -s -1 "$D/tile/entries/275.p/205"
client && bad "the client passed with a cut entry bundle" || ok
rm -rf "$D" && cp -a "$T/good" "$D"
printf '\x01' | dd of="$D/tile/1/000" bs=1 seek=100 conv=notrunc 2>/dev/null
client && bad "the client passed with a changed level-1 hash" || ok
rm -rf "$D" && cp -a "$T/good" "$D"

# ---- a stored subtree hash missing from the store: exit 3, no checkpoint published
python3 -c 'import sqlite3, sys; s = sqlite3.connect(sys.argv[1]); s.backup(sqlite3.connect(sys.argv[2]))' "$L" "$T/broken.ledger"
python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); d.execute("DELETE FROM nodes WHERE level = 8 AND idx = 3"); d.commit()' "$T/broken.ledger"
expect 3 "the stored node 8/3 is missing" "$S" ledger export --ledger "$T/broken.ledger" --tiles "$T/broken-tiles"
[ ! -e "$T/broken-tiles/checkpoint" ] && ok || bad "a checkpoint was published over a missing tile"

# ---- kill -9 during an export: the checkpoint there always has its tiles
"$FILL" "$L" 30000
"$S" ledger checkpoint --ledger "$L" --key "$U;object=log" >/dev/null
for delay in 0.02 0.05 0.1 0.15 0.2 0.3; do
  rm -rf "$D" && cp -a "$T/good" "$D"
  "$S" ledger export --ledger "$L" --tiles "$D" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sig_ok && client && ok || bad "after kill -9 at ${delay}s: $(cat "$T/client.out")"
done
# and the next export completes it
expect 0 "" "$S" ledger export --ledger "$L" --tiles "$D"
grep -qF "size 100605:" "$T/out.txt" && ok || bad "the export after the kills: $(cat "$T/out.txt")"
client 100604 && ok || bad "after the final export: $(cat "$T/client.out")"
finish

#!/usr/bin/env bash
# Ledger store throughput (bench/ledger_store.c): durable appends one by
# one next to the baseline of one fsync'd SQLite INSERT per record (same
# pragmas, same bytes, same run), appends in batches of 1,000,
# verification of a 1,000,000-record ledger from scratch, and inclusion and
# consistency proofs at that size, averaged over 10,000 each. The hashing
# floor comes from `openssl speed -evp sha256` (64-byte blocks) in the same
# run. Then a tlog-tiles export of the TREE-record ledger, first in full
# and then incrementally after 1,000 more records, next to the floor of
# copying the exported directory itself (cp -r and sync, same run).
# Targets: verify 1M <= 10 s; a proof at 1M <= 1 ms; batched appends
# >= 50,000 records/s; one-by-one appends within 2 x of the baseline. Not a
# test: numbers only.
# Usage: bench/ledger.sh [APPENDS [TREE]] (defaults 100000 and 1000000).
# BENCH_DIR=dir puts the files on another file system (default: the
# project's disk, like a real ledger). Needs ~1 GB free for TREE=1000000.
set -euo pipefail
cd "$(dirname "$0")/.."
appends=${1:-100000}
tree=${2:-1000000}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target bench_ledger_store signet ledger_fill >/dev/null
W=$(mktemp -d "${BENCH_DIR:-$PWD}/.bench-XXXXXX")
trap 'rm -rf "$W"' EXIT

# thousands of bytes per second at 64-byte blocks -> hashes per second
kbps=$(openssl speed -evp sha256 -seconds 2 -bytes 64 2>/dev/null | awk '$1 == "sha256" {print $2}')
kbps=${kbps%k}
sha_per_s=$(awk "BEGIN{printf \"%.0f\", $kbps * 1000 / 64}")
printf 'openssl speed -evp sha256, 64 bytes: %sk bytes/s = %s hashes/s\n' "$kbps" "$sha_per_s"
printf '%s records appended, a %s-record tree, in %s\n' "$appends" "$tree" "$W"
build/tests/ledger/bench_ledger_store "$W" "$appends" "$tree" "$sha_per_s"

# ---- tlog-tiles export (signet ledger export --tiles) of the same size
S=build/cli/signet
mkdir -p "$W/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" >"$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf" SIGNET_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
printf '1234\n' >"$W/pin" && chmod 600 "$W/pin"
softhsm2-util --init-token --free --label bench --so-pin 000000 --pin 1234 >/dev/null
U="pkcs11:token=bench;object=log;pin-source=file:$W/pin"
"$S" hsm keygen --type ed25519 --key "$U" >/dev/null 2>&1
"$S" ledger init --ledger "$W/tiles.ledger" --origin bench.example >/dev/null 2>&1
build/tests/ledger/ledger_fill "$W/tiles.ledger" "$tree"
"$S" ledger checkpoint --ledger "$W/tiles.ledger" --key "$U" >/dev/null
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); awk "BEGIN{printf \"%.2f\", $t1 - $t0}"; }
full=$(secs "$S" ledger export --ledger "$W/tiles.ledger" --tiles "$W/tiles")
copy=$(secs sh -c "cp -r '$W/tiles' '$W/copy' && sync")
files=$(find "$W/tiles" -type f | wc -l)
mb=$(du -sm "$W/tiles" | cut -f1)
build/tests/ledger/ledger_fill "$W/tiles.ledger" 1000
"$S" ledger checkpoint --ledger "$W/tiles.ledger" --key "$U" >/dev/null
incr=$(secs "$S" ledger export --ledger "$W/tiles.ledger" --tiles "$W/tiles")
printf 'tiles export of %s records: %s s (%s files, %s MB); cp -r + sync of the same: %s s (%.1fx)\n' \
  "$tree" "$full" "$files" "$mb" "$copy" "$(awk "BEGIN{print $full / $copy}")"
printf 'incremental export after 1,000 more records: %s s\n' "$incr"

#!/usr/bin/env bash
# Ledger store throughput (bench/ledger_store.c): durable appends one by
# one next to the baseline of one fsync'd SQLite INSERT per record (same
# pragmas, same bytes, same run), appends in batches of 1,000,
# verification of a 1,000,000-record ledger from scratch, and inclusion and
# consistency proofs at that size, averaged over 10,000 each. The hashing
# floor comes from `openssl speed -evp sha256` (64-byte blocks) in the same
# run. Targets: verify 1M <= 10 s; a proof at 1M <= 1 ms; batched appends
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
cmake --build build -j"$(nproc)" --target bench_ledger_store >/dev/null
W=$(mktemp -d "${BENCH_DIR:-$PWD}/.bench-XXXXXX")
trap 'rm -rf "$W"' EXIT

# thousands of bytes per second at 64-byte blocks -> hashes per second
kbps=$(openssl speed -evp sha256 -seconds 2 -bytes 64 2>/dev/null | awk '$1 == "sha256" {print $2}')
kbps=${kbps%k}
sha_per_s=$(awk "BEGIN{printf \"%.0f\", $kbps * 1000 / 64}")
printf 'openssl speed -evp sha256, 64 bytes: %sk bytes/s = %s hashes/s\n' "$kbps" "$sha_per_s"
printf '%s records appended, a %s-record tree, in %s\n' "$appends" "$tree" "$W"
build/tests/ledger/bench_ledger_store "$W" "$appends" "$tree" "$sha_per_s"

#!/usr/bin/env bash
# Signing throughput and memory, side by side with the floor: one
# `openssl dgst -sha256 -sign key.pem` pass (one hash pass, one signature).
# Prints, for 1 MiB and 64 MiB inputs, the median wall time of each over
# RUNS runs and their ratio; then the peak RSS of signet sign on a 1 GiB
# sparse image. Targets: ratio <= 1.25 at 64 MiB; peak RSS <= 32 MiB.
# Not a test: numbers only. Usage: bench/sign.sh [RUNS] (default 9);
# SIGNET=path uses an existing binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}
./scripts/setup-deps.sh
if [ -z "${SIGNET:-}" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" --target signet >/dev/null
fi
S="${SIGNET:-$PWD/build/cli/signet}"

W=$(mktemp -d "$PWD/.bench-XXXXXX") # on the project's disk, like real outputs
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" \
  >"$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf" SIGNET_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
printf '1234\n' >"$W/pin"
softhsm2-util --init-token --free --label bench --so-pin 000000 --pin 1234 >/dev/null
K="pkcs11:token=bench;object=p256;pin-source=file:$W/pin"
"$S" hsm keygen --type ecdsa-p256 --key "$K" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/key.pem" 2>/dev/null

now() { date +%s%N; }
median_ms() { # command... ; prints the median wall time in ms over $runs runs
  local t=()
  for _ in $(seq "$runs"); do
    local a b
    # Each run writes a new file: deleting the last run's 64 MiB output
    # (which rename(2) over it would do) is not signing work.
    rm -f "$W/out.sgn" "$W/out.sig"
    a=$(now); "$@" >/dev/null 2>&1; b=$(now)
    t+=($(((b - a) / 1000)))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.2f", v[int((NR+1)/2)]/1000}'
}

printf '%-8s %14s %14s %8s\n' size "signet sign" "openssl dgst" ratio
for mib in 1 64; do
  head -c $((mib * 1024 * 1024)) /dev/urandom >"$W/in.bin"
  sync
  s=$(median_ms "$S" sign --key "$K" --version 1.0.0 "$W/in.bin" "$W/out.sgn")
  o=$(median_ms openssl dgst -sha256 -sign "$W/key.pem" -out "$W/out.sig" "$W/in.bin")
  printf '%-8s %11s ms %11s ms %8s\n' "${mib} MiB" "$s" "$o" "$(awk "BEGIN{printf \"%.2f\", $s/$o}")"
done

truncate -s 1G "$W/sparse.bin"
/usr/bin/time -f '%M' -o "$W/rss" "$S" sign --key "$K" --version 1.0.0 "$W/sparse.bin" \
  "$W/sparse.sgn" 2>/dev/null
rss=$(tail -1 "$W/rss")
rm -f "$W/sparse.sgn"
printf 'peak RSS of signet sign, 1 GiB sparse image: %s KiB (%.1f MiB)\n' "$rss" \
  "$(awk "BEGIN{print $rss/1024}")"

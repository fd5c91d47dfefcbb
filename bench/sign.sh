#!/usr/bin/env bash
# Signing throughput and memory, side by side with two floors measured in
# the same rounds: `openssl dgst -sha256 -sign key.pem` (one hash pass, one
# signature) and `cp IN OUT && sync OUT` (the same bytes written and made
# durable). signet sign is timed writing a new output and overwriting the
# output of its last run (what users do: rename(2) then frees the old file);
# cp+sync likewise, so each is compared with the floor of its own case.
# Each round runs every command once, in turn, so that load from other
# processes falls on all of them alike. Prints, for 1 MiB and 64 MiB inputs,
# each command's median wall time and spread (min..max) over RUNS rounds,
# and the ratio of signet's median to each floor's; then the peak RSS of
# signet sign on a 1 GiB sparse image. Targets at 64 MiB: signet <= 1.15 x
# max(openssl dgst, cp+sync) for new and overwritten outputs alike; peak
# RSS <= 32 MiB. Not a test: numbers only.
# Usage: bench/sign.sh [RUNS] (default 9). SIGNET=path uses an existing
# binary instead of building one; BASELINE=path times a second signet (say a
# build of an older commit) in the same rounds, for before/after numbers;
# BENCH_DIR=dir puts the files on another file system (default: the
# project's disk, like real outputs).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}
./scripts/setup-deps.sh
if [ -z "${SIGNET:-}" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" --target signet >/dev/null
fi
S="${SIGNET:-$PWD/build/cli/signet}"
B="${BASELINE:-}"

W=$(mktemp -d "${BENCH_DIR:-$PWD}/.bench-XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" \
  >"$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf" SIGNET_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
(umask 077 && printf '1234\n' >"$W/pin") # a PIN file must be private
softhsm2-util --init-token --free --label bench --so-pin 000000 --pin 1234 >/dev/null
K="pkcs11:token=bench;object=p256;pin-source=file:$W/pin"
"$S" hsm keygen --type ecdsa-p256 --key "$K" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/key.pem" 2>/dev/null

# The commands, by name. The output of a *-new case is deleted (and the
# deletion made durable) before each run, outside the timing; a *-over case
# overwrites the output of its previous run.
cases=(sign-new sign-over dgst cp-new cp-over)
[ -n "$B" ] && cases+=(base-new base-over)
run_case() {
  local in=$W/in.bin
  case $1 in
  sign-new | sign-over) "$S" sign --key "$K" --version 1.0.0 "$in" "$W/$2" ;;
  base-new | base-over) "$B" sign --key "$K" --version 1.0.0 "$in" "$W/$2" ;;
  dgst) openssl dgst -sha256 -sign "$W/key.pem" -out "$W/$2" "$in" ;;
  cp-new | cp-over) cp "$in" "$W/$2" && sync "$W/$2" ;;
  esac
}
time_case() { # name; prints the wall time in microseconds
  local out=$1.out a b
  if [[ $1 == *-new ]]; then
    rm -f "$W/$out"
    sync "$W"
  fi
  a=${EPOCHREALTIME/./}
  run_case "$1" "$out" >/dev/null 2>&1 || { echo "bench: $1 failed" >&2; exit 1; }
  b=${EPOCHREALTIME/./}
  echo $((b - a))
}
ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }
stats() { # microseconds...; prints "median min max" in ms
  printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {
    printf "%.1f %.1f %.1f", v[int((NR+1)/2)]/1000, v[1]/1000, v[NR]/1000}'
}

for mib in 1 64; do
  head -c $((mib * 1024 * 1024)) /dev/urandom >"$W/in.bin"
  sync "$W/in.bin"
  declare -A t=()
  for c in "${cases[@]}"; do
    time_case "$c" >/dev/null # warm up; leaves the over-* outputs in place
  done
  for _ in $(seq "$runs"); do
    for c in "${cases[@]}"; do
      t[$c]+=" $(time_case "$c")"
    done
  done
  declare -A med=()
  printf '\n%d MiB, %d rounds        median ms   min..max ms\n' "$mib" "$runs"
  for c in "${cases[@]}"; do
    read -r m lo hi <<<"$(stats ${t[$c]})"
    med[$c]=$m
    printf '  %-22s %9s   %s..%s\n' "$c" "$m" "$lo" "$hi"
  done
  for k in new over; do
    for who in sign base; do
      [ "$who" = base ] && [ -z "$B" ] && continue
      s=${med[$who-$k]} d=${med[dgst]} c=${med[cp-$k]}
      floor=$(awk "BEGIN{print ($d > $c) ? $d : $c}")
      printf '  %-6s %-5s / dgst %s   / cp+sync %s   / max %s\n' "$who" "$k" \
        "$(ratio "$s" "$d")" "$(ratio "$s" "$c")" "$(ratio "$s" "$floor")"
    done
  done
  unset t med
done

truncate -s 1G "$W/sparse.bin"
/usr/bin/time -f '%M' -o "$W/rss" "$S" sign --key "$K" --version 1.0.0 "$W/sparse.bin" \
  "$W/sparse.sgn" 2>/dev/null
rss=$(tail -1 "$W/rss")
rm -f "$W/sparse.sgn"
printf '\npeak RSS of signet sign, 1 GiB sparse image: %s KiB (%.1f MiB)\n' "$rss" \
  "$(awk "BEGIN{print $rss/1024}")"

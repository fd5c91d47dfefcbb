#!/usr/bin/env bash
# Cross-compiles the device verifier core (formats/verifier.c) for a
# Cortex-M0 the way a bootloader would, and reports its code size, its worst
# stack frame and the external symbols it needs. Exits 1 if it breaks the
# budget: .text <= 4096 bytes (without crypto), no frame above 512 bytes,
# no external symbol but memcpy, memcmp, memset and the compiler's own
# runtime helpers (libgcc's __aeabi_* / __gnu_*).
#   verifier-size.sh [OUTDIR]   (default: a temp dir)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)/formats"
CC=${ARM_CC:-arm-none-eabi-gcc}
command -v "$CC" >/dev/null || { echo "verifier-size: $CC not installed (Debian gcc-arm-none-eabi)" >&2; exit 3; }
out=${1:-$(mktemp -d)}
mkdir -p "$out"
"$CC" -mcpu=cortex-m0 -mthumb -Os -std=c99 -ffreestanding -fstack-usage \
  -ffunction-sections -Wall -Wextra -Werror -I "$src/../include" -c "$src/verifier.c" -o "$out/verifier.o"
text=$(arm-none-eabi-size -A "$out/verifier.o" | awk '$1 ~ /^\.text/ {s += $2} END {print s}')
rodata=$(arm-none-eabi-size -A "$out/verifier.o" | awk '$1 ~ /^\.rodata/ {s += $2} END {print s + 0}')
frame=$(sort -t$'\t' -k2 -n "$out/verifier.su" | tail -1)
worst=$(printf '%s' "$frame" | cut -f2)
undef=$(arm-none-eabi-nm -u "$out/verifier.o" | awk '{print $2}' | sort | tr '\n' ' ')
printf 'device verifier (Cortex-M0, -Os): .text %s bytes (budget 4096), .rodata %s bytes (messages)\n' \
  "$text" "$rodata"
printf 'worst stack frame: %s bytes in %s (budget 512)\n' "$worst" "$(printf '%s' "$frame" | cut -f1)"
printf 'external symbols: %s\n' "${undef:-none}"
rc=0
[ "$text" -le 4096 ] || { echo "verifier-size: .text over budget" >&2; rc=1; }
[ "$worst" -le 512 ] || { echo "verifier-size: a stack frame is over budget" >&2; rc=1; }
for s in $undef; do
  case $s in memcpy|memcmp|memset|__aeabi_*|__gnu_*) ;; *) echo "verifier-size: needs $s" >&2; rc=1 ;; esac
done
exit $rc

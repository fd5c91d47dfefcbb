#!/usr/bin/env bash
# Cross-compiles device-side sources for a Cortex-M0 the way a firmware
# would (-Os, freestanding) and holds them to a budget: .text bytes, stack
# bytes, and no external symbol but memcpy, memcmp, memset and the
# compiler's runtime helpers (libgcc's __aeabi_* / __gnu_*). Exits 1 over
# budget, 3 without the cross compiler.
#   m0-size.sh NAME OUTDIR TEXT_BUDGET STACK_BUDGET frame|sum SOURCE...
# Stack rule "frame": the worst single frame; "sum": every function's frame
# added up, a bound on any call path of code without recursion.
set -euo pipefail
name=$1 out=$2 text_budget=$3 stack_budget=$4 rule=$5
shift 5
include="$(cd "$(dirname "$0")/.." && pwd)/include"
CC=${ARM_CC:-arm-none-eabi-gcc}
command -v "$CC" >/dev/null || { echo "$name-size: $CC not installed (Debian gcc-arm-none-eabi)" >&2; exit 3; }
mkdir -p "$out"
objs=()
for src in "$@"; do
  o="$out/$(basename "${src%.c}").o"
  "$CC" -mcpu=cortex-m0 -mthumb -Os -std=c99 -ffreestanding -fstack-usage \
    -ffunction-sections -Wall -Wextra -Werror -I "$include" -c "$src" -o "$o"
  objs+=("$o")
done
sizes() { arm-none-eabi-size -A "${objs[@]}" | awk -v s="$1" '$1 ~ s {n += $2} END {print n + 0}'; }
text=$(sizes '^\.text')
rodata=$(sizes '^\.rodata')
frames=$(cat "${objs[@]/%.o/.su}")
if [ "$rule" = sum ]; then
  stack=$(printf '%s\n' "$frames" | awk -F'\t' '{n += $2} END {print n}')
  where="all frames added"
else
  frame=$(printf '%s\n' "$frames" | sort -t$'\t' -k2 -n | tail -1)
  stack=$(printf '%s' "$frame" | cut -f2)
  where="worst frame, $(printf '%s' "$frame" | cut -f1)"
fi
undef=$(arm-none-eabi-nm -u "${objs[@]}" | awk 'NF == 2 {print $2}' | sort -u)
defined=$(arm-none-eabi-nm --defined-only "${objs[@]}" | awk 'NF == 3 {print $3}' | sort -u)
undef=$(comm -23 <(printf '%s\n' "$undef") <(printf '%s\n' "$defined") | tr '\n' ' ')
printf '%s (Cortex-M0, -Os): .text %s bytes (budget %s), .rodata %s bytes\n' "$name" "$text" "$text_budget" "$rodata"
printf 'stack: %s bytes (%s; budget %s)\n' "$stack" "$where" "$stack_budget"
printf 'external symbols: %s\n' "${undef:-none}"
rc=0
[ "$text" -le "$text_budget" ] || { echo "$name-size: .text over budget" >&2; rc=1; }
[ "$stack" -le "$stack_budget" ] || { echo "$name-size: stack over budget" >&2; rc=1; }
for s in $undef; do
  case $s in memcpy|memcmp|memset|__aeabi_*|__gnu_*) ;; *) echo "$name-size: needs $s" >&2; rc=1 ;; esac
done
exit $rc

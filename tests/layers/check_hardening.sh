#!/usr/bin/env bash
# The built binaries carry the hardening the root CMakeLists.txt asks for,
# read back from the files themselves (readelf, nm): PIE, full RELRO
# (GNU_RELRO + BIND_NOW), a non-executable stack, the stack protector,
# _FORTIFY_SOURCE=3, -fstack-clash-protection and CET (-fcf-protection:
# IBT and SHSTK in the GNU property note). Every failed check is named, not
# only the first one.
#   check_hardening.sh KIND SIGNET LIBSIGNET_SO LIBSIGNET_A OBJECTS
# KIND is "release" or "sanitized" (sanitizer and fuzz builds are built
# without fortification: exit 77, which ctest reports as skipped). OBJECTS is
# the ;-separated list of the signet program's own object files.
set -euo pipefail
kind=$1 exe=$2 so=$3 ar=$4 objects=$5
if [ "$kind" != release ]; then
  echo "hardening: skipped in a $kind build (no fortification there)"
  exit 77
fi
fails=0 checks=0
pass() { checks=$((checks + 1)); }
fail() { echo "hardening: FAIL: $*" >&2; fails=$((fails + 1)); }

# dynamic_flags FILE: the DT_FLAGS and DT_FLAGS_1 words of FILE, on one line.
dynamic_flags() { readelf -dW "$1" | awk '/\(FLAGS(_1)?\)/' | tr '\n' ' '; }

# segment_flags FILE TYPE: the permission flags of FILE's TYPE program header
# ("RW", "RWE"), empty when there is none.
segment_flags() {
  readelf -lW "$1" | awk -v t="$2" '$1 == t { f = ""; for (i = 7; i < NF; i++) f = f $i; print f }'
}

# has TEXT LINE: LINE holds the extended regular expression TEXT (no pipe
# into grep -q: with pipefail, a writer cut off early would fail the test).
has() { grep -qE -- "$1" <<<"$2"; }

# A position-independent executable is ET_DYN with DF_1_PIE (a shared
# library is ET_DYN without it); the library must have no text relocations.
has 'Type: +DYN' "$(readelf -hW "$exe")" && has 'PIE' "$(dynamic_flags "$exe")" && pass ||
  fail "$exe is not a PIE (ET_DYN with DF_1_PIE)"
has 'Type: +DYN' "$(readelf -hW "$so")" && ! has TEXTREL "$(readelf -dW "$so")" && pass ||
  fail "$so is not position-independent"

for f in "$exe" "$so"; do
  # Full RELRO: the relocated data is made read-only (GNU_RELRO), after every
  # symbol was bound at load time (BIND_NOW): no lazily written GOT is left.
  [ -n "$(segment_flags "$f" GNU_RELRO)" ] && pass || fail "$f has no GNU_RELRO segment (-z relro)"
  has 'BIND_NOW| NOW' "$(dynamic_flags "$f")" && pass || fail "$f is not bound now (-z now)"
  # A GNU_STACK header without E: the stack is not executable.
  stack=$(segment_flags "$f" GNU_STACK)
  [ -n "$stack" ] && [ "${stack#*E}" = "$stack" ] && pass ||
    fail "$f has an executable or unmarked stack (GNU_STACK '$stack')"
  imports=$(nm -D --undefined-only "$f")
  # -fstack-protector-strong calls __stack_chk_fail when a canary is hit.
  has ' __stack_chk_fail' "$imports" && pass ||
    fail "$f does not reference __stack_chk_fail (-fstack-protector-strong)"
  # Fortified calls go to glibc's checking variants (__memcpy_chk, ...).
  has ' __[a-z_]+_chk(@|$)' "$(grep -v __stack_chk_fail <<<"$imports")" && pass ||
    fail "$f calls no fortified (__*_chk) function (_FORTIFY_SOURCE)"
  # CET: -fcf-protection puts IBT and SHSTK in every object's property note;
  # the linked file keeps them only when every input has them (or with -z ibt
  # -z shstk: the objects themselves are checked below).
  has 'x86 feature: IBT, SHSTK' "$(readelf -nW "$f")" && pass ||
    fail "$f has no IBT and SHSTK property (-fcf-protection)"

  # The compiler records its code-generation options in each compile unit's
  # DW_AT_producer: every unit of ours (GNU C) must name these.
  info=$(readelf --debug-dump=info "$f" 2>/dev/null || true)
  producers=$(grep 'DW_AT_producer.*GNU C' <<<"$info" || true)
  units=$(grep -c . <<<"$producers" || true)
  if [ -z "$producers" ]; then
    fail "$f has no debug information to read the compiler options from (build RelWithDebInfo)"
    continue
  fi
  for opt in -fstack-clash-protection -fcf-protection=full -fstack-protector-strong; do
    n=$(grep -c -- "$opt" <<<"$producers" || true)
    [ "$n" -eq "$units" ] && pass || fail "$f: $((units - n)) of $units compile units lack $opt"
  done
  # The fortification level is a macro, and gcc records no -D option, neither
  # in DW_AT_producer nor with -frecord-gcc-switches. With -g3 the debug info
  # keeps the macros (.debug_macro): every unit must have them, each block of
  # command-line macros (line 0, beside the predefined __GNUC__; units built
  # alike share one block) must define _FORTIFY_SOURCE 3, and the level that
  # glibc's <features.h> chose from it (__USE_FORTIFY_LEVEL: lower than asked
  # when the compiler or -O cannot do it) must be 3. Level 3 also checks
  # buffers whose size is only known at run time (__builtin_dynamic_object_size).
  n=$(grep -c 'DW_AT_macros' <<<"$info" || true)
  [ "$n" -eq "$units" ] && pass || fail "$f: $((units - n)) of $units compile units have no macro information (-g3)"
  macros=$(readelf --debug-dump=macro "$f" 2>/dev/null || true)
  blocks=$(awk '/^  Offset: / { unit++ }
    /lineno : 0 macro : __GNUC__ / { cmdline[unit] = 1 }
    /lineno : 0 macro : _FORTIFY_SOURCE 3$/ { level3[unit] = 1 }
    END { for (u in cmdline) { n++; if (level3[u]) ok++ } printf "%d %d", n, ok }' <<<"$macros")
  read -r n ok <<<"$blocks"
  [ "$n" -gt 0 ] && [ "$ok" -eq "$n" ] && pass ||
    fail "$f: $((n - ok)) of $n command lines lack -D_FORTIFY_SOURCE=3"
  levels=$(sed -n 's/.*macro : __USE_FORTIFY_LEVEL //p' <<<"$macros" | sort -u | tr '\n' ' ')
  [ "$levels" = "3 " ] && pass || fail "$f: glibc's fortify level is '${levels% }', not 3"
done

# Every object of ours is CET-marked by the compiler, so the linker's -z ibt
# -z shstk (which mark the output whatever its inputs) hide no object built
# without -fcf-protection.
IFS=';' read -r -a objs <<<"$objects"
members=$(ar t "$ar" | grep -c '\.o$')
marked=$( (readelf -nW "$ar" "${objs[@]}" 2>/dev/null || true) | grep -c 'x86 feature: IBT, SHSTK' || true)
total=$((members + ${#objs[@]}))
[ "$members" -gt 20 ] && [ "$marked" -eq "$total" ] && pass ||
  fail "$((total - marked)) of $total objects of libsignet.a and signet lack the IBT and SHSTK property"

if [ "$fails" -ne 0 ]; then
  echo "hardening: $fails of $((fails + checks)) checks failed" >&2
  exit 1
fi
echo "hardening: all $checks checks passed on $exe and $so"

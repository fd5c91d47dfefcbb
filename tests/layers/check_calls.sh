#!/usr/bin/env bash
# The files of one part of signet call each other one way: no two depend
# on each other, so each can be read, changed and tested from the bottom
# up. The call graph is read from the compiled objects with nm (every
# function or variable one object defines and another uses); tsort finds
# circles. Fails naming the files of a circle.
#   check_calls.sh NAME FILE...   FILE: an archive (.a) or objects (.o);
#                                 "a.o;b.o" lists (CMake's) are split
set -euo pipefail
name=$1
shift
files=()
for arg; do
	IFS=';' read -r -a some <<<"$arg"
	files+=("${some[@]}")
done
defs=$(mktemp)
edges=$(mktemp)
trap 'rm -f "$defs" "$edges"' EXIT
# nm -A starts each line with "archive:member:" or "object:", then the value.
obj='{ f = $1; sub(/:[0-9a-f]*$/, "", f); n = split(f, a, "[:/]"); f = a[n] }'
# "object symbol" for every function or variable an object defines...
nm -A --defined-only "${files[@]}" | awk "$obj"' $2 ~ /^[TDBR]$/ { print f, $3 }' >"$defs"
# ...and "user provider" for every such symbol another object uses.
nm -A -u "${files[@]}" | awk 'NR == FNR { def[$2] = $1; next } '"$obj"'
	($NF in def) && def[$NF] != f { print f, def[$NF] }' "$defs" - | sort -u >"$edges"
[ -s "$edges" ] || { echo "FAIL: no calls between the objects of $name (nm output changed?)"; exit 1; }
if ! out=$(tsort "$edges" 2>&1 >/dev/null); then
	echo "FAIL: files of $name call each other in a circle:"
	echo "$out"
	exit 1
fi
[ -z "$out" ] || { echo "FAIL: $out"; exit 1; }
echo "ok: $name: $(wc -l <"$edges") calls between files, no circle"

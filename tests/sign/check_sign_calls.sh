#!/usr/bin/env bash
# Calls between the files of sign/ point one way (sign/keys_priv.h): no file
# calls into another that calls back into it, directly or around a circle.
# Read from the library's objects (nm), so a call is caught whatever header
# declared it. Fails naming a circle.
#   check_sign_calls.sh libsignet_sign.a
set -euo pipefail
lib=${1:?usage: check_sign_calls.sh libsignet_sign.a}
nm "$lib" | awk -v lib="$lib" '
  /^$/ { next }
  /:$/ { obj = substr($0, 1, length($0) - 1); sub(/\.c\.o$/, "", obj); objs[obj] = 1; next }
  $2 == "T" { def[$3] = obj; next }
  $1 == "U" { use[obj, $2] = 1 }
  END {
    for (k in use) {
      split(k, p, SUBSEP)
      if ((p[2] in def) && def[p[2]] != p[1]) reach[p[1], def[p[2]]] = 1
    }
    for (m in objs) for (a in objs) for (b in objs)
      if (((a, m) in reach) && ((m, b) in reach)) reach[a, b] = 1
    bad = 0
    for (a in objs) for (b in objs)
      if (a < b && ((a, b) in reach) && ((b, a) in reach)) {
        print "sign/: " a ".c and " b ".c call each other (directly or around a circle)" > "/dev/stderr"
        bad = 1
      }
    n = 0
    for (a in objs) n++
    if (n < 5) { print "sign/: expected the library objects in " lib > "/dev/stderr"; bad = 1 }
    exit bad
  }'
echo "sign/: no call circles"

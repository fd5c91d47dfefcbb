#!/usr/bin/env bash
# The container image (Dockerfile) built from a clean copy of the tree (the
# files git knows, without build trees) and checked: the image's smoke
# script passes as its default user, which is not root; the image's
# SOFTHSM2_CONF takes a token; no compiler or build tree is left in it;
# signet is stripped; the version label is the installed signet's.
#   test_container.sh engine   with docker or podman; exit 77 (a ctest skip)
#                              when neither engine answers, saying why
#   test_container.sh chroot   without an engine: scripts/dockerfile-chroot.sh
#       runs the Dockerfile's steps in debootstrap'd chroots (an approximation:
#       no layers, no isolation). Opt-in: SIGNET_TEST_CHROOT=1, as root, with
#       debootstrap installed and Debian's mirror reachable (SIGNET_DEBIAN_MIRROR,
#       default http://deb.debian.org/debian); exit 77 otherwise.
set -euo pipefail
mode=${1:?usage: test_container.sh engine|chroot}
src=$(cd "${SIGNET_SOURCE_DIR:?}" && pwd)

# ---- can this mode run here? (before lib.sh: a skip makes no temp dir)
case $mode in
  engine)
    engine="" why=""
    for e in docker podman; do
      if ! command -v "$e" >/dev/null; then why+="${why:+; }$e: not installed"; continue; fi
      if out=$("$e" info 2>&1 >/dev/null); then engine=$e; break; fi
      why+="${why:+; }$e info: $(printf '%s' "$out" | grep -v '^[[:space:]]*$' | tail -n 1)"
    done
    [ -n "$engine" ] || { echo "SKIP: no container engine: $why" >&2; exit 77; }
    ;;
  chroot)
    how="run it with SIGNET_TEST_CHROOT=1 as root (debootstrap installed, Debian's mirror reachable)"
    [ "${SIGNET_TEST_CHROOT:-}" = 1 ] || { echo "SKIP: the chroot build is opt-in: $how" >&2; exit 77; }
    [ "$(id -u)" = 0 ] || { echo "SKIP: the chroot build needs root: $how" >&2; exit 77; }
    debootstrap=${SIGNET_DEBOOTSTRAP:-$(command -v debootstrap || true)}
    [ -n "$debootstrap" ] || { echo "SKIP: debootstrap is not installed: $how" >&2; exit 77; }
    ;;
  *) echo "usage: test_container.sh engine|chroot" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"

# ---- a clean copy of the tree: what git tracks (and new files it does not
# ignore), as they are in the work tree
ctx="$T/context"
mkdir -p "$ctx"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$src" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$ctx"
else
  tar -C "$src" --exclude-vcs --exclude='./build*' --exclude=./.demo -cf - . | tar -xf - -C "$ctx"
fi
[ -f "$ctx/Dockerfile" ] || { bad "the clean copy has no Dockerfile"; finish; }

start=$SECONDS
if [ "$mode" = engine ]; then
  img="signet-test-$$:latest"
  trap '"$engine" rmi -f "$img" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
  "$engine" build -t "$img" "$ctx" >"$T/build.log" 2>&1 ||
    { bad "$engine build failed: $(tail -n 5 "$T/build.log")"; finish; }
  in_image() { "$engine" run --rm "$img" "$@"; }
  cid=$("$engine" create "$img")
  "$engine" cp "$cid:/usr/local/bin/signet" "$T/signet.bin" || bad "no /usr/local/bin/signet in the image"
  "$engine" rm "$cid" >/dev/null
  label=$("$engine" image inspect -f '{{ index .Config.Labels "org.opencontainers.image.version" }}' "$img")
else
  base="$T/base"
  mirror=${SIGNET_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  # Never remove the temp dir with a file system mounted in it.
  trap '{ grep -o " $T/[^ ]*" /proc/mounts || true; } | xargs -r -n1 umount 2>/dev/null || true; rm -rf "$T"' EXIT
  "$debootstrap" --variant=minbase bookworm "$base" "$mirror" >"$T/debootstrap.log" 2>&1 ||
    { bad "debootstrap failed: $(tail -n 3 "$T/debootstrap.log")"; finish; }
  echo "debootstrap: $((SECONDS - start)) s"
  "$src/scripts/dockerfile-chroot.sh" build "$base" "$ctx" "$T/work" >"$T/build.log" 2>&1 ||
    { bad "dockerfile-chroot.sh build failed: $(tail -n 5 "$T/build.log")"; finish; }
  in_image() { "$src/scripts/dockerfile-chroot.sh" run "$T/work" "$@"; }
  root=$(cat "$T/work/image")
  cp "$root/usr/local/bin/signet" "$T/signet.bin"
  label=$(sed -n 's/.*org\.opencontainers\.image\.version="\([^"]*\)".*/\1/p' "$root.labels")
fi
echo "built in $((SECONDS - start)) s ($mode)"

# ---- the checks, the same for both
uid=$(in_image id -u) || bad "id -u in the image failed"
[ -n "$uid" ] && [ "$uid" != 0 ] && ok || bad "the image's default user is uid '$uid'"
if in_image /usr/local/share/signet/container-smoke.sh >"$T/smoke.out" 2>&1; then ok
else bad "the smoke script failed in the image: $(grep -m1 FAIL "$T/smoke.out" || tail -n 1 "$T/smoke.out")"; fi
cat "$T/smoke.out"
in_image sh -c 'softhsm2-util --init-token --free --label ci --so-pin 000000 --pin 1234 >/dev/null &&
  signet hsm list --json' >"$T/list.json" 2>"$T/list.err" &&
  jq -e 'map(select(.label == "ci")) | length == 1' "$T/list.json" >/dev/null && ok ||
  bad "the image's SOFTHSM2_CONF takes no token: $(head -n 1 "$T/list.err")"
compilers=$(in_image sh -c 'for c in gcc cc c99 clang cmake make; do command -v $c; done; true')
[ -z "$compilers" ] && ok || bad "the image has build tools: $compilers"
leftovers=$(in_image sh -c 'ls -d /src /build /stage 2>/dev/null;
  find / -xdev \( -name CMakeCache.txt -o -name "*.o" -o -name CMakeFiles \) -print 2>/dev/null | head -n 5; true')
[ -z "$leftovers" ] && ok || bad "the image has a build tree: $leftovers"
readelf -S "$T/signet.bin" | grep -E '\.(debug_[a-z]+|symtab)\b' >"$T/sections" &&
  bad "the image's signet is not stripped" || ok
version=$(in_image signet --version | awk '{print $2}')
[ -n "$version" ] && [ "$label" = "$version" ] && ok ||
  bad "org.opencontainers.image.version '$label' is not the image's signet $version"
finish

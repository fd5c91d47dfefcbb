#!/usr/bin/env bash
# The Dockerfile (docs/packaging.md, "Container image") checked without a
# container engine: its base images are debian:12-slim pinned by tag; every
# package it installs exists in Debian 12 (apt-cache show, where the package
# lists are present); the build stage's packages provide every pkg-config
# module CMakeLists.txt asks for, and the final stage's packages every
# library the installed, stripped signet and libsignet.so load (dpkg -S);
# SIGNET_PKCS11_MODULE is a file a final-stage package installs; the final
# USER is not root and has a fixed uid; no ARG or ENV looks like a secret;
# the version label's default is the project's; no ENTRYPOINT; the build is
# stripped with the tests off; .dockerignore keeps build trees and .git out.
#   test_dockerfile.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
src=$(cd "$SIGNET_SOURCE_DIR" && pwd)
df="$src/Dockerfile"
[ -f "$df" ] || { bad "no Dockerfile at the top of the tree"; finish; }

# Instructions one per line (continuations joined, comments dropped), and
# each stage's in $T/stage-N.
sed -e '/^[[:space:]]*#/d' "$df" | sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' | grep -v '^[[:space:]]*$' \
  >"$T/instructions"
awk '/^FROM /{n++} {print > (T "/stage-" n)}' T="$T" "$T/instructions"
stages=$(grep -c '^FROM ' "$T/instructions")
[ "$stages" = 2 ] && ok || bad "the Dockerfile has $stages stages, wanted 2 (build, runtime)"
final="$T/stage-$stages"

# ---- base images: debian:12-slim, pinned by tag (a digest may follow)
while read -r _ image _; do
  [[ "$image" =~ ^debian:12-slim(@sha256:[0-9a-f]{64})?$ ]] && ok || bad "FROM $image: not debian:12-slim pinned by tag"
done < <(grep '^FROM ' "$T/instructions")

# apt_packages STAGE_FILE: the package names its `apt-get install` lines name.
apt_packages() {
  grep -o 'apt-get install[^&;|]*' "$1" | sed 's/apt-get install//' | tr ' ' '\n' | grep -v '^-' | grep -v '^$' | sort -u
}
build_pkgs=$(apt_packages "$T/stage-1")
final_pkgs=$(apt_packages "$final")
[ -n "$build_pkgs" ] && [ -n "$final_pkgs" ] && ok || bad "a stage installs no packages"
grep -q -- 'apt-get install -y --no-install-recommends' "$T/stage-1" && grep -q -- '--no-install-recommends' "$final" &&
  ok || bad "apt-get install without --no-install-recommends"

# ---- every package exists in Debian 12
if apt-cache show dpkg >/dev/null 2>&1 && grep -q '^VERSION_ID="12"' /etc/os-release; then
  # One apt-cache call for all (it shows those it knows, and fails for the rest).
  known=$(apt-cache show --no-all-versions $build_pkgs $final_pkgs 2>/dev/null | sed -n 's/^Package: //p' | sort -u)
  for p in $build_pkgs $final_pkgs; do
    grep -qx -- "$p" <<<"$known" && ok || bad "package $p: not in Debian 12 (apt-cache show)"
  done
else
  echo "NOTE: no Debian 12 package lists here (apt-get update): package names not checked" >&2
fi

# pkg_of FILE: the Debian package that installs FILE (dpkg -S; its real path
# too, usrmerge), without the architecture.
pkg_of() {
  { dpkg -S "$1" 2>/dev/null || dpkg -S "$(readlink -f "$1")" 2>/dev/null; } | head -n 1 | sed 's/:.*//'
}
# covered PKG LIST WHAT: PKG is in LIST.
covered() {
  if [ -z "$1" ]; then bad "$3: no Debian package installs it (dpkg -S)"
  elif grep -qx -- "$1" <<<"$2"; then ok
  else bad "$3 comes from $1, which the stage does not install"; fi
}

# ---- the build stage provides every pkg-config module CMakeLists.txt needs
modules=$(sed -n 's/.*pkg_check_modules([A-Z0-9_]* REQUIRED IMPORTED_TARGET \([^ )]*\).*/\1/p' "$src/CMakeLists.txt" |
  sed 's/[<>=].*//')
[ -n "$modules" ] && ok || bad "no pkg_check_modules found in CMakeLists.txt"
for m in $modules; do
  pc=$(pkg-config --path "$m" 2>/dev/null) || { bad "pkg-config module $m not found here"; continue; }
  covered "$(pkg_of "$pc")" "$build_pkgs" "build: pkg-config module $m ($pc)"
done
for tool in cmake pkg-config; do grep -qx "$tool" <<<"$build_pkgs" && ok || bad "the build stage lacks $tool"; done
grep -q -- '-DSIGNET_TESTS=OFF' "$T/stage-1" && ok || bad "the image build does not turn the tests off"
grep -q -- 'cmake --install [^&]*--strip' "$T/stage-1" && ok || bad "the image installs signet unstripped (cmake --install --strip)"
grep -qF 'option(SIGNET_TESTS' "$src/CMakeLists.txt" && ok || bad "CMakeLists.txt has no SIGNET_TESTS option"

# ---- the final stage provides every library the installed signet loads
prefix="$T/prefix"
cmake --install "$build" --prefix "$prefix" --strip >"$T/install.log" || bad "cmake --install --strip failed"
elves=("$prefix/bin/signet")
for f in "$prefix"/lib*/libsignet.so "$prefix"/lib*/*/libsignet.so; do [ -e "$f" ] && elves+=("$(readlink -f "$f")"); done
[ ${#elves[@]} = 2 ] && ok || bad "installed: not signet and one libsignet.so: ${elves[*]}"
for f in "${elves[@]}"; do
  ldd "$f" | sed -n 's/^[[:space:]]*\([^ ]*\) => \([^ ]*\) .*/\1 \2/p' >"$T/ldd.txt"
  # What the file names itself (NEEDED), as dpkg-shlibdeps reads it.
  for so in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    case $so in
      libsignet.so.* | ld-linux*) continue ;;
      lib*san.so.* | libubsan.so.*) continue ;; # a sanitizer build's runtimes
    esac
    path=$(awk -v so="$so" '$1 == so { print $2 }' "$T/ldd.txt")
    [ -e "$path" ] || { bad "$(basename "$f"): $so is not found here (ldd)"; continue; }
    covered "$(pkg_of "$path")" "$final_pkgs" "runtime: $(basename "$f") needs $so ($path)"
  done
done
# Packages the final stage's own packages depend on (dpkg's Depends of the
# installed ones): what a listed tool brings along.
final_deps=$(for p in $final_pkgs; do dpkg-query -W -f='${Depends}\n' "$p" 2>/dev/null; done |
  tr ',|' '\n\n' | sed 's/([^)]*)//; s/:any//; s/[[:space:]]//g' | grep -v '^$' | sort -u)
final_brought=$(printf '%s\n%s\n' "$final_pkgs" "$final_deps")
module=$(sed -n 's/.*SIGNET_PKCS11_MODULE=\([^ ]*\).*/\1/p' "$final")
[ -n "$module" ] && covered "$(pkg_of "$module")" "$final_brought" "SIGNET_PKCS11_MODULE $module" ||
  bad "the image sets no SIGNET_PKCS11_MODULE"
for tool in softhsm2-util pkcs11-tool jq; do
  covered "$(pkg_of "$(command -v "$tool")")" "$final_brought" "the tool $tool"
done

# ---- the user: not root, a fixed uid, SOFTHSM2_CONF under its home
user=$(sed -n 's/^USER[[:space:]]\+//p' "$final" | tail -n 1)
case $user in
  "" | root | 0 | 0:*) bad "the image runs as root (USER '$user')" ;;
  *) ok ;;
esac
uid=$(grep -o "useradd [^&]*" "$final" | grep -o -- '--uid [0-9]*' | awk '{print $2}')
[ -n "$uid" ] && [ "$uid" -ge 1000 ] && ok || bad "the user $user has no fixed uid >= 1000 (useradd --uid)"
home=$(grep -o "useradd [^&]*" "$final" | grep -o -- '--home-dir [^ ]*' | awk '{print $2}')
conf=$(sed -n 's/.*SOFTHSM2_CONF=\([^ ]*\).*/\1/p' "$final")
[ -n "$home" ] && [[ "$conf" == "$home"/* ]] && ok || bad "SOFTHSM2_CONF '$conf' is not under the user's home '$home'"
grep -q "chown -R $user:$user $home" "$final" && ok || bad "the user's home is not its own (chown -R)"

# ---- no secrets, the version, the entry point
if grep -E '^(ARG|ENV)[[:space:]]' "$T/instructions" | grep -iE 'PIN|PASS|SECRET|PRIVATE|_KEY\b|TOKEN'; then
  bad "an ARG or ENV looks like a secret (above)"
else
  ok
fi
version=$(sed -n 's/^project(signet VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
grep -qx "ARG SIGNET_VERSION=$version" "$final" && ok || bad "ARG SIGNET_VERSION's default is not the project's $version"
for l in source version licenses; do
  grep -q "org.opencontainers.image.$l=" "$final" && ok || bad "no org.opencontainers.image.$l label"
done
grep -q '^ENTRYPOINT' "$T/instructions" && bad "an ENTRYPOINT breaks GitLab's script: (docs/packaging.md)" || ok
grep -q '^CMD \[' "$final" && ok || bad "no CMD in exec form"

# ---- .dockerignore: no build trees or .git in the context
for p in .git build 'build-*' .demo; do
  grep -qx -- "$p" "$src/.dockerignore" 2>/dev/null && ok || bad ".dockerignore does not keep $p out"
done
finish

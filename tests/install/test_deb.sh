#!/usr/bin/env bash
# `cpack -G DEB` (cmake/packaging.cmake): builds the package from the build
# tree into a temp dir, checks its control fields and contents, that each
# Depends is a package installed here providing a library the binaries need
# (and each needed library is so provided), that no text file names the
# build or source tree and no RPATH points into them; then installs it with
# dpkg into a throwaway root (fresh admindir, no root privileges needed) and
# signs and verifies once with the installed signet against a SoftHSM2 token.
#   test_deb.sh BUILD_DIR     (exit 77, a ctest skip, when dpkg-deb is missing)
set -euo pipefail
build=$(cd "$1" && pwd)
for tool in dpkg-deb dpkg dpkg-query; do
  command -v "$tool" >/dev/null || { echo "SKIP: no $tool here: the .deb is not tested" >&2; exit 77; }
done
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
src=$(cd "$SIGNET_SOURCE_DIR" && pwd)

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$T/pkg" >"$T/cpack.log" 2>&1 ||
  { bad "cpack -G DEB failed: $(tail -5 "$T/cpack.log")"; finish; }
debs=("$T"/pkg/*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || { bad "cpack made no single .deb: ${debs[*]}"; finish; }
deb=${debs[0]}

# ---- control fields
version=$("$S" --version | awk '{print $2}')
field_is() { # NAME VALUE
  local v
  v=$(dpkg-deb -f "$deb" "$1")
  [ "$v" = "$2" ] && ok || bad "control field $1 is '$v', wanted '$2'"
}
field_is Package signet
field_is Version "$version-1"
field_is Architecture "$(dpkg --print-architecture)"
field_is Section utils
for f in Maintainer Homepage Description Depends; do
  [ -n "$(dpkg-deb -f "$deb" "$f")" ] && ok || bad "control field $f is empty"
done
[[ "$(dpkg-deb -f "$deb" Maintainer)" == *"<"*"@"*">" ]] && ok || bad "Maintainer has no address"
[[ ", $(dpkg-deb -f "$deb" Suggests), " == *", softhsm2, "* ]] && ok || bad "softhsm2 is not suggested"
dpkg-deb -I "$deb" >"$T/info.txt" || bad "dpkg-deb -I fails"

# ---- contents: what a user needs, all under /usr
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$T/contents.txt"
has() { grep -qx -- "$1" "$T/contents.txt" && ok || bad "the package has no $1"; }
has /usr/bin/signet
has /usr/share/signet/signet.cdx.json
has /usr/share/doc/signet/copyright
libdir=$(sed -n 's|^\(/usr/lib[^ ]*\)/libsignet\.so$|\1|p' "$T/contents.txt")
[ -n "$libdir" ] && ok || bad "the package has no libsignet.so"
for f in libsignet.so.0 libsignet.a libsignet-verifier.a pkgconfig/signet.pc pkgconfig/signet-verifier.pc; do
  has "$libdir/$f"
done
for h in "$src"/include/signet/*.h; do has "/usr/include/signet/$(basename "$h")"; done
for p in "$src"/provision/targets/*.json; do has "/usr/share/signet/targets/$(basename "$p")"; done
for page in "$src"/docs/man/*.1; do [ -e "$page" ] && has "/usr/share/man/man1/$(basename "$page")"; done
[ -e "$src/contrib/bash-completion/signet" ] && has /usr/share/bash-completion/completions/signet
grep -v '^/usr/' "$T/contents.txt" | grep -vx '/' >"$T/outside.txt" &&
  bad "files outside /usr: $(head -3 "$T/outside.txt")" || ok

# ---- install it into a throwaway root: a fresh dpkg database, no chroot
# (--force-script-chrootless). The postinst's ldconfig is a stub that
# records its call: the host's cache is not the root's to change.
R="$T/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" "$T/bin"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
printf '#!/bin/sh\necho "ldconfig $*" >>"%s/ldconfig.log"\n' "$T" >"$T/bin/ldconfig"
chmod +x "$T/bin/ldconfig"
if PATH="$T/bin:$PATH" dpkg --root="$R" --admindir="$R/var/lib/dpkg" --log="$T/dpkg.log" \
  --force-depends --force-not-root --force-script-chrootless -i "$deb" >"$T/dpkg.out" 2>&1; then ok
else bad "dpkg -i into the root failed: $(tail -3 "$T/dpkg.out")"; fi
[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' signet)" = "install ok installed" ] && ok ||
  bad "signet is not 'install ok installed' in the root"
grep -q '^ldconfig' "$T/ldconfig.log" 2>/dev/null && ok || bad "the postinst did not run ldconfig"

# ---- no build or source tree paths in text files, no RPATH into them
elves=()
while IFS= read -r -d '' f; do
  if [ "$(head -c 4 "$f")" = $'\x7fELF' ]; then
    elves+=("$f")
    readelf -d "$f" | grep -E '\((RPATH|RUNPATH)\)' >"$T/rpath.txt" || true
    grep -qF -e "$src" -e "$build" "$T/rpath.txt" && bad "${f#"$R"} has an RPATH into the tree: $(cat "$T/rpath.txt")" || ok
  elif [[ "$f" != *.a ]] && grep -qF -e "$src" -e "$build" "$f"; then
    bad "${f#"$R"} names the build or source tree: $(grep -m1 -F -e "$src" -e "$build" "$f")"
  else
    ok
  fi
done < <(find "$R/usr" -type f -print0)
[ ${#elves[@]} -ge 2 ] && ok || bad "no ELF files in the package"

# ---- Depends: each an installed package providing a NEEDED library, and
# each NEEDED library provided by a Depends package (or by the package)
needed=$(for f in "${elves[@]}"; do readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; done | sort -u)
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/([^)]*)//; s/|.*//; s/[[:space:]]//g' | grep -v '^$')
provided=""
for p in $depends; do
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    bad "Depends: $p is not installed here"
    continue
  fi
  libs=$(dpkg-query -L "$p" | sed 's|.*/||' | sort -u)
  hit=$(comm -12 <(printf '%s\n' "$needed") <(printf '%s\n' "$libs"))
  [ -n "$hit" ] && ok || bad "Depends: $p provides none of the NEEDED libraries"
  provided+="$hit"$'\n'
done
own=$(sed 's|.*/||' "$T/contents.txt")
for so in $needed; do
  if grep -qx -- "$so" <<<"$provided" || grep -qx -- "$so" <<<"$own"; then ok
  else bad "NEEDED $so comes from no Depends package"; fi
done

# ---- the installed signet: --version, its own profiles, sign and verify
Si="$R/usr/bin/signet"
export LD_LIBRARY_PATH="$R$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
expect 0 "" "$Si" --version
grep -qx "signet $version" "$T/out.txt" && ok || bad "installed signet --version: $(cat "$T/out.txt")"
# A profile that exists only in the root: found beside the installed binary.
cp "$R/usr/share/signet/targets/sim.json" "$R/usr/share/signet/targets/deb-test.json"
expect 2 "$T/no-ca.pem" "$Si" station run --profile deb-test --fixture "unix:$T/none.sock" \
  --ca-key "pkcs11:token=none" --ca-cert "$T/no-ca.pem" --db "$T/db" --ledger "$T/ledger"
new_token release
U="pkcs11:token=release;pin-source=file:$PINFILE"
expect 0 "" "$Si" hsm keygen --type ecdsa-p256 --key "$U;object=fw"
expect 0 "" "$Si" hsm pubkey --key "$U;object=fw" -o "$T/fw.pub.pem"
head -c 65536 /dev/urandom >"$T/fw.bin"
expect 0 "1 signature" "$Si" sign --key "$U;object=fw" --version 1.0.0 "$T/fw.bin" "$T/fw.sgn"
expect 0 "valid" "$Si" verify --trust "$T/fw.pub.pem" "$T/fw.sgn"
flip "$T/fw.sgn" 200
expect 1 "" "$Si" verify --trust "$T/fw.pub.pem" "$T/fw.sgn.flipped"
finish

#!/usr/bin/env bash
# `cmake --install` into a temp prefix installs everything a user needs (the
# program, libraries, headers, .pc files, SBOM, target profiles, and the man
# pages and bash completion where the tree has them), and the installed
# library builds programs: two small ones are compiled against it with nothing
# but what pkg-config says (signet, and the device verifier alone) and run.
#   test_install.sh BUILD_DIR [EXTRA_CFLAGS]   (EXTRA_CFLAGS: the sanitizers
#   the tree was built with, which a program linking it needs too)
set -euo pipefail
build=$1
extra=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
CC=${CC:-cc}

prefix="$T/prefix"
cmake --install "$build" --prefix "$prefix" >"$T/install.log"
pc=$(dirname "$(find "$prefix" -name signet.pc)")
export PKG_CONFIG_PATH=$pc
[ -f "$prefix/include/signet/signet.h" ] && ok || bad "no signet/signet.h installed"
for h in "$prefix"/include/signet/*.h; do # each public header stands alone
  printf '#include <signet/%s>\n' "$(basename "$h")" >"$T/one.c"
  $CC $extra -std=c11 -Wall -Werror $(pkg-config --cflags signet) -c "$T/one.c" -o "$T/one.o" &&
    ok || bad "$(basename "$h") does not compile on its own"
done
# ---- everything a user needs: the program, libraries, .pc files, SBOM,
# target profiles, and the man pages and completion where the tree has them
installed() { [ -e "$prefix/$1" ] && ok || bad "cmake --install puts no $1 in place"; }
libdir_rel=${pc#"$prefix/"}
libdir_rel=${libdir_rel%/pkgconfig}
for f in bin/signet "$libdir_rel"/libsignet.so "$libdir_rel"/libsignet.a "$libdir_rel"/libsignet-verifier.a \
  "$libdir_rel"/pkgconfig/signet-verifier.pc share/signet/signet.cdx.json share/signet/targets/nrf51.json \
  share/doc/signet/copyright; do
  installed "$f"
done
cmp -s "$build/share/signet/signet.cdx.json" "$prefix/share/signet/signet.cdx.json" && ok ||
  bad "the installed SBOM is not the build tree's"
for page in "$SIGNET_SOURCE_DIR"/docs/man/*.1; do
  [ -e "$page" ] && installed "share/man/man1/$(basename "$page")"
done
[ -e "$SIGNET_SOURCE_DIR/contrib/bash-completion/signet" ] && installed share/bash-completion/completions/signet
[ "$("$prefix/bin/signet" --version)" = "$("$S" --version)" ] && ok || bad "the installed signet --version differs"

case " $(pkg-config --cflags signet) " in
  *" -I$prefix/"*) ok ;;
  *) bad "pkg-config --cflags signet: $(pkg-config --cflags signet) is not under $prefix" ;;
esac

# ---- libsignet, shared and static: a program that verifies an imgtool image
vec="$SIGNET_SOURCE_DIR/tests/vectors/mcuboot"
libdir=$(pkg-config --variable=libdir signet)
$CC $extra -o "$T/verify_image" "$here/verify_image.c" $(pkg-config --cflags --libs signet) \
  -Wl,-rpath,"$libdir"
libs=$(pkg-config --static --libs signet)
$CC $extra -o "$T/verify_image_static" "$here/verify_image.c" $(pkg-config --cflags signet) \
  ${libs/-lsignet /-l:libsignet.a }
if ldd "$T/verify_image" | grep -F "$prefix" >/dev/null; then ok; else bad "verify_image does not use the installed libsignet.so"; fi
if ldd "$T/verify_image_static" | grep libsignet >/dev/null; then bad "static build uses libsignet.so"; else ok; fi
cp "$vec/ed25519.signed.bin" "$T/image.bin"
flip "$T/image.bin" 100
for prog in verify_image verify_image_static; do
  expect 0 "" "$T/$prog" "$vec/ed25519.signed.bin" "$vec/test-ed25519.pub.pem"
  expect 1 "digest" "$T/$prog" "$T/image.bin.flipped" "$vec/test-ed25519.pub.pem"
  expect 1 "" "$T/$prog" "$vec/ed25519.signed.bin" "$vec/test-ecdsa-p256.pub.pem"
done

# ---- the device verifier alone: no OpenSSL, nothing but itself
$CC $extra -std=c99 -o "$T/parse_envelope" "$here/parse_envelope.c" \
  $(pkg-config --cflags --libs signet-verifier)
if nm -u "$T/parse_envelope" | grep -E ' (EVP_|OPENSSL_|sg_)' >/dev/null; then
  bad "parse_envelope pulls in more than the verifier"
else ok; fi
new_token release
U="pkcs11:token=release;pin-source=file:$PINFILE"
"$S" hsm keygen --type ed25519 --key "$U;object=fw" >/dev/null 2>&1
head -c 4096 /dev/urandom >"$T/fw.bin"
"$S" sign --key "$U;object=fw" --version 1.0.0 "$T/fw.bin" "$T/fw.sgn" 2>/dev/null
expect 0 "" "$T/parse_envelope" "$T/fw.sgn"
expect 1 "" "$T/parse_envelope" "$T/fw.bin"
finish

#!/usr/bin/env bash
# The installed library builds programs: `cmake --install` into a temp
# prefix, then two small programs are compiled against it with nothing but
# what pkg-config says (signet, and the device verifier alone) and run.
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

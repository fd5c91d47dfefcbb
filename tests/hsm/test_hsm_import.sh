#!/usr/bin/env bash
# signet hsm import through the binary, with real SoftHSM2 and openssl:
# keys from a PEM file, a DER file and a pipe sign envelopes that verify
# with the public key openssl derives from the original; the token keeps
# them sensitive and not extractable, as pkcs11-tool (a tool nobody here
# wrote) reads them; refusals and their exit statuses; a token that keeps
# the key extractable (the fault module) is left with nothing; no file
# appears for a piped key, and no output holds a byte of a key.
. "$(dirname "$0")/../cli/lib.sh"
FAULT=${SIGNET_FAULT_MODULE:?set SIGNET_FAULT_MODULE to the fault PKCS#11 module}
shopt -s lastpipe # `... | run ...` counts its checks in this shell

new_token dev
K="pkcs11:token=dev;pin-source=file:$PINFILE"
mkdir -p "$T/keys" "$T/out" "$T/cwd" "$T/tmp"
head -c 3000 /dev/urandom >"$T/fw.bin"
tool() { pkcs11-tool --module "$MODULE" --token-label dev --login --pin 1234 "$@" 2>&1; }

# run NAME RC SUBSTRING [cmd...]: like expect, but stdin is the caller's
# (for pipes) and output is kept as $T/out/NAME.{out,err} for the search
# for key bytes at the end
run() {
  local name=$1 want=$2 msg=$3 rc=0
  shift 3
  "$@" >"$T/out/$name.out" 2>"$T/out/$name.err" || rc=$?
  if [ "$rc" != "$want" ]; then
    bad "$name: exit $rc, wanted $want: $(head -c 400 "$T/out/$name.err")"
  elif [ -n "$msg" ] && ! grep -qF -- "$msg" "$T/out/$name.err"; then
    bad "$name: stderr lacks '$msg': $(cat "$T/out/$name.err")"
  elif [ -n "$msg" ] && [ "$(wc -l <"$T/out/$name.err")" != 1 ]; then
    bad "$name: stderr is not one line: $(cat "$T/out/$name.err")"
  else
    ok
  fi
}

# ---- three ways in: a PEM file, a DER file, a pipe
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/keys/p256.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -outform DER -out "$T/keys/ed.der" 2>/dev/null
openssl pkey -in "$T/keys/p256.pem" -pubout -out "$T/p256.pub"
openssl pkey -inform DER -in "$T/keys/ed.der" -pubout -out "$T/ed.pub"
run pem 0 "signet: imported ecdsa-p256 key $K;object=pem (key id " \
  "$S" hsm import --key "$K;object=pem" --from "$T/keys/p256.pem"
run der 0 "signet: imported ed25519 key $K;object=der (key id " \
  "$S" hsm import --key "$K;object=der" --from "$T/keys/ed.der"
# The pipe: the private key exists only in the pipe; tee hands openssl a
# copy to derive the public key from. signet runs in an empty directory
# with an empty TMPDIR, which must stay empty.
cd "$T/cwd"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 2>/dev/null |
  tee >(openssl pkey -pubout -out "$T/rsa.pub") |
  TMPDIR="$T/tmp" run piped 0 "signet: imported rsa-3072 key $K;object=piped (key id " \
    "$S" hsm import --key "$K;object=piped" --from -
cd - >/dev/null
for _ in $(seq 50); do [ -s "$T/rsa.pub" ] && break; sleep 0.1; done
[ -z "$(find "$T/cwd" "$T/tmp" -mindepth 1)" ] && ok || bad "files appeared: $(find "$T/cwd" "$T/tmp" -mindepth 1)"

# ---- core dumps are off before a byte of the key is read: signet waits
# to open a FIFO nobody writes yet (under valgrind $! is the wrapper's pid)
if [ -z "${SIGNET_VALGRIND:-}" ]; then
  mkfifo "$T/key.fifo"
  (ulimit -c unlimited 2>/dev/null || true
    exec "$S" hsm import --key "$K;object=fifo" --from "$T/key.fifo") \
    >"$T/out/fifo.out" 2>"$T/out/fifo.err" &
  pid=$!
  for _ in $(seq 100); do
    grep -qE '^Max core file size +0 +0 ' "/proc/$pid/limits" 2>/dev/null && break
    sleep 0.05
  done
  grep -qE '^Max core file size +0 +0 ' "/proc/$pid/limits" && ok ||
    bad "core dumps on while the key is read: $(grep core "/proc/$pid/limits")"
  cat "$T/keys/p256.pem" >"$T/key.fifo"
  wait "$pid" && ok || bad "import from a FIFO: $(cat "$T/out/fifo.err")"
fi

# ---- each signs as its original: verified with openssl's public key
for x in "pem p256" "der ed" "piped rsa"; do
  set -- $x
  run "sign-$1" 0 "1 signature" "$S" sign --key "$K;object=$1" --version 1.0.0 "$T/fw.bin" "$T/$1.sgn"
  run "verify-$1" 0 "valid" "$S" verify --trust "$T/$2.pub" "$T/$1.sgn"
  # and the key id signet printed is the one in the envelope and SHA-256
  # of the public key as openssl encodes it
  printed=$(sed -n 's/.*(key id \([0-9a-f]*\))$/\1/p' "$T/out/$1.err")
  inspected=$("$S" inspect --json "$T/$1.sgn" | jq -r '.signatures[0].key_id')
  derived=$(openssl pkey -pubin -in "$T/$2.pub" -outform DER | sha256sum | cut -d' ' -f1)
  [ -n "$printed" ] && [ "$printed" = "$inspected" ] && [ "$printed" = "$derived" ] && ok ||
    bad "$1: key id printed '$printed', envelope '$inspected', openssl '$derived'"
done
# a signature by another key does not verify with it (the check above can fail)
run verify-other 1 "" "$S" verify --trust "$T/ed.pub" "$T/pem.sgn"

# ---- what the token keeps, as pkcs11-tool sees it
tool --list-objects >"$T/objects.txt"
# access_of KIND LABEL: the Access line of that object
access_of() {
  awk -v k="$1" -v l="$2" '/^[A-Z]/ { inobj = index($0, k) == 1; lab = "" }
    inobj && $1 == "label:" { lab = $2 } inobj && lab == l && $1 == "Access:" { sub(/^ *Access: */, ""); print; exit }' \
    "$T/objects.txt"
}
for l in pem der piped; do
  a=$(access_of "Private Key Object" "$l")
  [ "$a" = sensitive ] && ok || bad "$l: private key access '$a', wanted 'sensitive' (not extractable)"
done
# pkcs11-tool 0.23 reads no private key at all: it must not write one here
tool --read-object --type privkey --label pem -o "$T/read.bin" >"$T/read.txt" || true
[ ! -s "$T/read.bin" ] && ok || bad "pkcs11-tool read the private key: $(wc -c <"$T/read.bin") bytes"
# `hsm list` tells imported keys from generated ones
expect 0 "generated" "$S" hsm keygen --type ecdsa-p256 --key "$K;object=made"
run list 0 "" "$S" hsm list --json "$K"
jq -e '[.[] | select(.kind == "key") | {(.label): .generated_in_token}] | add |
  del(.fifo) == {"pem": false, "der": false, "piped": false, "made": true}' "$T/out/list.out" >/dev/null &&
  ok || bad "generated_in_token: $(jq -c '[.[] | select(.kind == "key") | [.label, .generated_in_token]]' "$T/out/list.out")"

# ---- refusals
run taken 2 "token 'dev': an object with label 'pem' already exists" \
  "$S" hsm import --key "$K;object=pem" --from "$T/keys/p256.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/keys/rsa2048.pem" 2>/dev/null
run rsa2048 2 "rsa2048.pem: RSA 2048 key: signet imports ecdsa-p256, ecdsa-p384, ed25519, rsa-3072 or rsa-4096" \
  "$S" hsm import --key "$K;object=small" --from "$T/keys/rsa2048.pem"
openssl genpkey -algorithm X25519 2>/dev/null |
  run x25519 2 "standard input: X25519 key: signet imports" "$S" hsm import --key "$K;object=x" --from -
head -c 700 /dev/urandom | run garbage 2 "standard input: not a PKCS#8 private key (PEM or DER)" \
  "$S" hsm import --key "$K;object=g" --from -
head -c 100 "$T/keys/p256.pem" >"$T/keys/cut.pem"
run cut 2 "cut.pem: malformed PEM" "$S" hsm import --key "$K;object=g" --from "$T/keys/cut.pem"
run missing 2 "$T/keys/none.pem: No such file or directory" \
  "$S" hsm import --key "$K;object=g" --from "$T/keys/none.pem"
run no-from 2 "import needs --key and --from" "$S" hsm import --key "$K;object=g"
run no-label 2 "import needs object= (the key's label)" "$S" hsm import --key "$K" --from "$T/keys/p256.pem"
# encrypted: refused, saying how to decrypt through a pipe; and that works
openssl pkey -in "$T/keys/p256.pem" -aes256 -passout pass:Pa55-phrase -out "$T/keys/enc.pem"
openssl pkey -in "$T/keys/p256.pem" -traditional -aes256 -passout pass:Pa55-phrase -out "$T/keys/enc-trad.pem"
for f in enc enc-trad; do
  run "$f" 2 "$f.pem: the private key is encrypted: decrypt it first, through a pipe, never into a file: openssl pkey -in KEY -passin env:VAR | signet hsm import --key URI --from -" \
    "$S" hsm import --key "$K;object=e" --from "$T/keys/$f.pem"
done
export KEY_PASS=Pa55-phrase
openssl pkey -in "$T/keys/enc-trad.pem" -passin env:KEY_PASS |
  run decrypted 0 "imported ecdsa-p256 key" "$S" hsm import --key "$K;object=decrypted" --from -
unset KEY_PASS
for l in small x g e; do
  grep -q "label: *$l\$" <(tool --list-objects) && bad "refused import '$l' left an object" || ok
done

# ---- a token that would keep the key extractable: refused with 1, and
# both objects gone from the real token
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/keys/p384.pem" 2>/dev/null
SIGNET_FAULT=extractable SIGNET_FAULT_PKCS11_MODULE=$MODULE \
  run lied 1 "signet: token 'dev' keeps the key extractable (CKA_EXTRACTABLE true): import is only into a token that keeps keys sensitive and not extractable" \
  "$S" hsm import --module "$FAULT" --key "$K;object=lied" --from "$T/keys/p384.pem"
tool --list-objects | grep -q "label: *lied$" && bad "the refused key stayed on the token" || ok
SIGNET_FAULT_PKCS11_MODULE=$MODULE run honest 0 "imported ecdsa-p384 key" \
  "$S" hsm import --module "$FAULT" --key "$K;object=lied" --from "$T/keys/p384.pem"

# ---- no output holds a byte of any key: a line of a PEM body, or the
# private value in hex as openssl prints it
for f in "$T"/keys/*.pem; do
  case $f in *enc*) continue ;; esac
  sed -n '2,$p' "$f" | grep -v -- '-----' | grep -E '.{24}' >>"$T/secrets.txt" || true
done
for f in "$T"/keys/p256.pem "$T"/keys/p384.pem; do
  openssl pkey -in "$f" -text -noout | awk '/^priv:/ { p = 1; next } /^pub:/ { p = 0 } p' |
    tr -d ' :\n' >>"$T/secrets.txt"
  echo >>"$T/secrets.txt"
done
openssl pkey -inform DER -in "$T/keys/ed.der" -text -noout | awk '/^priv:/ { p = 1; next } /^pub:/ { p = 0 } p' |
  tr -d ' :\n' >>"$T/secrets.txt"
[ "$(wc -l <"$T/secrets.txt")" -gt 20 ] && ok || bad "too few key pieces to search for"
if grep -rlF -f "$T/secrets.txt" "$T/out" "$T"/*.sgn; then bad "a key piece is in an output"; else ok; fi
# the search finds what it looks for: the P-256 key's hex value, once
mkdir "$T/probe"
tail -n 3 "$T/secrets.txt" | head -n 1 | sed 's/^/priv=/' >"$T/probe/hex"
[ "$(grep -rlF -f "$T/secrets.txt" "$T/probe")" = "$T/probe/hex" ] && ok || bad "the search misses the hex value"

finish

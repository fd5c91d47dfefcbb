#!/usr/bin/env bash
# signet hsm through the binary, with real SoftHSM2 tokens: which tokens a
# listing logs in to, the key id it shows, pubkey without a PIN, how PINs
# are kept out of reach, and parallel processes on one token store.
. "$(dirname "$0")/../cli/lib.sh"

new_token alpha
softhsm2-util --init-token --free --label beta --so-pin 000000 --pin 5678 >/dev/null
printf '5678\n' >"$T/pin-beta"
chmod 600 "$T/pin-beta"
A="pkcs11:token=alpha;pin-source=file:$PINFILE"
B="pkcs11:token=beta;pin-source=file:$T/pin-beta"
expect 0 "generated" "$S" hsm keygen --type ecdsa-p256 --key "$A;object=fw"
expect 0 "generated" "$S" hsm keygen --type ed25519 --key "$B;object=boot"

# token_flags LABEL: the token flags pkcs11-tool reports for it.
token_flags() {
  pkcs11-tool --module "$MODULE" -L 2>/dev/null |
    awk -v l="$1" '/token label/ { t = ($NF == l) } t && /token flags/ { print; exit }'
}

# ---- a PIN is tried only on the token the URI names
# SIGNET_PIN is alpha's. Listing everything logs in nowhere: before, it
# tried the PIN on beta too (a failed login: "user PIN count low", and on
# a real HSM a step towards locking it) and stopped there with exit 3.
SIGNET_PIN=1234 expect 0 "" "$S" hsm list --json
cp "$T/out.txt" "$T/all.json"
[ "$(jq -r '[.[] | select(.kind == "key") | .label] | sort | join(",")' "$T/all.json")" = "boot,fw" ] \
  && ok || bad "list of all tokens: $(jq -c . "$T/all.json")"
jq -e 'all(.[] | select(.kind == "key"); .private_key_seen == false)' "$T/all.json" >/dev/null \
  && ok || bad "listing without a named token logged in"
token_flags beta | grep -q "count low" && bad "hsm list tried SIGNET_PIN on beta: $(token_flags beta)" || ok
# Naming the token logs in to it (and only it).
SIGNET_PIN=1234 expect 0 "" "$S" hsm list --json pkcs11:token=alpha
jq -e '[.[] | select(.kind == "key")] | length == 1 and .[0].private_key_seen' "$T/out.txt" \
  >/dev/null && ok || bad "named token: $(cat "$T/out.txt")"
expect 0 "" "$S" hsm list --json "pkcs11:token=beta;pin-source=file:$T/pin-beta"
jq -e '.[] | select(.kind == "key") | .private_key_seen' "$T/out.txt" >/dev/null && ok \
  || bad "beta with its pin-source: $(cat "$T/out.txt")"
token_flags beta | grep -q "count low" && bad "beta: $(token_flags beta)" || ok

# ---- the key id of `hsm list` is the one signatures carry
head -c 5000 /dev/urandom >"$T/fw.bin"
expect 0 "1 signature" "$S" sign --key "$A;object=fw" --version 1.0.0 "$T/fw.bin" "$T/a.sgn"
expect 0 "1 signature" "$S" sign --key "$B;object=boot" --version 1.0.0 "$T/fw.bin" "$T/b.sgn"
for x in "alpha fw a" "beta boot b"; do
  set -- $x
  want=$("$S" inspect --json "$T/$3.sgn" | jq -r '.signatures[0].key_id')
  got=$(jq -r --arg l "$2" '.[] | select(.kind == "key" and .label == $l) | .key_id' "$T/all.json")
  [ -n "$want" ] && [ "$got" = "$want" ] && ok || bad "$1 key id: list '$got', inspect '$want'"
  "$S" hsm list "pkcs11:token=$1" | grep -qx "    key id $want" && ok || bad "$1: text list lacks key id"
  # and it is SHA-256 of the DER public key, as openssl computes it
  "$S" hsm pubkey --key "pkcs11:token=$1;object=$2" </dev/null | openssl pkey -pubin -outform DER |
    sha256sum | grep -q "^$want " && ok || bad "$1 key id is not SHA-256 of the SPKI"
done

# ---- pubkey needs no PIN when the public key object is readable
expect 0 "" "$S" hsm pubkey --key "pkcs11:token=alpha;object=fw" -o "$T/nopin.pem"
expect 0 "" "$S" hsm pubkey --key "$A;object=fw" -o "$T/pin.pem"
cmp -s "$T/nopin.pem" "$T/pin.pem" && ok || bad "pubkey without PIN differs"
expect 0 "" "$S" hsm pubkey --key "pkcs11:token=alpha;object=fw;type=public" -o "$T/pub.pem"
cmp -s "$T/pub.pem" "$T/pin.pem" && ok || bad "type=public pubkey differs"
# A private key without a public object (SoftHSM shows an RSA private
# key's modulus): its public half needs the login.
expect 0 "generated" "$S" hsm keygen --type rsa-3072 --key "$A;object=lone"
pkcs11-tool --module "$MODULE" --token-label alpha --login --pin 1234 --delete-object \
  --type pubkey --label lone >/dev/null 2>&1
expect 3 "token 'alpha': needs a PIN" "$S" hsm pubkey --key "pkcs11:token=alpha;object=lone"
expect 0 "" "$S" hsm pubkey --key "$A;object=lone" -o "$T/lone.pem"
openssl pkey -pubin -in "$T/lone.pem" -text -noout | grep -q "3072 bit" && ok || bad "lone pubkey"
expect 2 "not found" "$S" hsm pubkey --key "pkcs11:token=alpha;object=lone;type=public"

# ---- a PIN file others may read is refused (as ssh refuses such keys)
cp "$PINFILE" "$T/pin-shared"
chmod 644 "$T/pin-shared"
expect 3 "$T/pin-shared: group or others may access it (mode 644): make it private (chmod 600)" \
  "$S" sign --key "pkcs11:token=alpha;object=fw;pin-source=file:$T/pin-shared" --version 1.0.0 \
  "$T/fw.bin" "$T/shared.sgn"
no_output "$T/shared.sgn"
token_flags alpha | grep -q "count low" && bad "a login was tried: $(token_flags alpha)" || ok

# ---- a PIN in the environment: no core dump from the start
# SoftHSM's conf is a FIFO nobody writes, so signet waits in C_Initialize,
# long after main() and before any login, with SIGNET_PIN in its
# environment. A crash then must not write a core file holding the PIN.
mkdir "$T/crash"
mkfifo "$T/conf.fifo"
(cd "$T/crash" && ulimit -c unlimited &&
  SOFTHSM2_CONF="$T/conf.fifo" SIGNET_PIN=1234 exec "$S" hsm list) 2>/dev/null &
pid=$!
for _ in $(seq 100); do
  grep -q libsofthsm2 "/proc/$pid/maps" 2>/dev/null && break
  sleep 0.1
done
grep -q libsofthsm2 "/proc/$pid/maps" 2>/dev/null && ok || bad "signet did not reach the module"
grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" && ok \
  || bad "core dumps on with SIGNET_PIN set: $(grep core "/proc/$pid/limits")"
kill -ABRT "$pid" # (sanitizers catch SEGV)
rc=0
wait "$pid" 2>/dev/null || rc=$?
[ "$rc" = 134 ] && ok || bad "crash exit $rc"
[ -z "$(ls "$T/crash")" ] && ok || bad "a core file was written: $(ls "$T/crash")"

# ---- parallel processes on one token store
# SoftHSM2 reads its store at C_Initialize, and every login rewrites the token
# file: a process starting meanwhile saw "token not found", a token without
# its user PIN, or CKR_GENERAL_ERROR at login. signet retries those.
: >"$T/par.fail"
start=$SECONDS
for round in $(seq 1 40); do
  for i in 1 2 3 4 5 6 7 8; do
    (
      if [ $((i % 2)) = 0 ]; then
        "$S" sign --key "$A;object=fw" --version 1.0.$round "$T/fw.bin" "$T/par$i.sgn"
      else
        "$S" hsm list "$A"
      fi >/dev/null 2>"$T/par$i.err" || echo "round $round: $(cat "$T/par$i.err")" >>"$T/par.fail"
    ) &
  done
  wait
done
[ ! -s "$T/par.fail" ] && ok || bad "$(wc -l <"$T/par.fail") of 320 parallel runs failed: $(sort "$T/par.fail" | head -3)"
echo "320 parallel runs in $((SECONDS - start)) s"

# ---- SIGNET_PIN serves every login of one run: two tokens with the same PIN
# sign one release (the variable is scrubbed after the first login; signet's
# own copy serves the second)
softhsm2-util --init-token --free --label gamma --so-pin 000000 --pin 1234 >/dev/null
expect 0 "generated" "$S" hsm keygen --type ecdsa-p256 --key "pkcs11:token=gamma;object=fw2;pin-source=file:$PINFILE"
head -c 4096 /dev/urandom >"$T/fw.bin"
SIGNET_PIN=1234 expect 0 "2 signatures" "$S" sign --key "pkcs11:token=alpha;object=fw" \
  --key "pkcs11:token=gamma;object=fw2" --version 1.0.0 "$T/fw.bin" "$T/two-tokens.sgn"

finish

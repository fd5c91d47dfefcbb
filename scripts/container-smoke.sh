#!/usr/bin/env bash
# Smoke test of an installed signet, as the container image runs it (the
# image ships this as /usr/local/share/signet/container-smoke.sh): in a
# SoftHSM2 token of its own in a temp dir (the user's SOFTHSM2_CONF and
# tokens are not touched), generates a key, signs a small file with a
# security counter, verifies it, inspects it, lists the token as JSON, and
# asks signet and pkcs11-tool for their versions. One line per step; exit 0
# only when every step passed, 1 when one failed, 3 when a tool is missing.
#   container-smoke.sh        (SIGNET=PATH: the signet to test, default: PATH's;
#                              SIGNET_PKCS11_MODULE: default SoftHSM2's module)
set -uo pipefail
signet=${SIGNET:-signet}
module=${SIGNET_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
for tool in "$signet" softhsm2-util pkcs11-tool jq; do
  command -v "$tool" >/dev/null || { echo "FAIL tools: $tool is not installed" >&2; exit 3; }
done
[ -r "$module" ] || { echo "FAIL tools: no PKCS#11 module at $module" >&2; exit 3; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/signet-smoke-XXXXXX") || { echo "FAIL tools: mktemp" >&2; exit 3; }
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir" \
  >"$dir/softhsm2.conf"
export SOFTHSM2_CONF="$dir/softhsm2.conf" SIGNET_PKCS11_MODULE="$module"
unset SIGNET_PIN
(umask 077 && printf '1234\n' >"$dir/pin")
token="pkcs11:token=smoke;pin-source=file:$dir/pin"
failed=0

# step NAME COMMAND...: runs COMMAND (its output into $dir/NAME.out, errors
# into $dir/err) and prints one line: "ok   NAME" or "FAIL NAME: first error line".
step() {
  local name=$1
  shift
  if "$@" >"$dir/${name// /_}.out" 2>"$dir/err"; then
    echo "ok   $name"
  else
    echo "FAIL $name: $(head -n 1 "$dir/err")"
    failed=1
  fi
}
# json_has FILE FILTER: FILE is JSON for which jq's FILTER is true.
json_has() {
  jq -e "$2" "$1" >/dev/null 2>&1 || { echo "$(basename "$1"): not true: $2" >"$dir/err"; return 1; }
}

step "signet --version" "$signet" --version
step "token" softhsm2-util --init-token --free --label smoke --so-pin 000000 --pin 1234
step "keygen" "$signet" hsm keygen --type ecdsa-p256 --key "$token;object=fw"
step "pubkey" "$signet" hsm pubkey --key "$token;object=fw" -o "$dir/fw.pub.pem"
head -c 4096 /dev/urandom >"$dir/fw.bin"
step "sign --security-counter" "$signet" sign --key "$token;object=fw" --version 1.0.0 \
  --security-counter 7 "$dir/fw.bin" "$dir/fw.sgn"
step "verify" "$signet" verify --trust "$dir/fw.pub.pem" --min-security-counter 7 "$dir/fw.sgn"
step "inspect" "$signet" inspect --json "$dir/fw.sgn"
step "inspect: security counter 7" json_has "$dir/inspect.out" '.security_counter == 7'
step "hsm list --json" "$signet" hsm list --json "$token"
step "hsm list: key fw" json_has "$dir/hsm_list_--json.out" \
  'map(select(.kind == "key" and .label == "fw" and .private_key_seen)) | length == 1'
step "pkcs11-tool" pkcs11-tool --module "$module" --list-slots

if [ "$failed" -ne 0 ]; then
  echo "container-smoke: FAILED" >&2
  exit 1
fi
echo "container-smoke: all steps passed"

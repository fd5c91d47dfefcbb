#!/usr/bin/env bash
# The CI recipes of docs/ci.md (examples/ci/) run here as the CI systems would
# run them: tests/ci/ci_run.py parses each workflow/pipeline file and executes
# its jobs in order against SoftHSM2, with a fixture firmware repository, a
# real key made with openssl as the "CI secret", and this test playing the
# approvers of the production recipe (examples/ci/approve.sh with SoftHSM2
# tokens as their HSMs). Then the envelopes are checked with signet verify and
# openssl. Last, broken recipes must fail: a typo in a flag, an action without
# a local equivalent, an apt-get install of a package that is not installed.
source "$(dirname "$0")/../cli/lib.sh"
SRC=${SIGNET_SOURCE_DIR:?}
EX="$SRC/examples/ci"
RUN=(python3 "$SRC/tests/ci/ci_run.py")
APPROVE="$EX/approve.sh"
python3 -c 'import yaml' 2>/dev/null || { bad "python3-yaml is not installed (scripts/setup-deps.sh)"; finish; }

# signet on PATH for the jobs and approve.sh (the binary under test)
mkdir -p "$T/bin"
ln -s "$S" "$T/bin/signet"
export PATH="$T/bin:$PATH"
STATE="$T/state"
EPOCH=1767225600 # 2026-01-01T00:00:00Z: the commit's time, the build time

# ---- the approvers' HSMs: one token each, keys made inside
new_token approver
new_token approver2
A1="pkcs11:token=approver;object=release;pin-source=file:$PINFILE"
A2="pkcs11:token=approver2;object=release2;pin-source=file:$PINFILE"
signet hsm keygen --type ecdsa-p256 --key "$A1" 2>/dev/null
# (P-384, not Ed25519: SoftHSM2 leaks on Ed25519 signing, and LSan's
# suppression of it, tests/common/lsan-softhsm.supp, does not always match)
signet hsm keygen --type ecdsa-p384 --key "$A2" 2>/dev/null

# ---- the firmware repository the pipelines check out
R="$T/repo"
mkdir -p "$R/keys"
signet hsm pubkey --key "$A1" -o "$R/keys/release.pub.pem"
signet hsm pubkey --key "$A2" -o "$R/keys/release2.pub.pem"
# the release key's chain under a root (docs/pki.md), issued a day before the
# commit: a chain is checked at the envelope's build time
PKI="pkcs11:token=pki;pin-source=file:$PINFILE"
new_token pki
(
  export SOURCE_DATE_EPOCH=$((EPOCH - 86400))
  signet hsm keygen --type ecdsa-p256 --key "$PKI;object=root"
  signet hsm keygen --type ecdsa-p256 --key "$PKI;object=code-ca"
  signet pki init-root --key "$PKI;object=root" --subject "/CN=Acme Root/O=Acme" --validity 3650 \
    --db "$T/pki.db" -o "$R/keys/root.pem"
  signet pki init-ca --key "$PKI;object=code-ca" --issuer-key "$PKI;object=root" \
    --issuer-cert "$R/keys/root.pem" --profile code-signing-ca --subject "/CN=Acme Code Signing CA" \
    --validity 1825 --db "$T/pki.db" -o "$T/code-ca.pem"
  signet pki issue --ca-key "$PKI;object=code-ca" --ca-cert "$T/code-ca.pem" \
    --pubkey "$R/keys/release.pub.pem" --profile code-signing --subject "/CN=Acme release 2026" \
    --validity 365 --db "$T/pki.db" -o "$T/release.pem"
) 2>/dev/null
cat "$T/release.pem" "$T/code-ca.pem" >"$R/keys/release.chain.pem"
# the development key: made with openssl, held as a CI secret (PKCS#8 PEM)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key.pem" 2>/dev/null
openssl pkey -in "$T/dev.key.pem" -pubout -out "$R/keys/dev.pub.pem"
cat >"$R/Makefile" <<'MK'
# stand-in for a firmware build: 16 bytes at 0x08000000 as Intel HEX
firmware:
	mkdir -p build
	printf ':020000040800F2\n:10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n' > build/fw.hex
MK
(
  cd "$R" && git init -q && git add -A &&
    GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.org GIT_COMMITTER_NAME=ci \
      GIT_COMMITTER_EMAIL=ci@example.org GIT_AUTHOR_DATE="@$EPOCH +0000" \
      GIT_COMMITTER_DATE="@$EPOCH +0000" git commit -q -m firmware
)
COMMIT_ISO=2026-01-01T00:00:00+00:00
FW_SHA256=$(printf '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f' |
  openssl dgst -sha256 -r | cut -d' ' -f1)

# run_ci KIND FILE ARGS...: the pipeline; its log in $T/ci.log
run_ci() {
  local kind=$1 file=$2 rc=0
  shift 2
  "${RUN[@]}" "$kind" "$file" --state "$STATE" --repo "$R" --bin "$T/bin" "$@" >"$T/ci.log" 2>&1 || rc=$?
  return $rc
}
ci_ok() { # what KIND FILE ARGS...
  local what=$1
  shift
  if run_ci "$@"; then ok; else
    bad "$what: $(tail -n 15 "$T/ci.log")"
  fi
}

# openssl_checks ENVELOPE PUB.pem INDEX: openssl verifies signature INDEX
# (1-based, among the SIGNATURE TLVs) over M, the first 32+P bytes
# (docs/envelope.md §5, §6)
openssl_checks() {
  local f=$1 pub=$2 idx=$3 P N alg
  "$S" inspect --json "$f" >"$T/i.json"
  P=$(field "$T/i.json" .protected_size)
  N=$(field "$T/i.json" .payload_size)
  alg=$(field "$T/i.json" ".signatures[$((idx - 1))].algorithm")
  head -c $((32 + P)) "$f" >"$T/M"
  # the signature area: magic, size, then TLVs (u16 type, u16 length, value)
  python3 - "$f" $((32 + P + N)) "$idx" "$T/sig" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, want = int(sys.argv[2]) + 8, int(sys.argv[3])
n = 0
while off < len(data):
    typ, ln = struct.unpack_from("<HH", data, off)
    if typ == 0x8001:
        n += 1
        if n == want:
            open(sys.argv[4], "wb").write(data[off + 4 + 34:off + 4 + ln])
            sys.exit(0)
    off += 4 + ln
sys.exit(1)
PY
  case $alg in
    ecdsa-p256-sha256) v=(openssl dgst -sha256 -verify "$pub" -signature "$T/sig" "$T/M") ;;
    ecdsa-p384-sha384) v=(openssl dgst -sha384 -verify "$pub" -signature "$T/sig" "$T/M") ;;
    ed25519) v=(openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -in "$T/M" -sigfile "$T/sig") ;;
    *) bad "no openssl check for $alg"; return ;;
  esac
  "${v[@]}" >/dev/null 2>&1 && ok || bad "openssl does not verify signature $idx of $f"
}

# json_checks FILE JSON VERSION: what --json said of FILE
json_checks() {
  [ "$(field "$2" .output.sha256)" = "$(sha256sum "$1" | cut -d' ' -f1)" ] && ok || bad "$2: output.sha256"
  [ "$(field "$2" .output.size)" = "$(stat -c %s "$1")" ] && ok || bad "$2: output.size"
  [ "$(field "$2" .version)" = "$3" ] && ok || bad "$2: version $(field "$2" .version)"
}

# release_checks ENVELOPE: what both release recipes must produce
release_checks() {
  local f=$1
  json_checks "$f" "$f.json" 1.4.0
  [ "$(field "$f.json" .security_counter)" = 3 ] && ok || bad "$f.json: security_counter"
  expect 0 "valid" "$S" verify --trust "$R/keys/release.pub.pem" --min-security-counter 3 "$f"
  expect 0 "valid" "$S" verify --trust-root "$R/keys/root.pem" "$f"
  expect 1 "" "$S" verify --trust-root "$T/code-ca.pem" "$f"
  openssl_checks "$f" "$R/keys/release.pub.pem" 1
  "$S" inspect --json "$f" >"$T/r.json"
  [ "$(field "$T/r.json" .version)" = 1.4.0 ] && ok || bad "$f: version $(field "$T/r.json" .version)"
  [ "$(field "$T/r.json" .build_time)" = "$EPOCH" ] && ok ||
    bad "$f: build time $(field "$T/r.json" .build_time), not the commit's $EPOCH"
  # the payload is the firmware the build job made (bytes 0..15 at 0x08000000)
  [ "$(field "$T/r.json" .payload_digest.value)" = "$FW_SHA256" ] && ok || bad "$f: payload"
}

# approve REQ TBS SIG: approver 1 signs (output: the base64 line in $T/b64)
approve() {
  if "$APPROVE" sign --key "$A1" --tbs "$2" --yes "$1" "$3" >"$T/approve.out" 2>&1; then
    ok
    tail -n 1 "$T/approve.out" >"$T/b64"
  else
    bad "approve.sh sign: $(tail -n 3 "$T/approve.out")"
  fi
}

# ======== recipe 1: development signing, the key from a CI secret
# dev_checks ENVELOPE JSON VERSION: the envelope, and what --json said of it
dev_checks() {
  local f=$1 j=$2
  expect 0 "valid" "$S" verify --trust "$R/keys/dev.pub.pem" "$f"
  openssl_checks "$f" "$R/keys/dev.pub.pem" 1
  json_checks "$f" "$j" "$3"
  [ "$(field "$j" '.signatures[0].key_id')" = "$DEV_KEY_ID" ] && ok || bad "$j: key id"
  [ "$(field "$j" '.signatures[0].algorithm')" = ecdsa-p256-sha256 ] && ok || bad "$j: algorithm"
  "$S" inspect --json "$f" >"$T/d.json"
  [ "$(field "$T/d.json" .build_time)" = "$EPOCH" ] && ok || bad "$f: build time, not the commit's"
  [ "$(field "$T/d.json" .payload_digest.value)" = "$FW_SHA256" ] && ok || bad "$f: payload"
  # the secret is in no log line
  grep -qF -- "$(sed -n 2p "$T/dev.key.pem")" "$T/ci.log" && bad "the dev key is in the log" || ok
}
DEV_KEY_ID=$(openssl pkey -pubin -in "$R/keys/dev.pub.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
ci_ok "github dev" github "$EX/github/dev-signing.yml" --event push --run-id 401 \
  --secrets "$(jq -n --rawfile k "$T/dev.key.pem" '{SIGNET_DEV_KEY: $k}')"
dev_checks "$STATE/github/401/dev-signed/fw.sgn" "$STATE/github/401/dev-signed/fw.sgn.json" 0.0.0+401
DEV_B64=$(openssl pkey -in "$T/dev.key.pem" -outform DER | base64 -w 0)
ci_ok "gitlab dev" gitlab "$EX/gitlab/dev-signing.gitlab-ci.yml" --pipeline-id 501 \
  --commit-timestamp "$COMMIT_ISO" --variables "$(jq -n --arg k "$DEV_B64" '{SIGNET_DEV_KEY_B64: $k}')"
dev_checks "$STATE/gitlab/501/sign-dev/signed/fw.sgn" "$STATE/gitlab/501/sign-dev/signed/fw.sgn.json" 0.0.0+501
grep -qF -- "${DEV_B64:20:40}" "$T/ci.log" && bad "the dev key is in the GitLab log" || ok
ci_ok "gitlab dev: another branch" gitlab "$EX/gitlab/dev-signing.gitlab-ci.yml" --pipeline-id 502 \
  --branch feature --commit-timestamp "$COMMIT_ISO"
[ ! -e "$STATE/gitlab/502/sign-dev" ] && ok || bad "a branch pipeline signed with the dev key"

# ======== recipe 2, GitHub: tag push, approver, workflow_dispatch
GH_REL="$EX/github/release-signing.yml"
ci_ok "github release: tag run" github "$GH_REL" --event push --run-id 101 --ref-name v1.4.0
REQ="$STATE/github/101/signing-request"
for f in fw.req fw.req.txt fw.tbs; do [ -s "$REQ/$f" ] && ok || bad "signing-request lacks $f"; done
json_checks "$REQ/fw.req" "$REQ/fw.req.json" 1.4.0
grep -q 'security counter: 3' "$REQ/fw.req.txt" && ok || bad "fw.req.txt: $(cat "$REQ/fw.req.txt")"
# the complete job did not run on the tag push
[ ! -e "$STATE/github/101/release" ] && ok || bad "complete ran on the tag push"

# approver: refusals first (another key; bytes that are not the request's)
expect 1 "prepared for key" "$APPROVE" sign --key "$A2" --yes "$REQ/fw.req" "$T/x.sig"
no_output "$T/x.sig"
head -c 32 /dev/urandom >"$T/other.tbs"
expect 1 "not the bytes" "$APPROVE" sign --key "$A1" --tbs "$T/other.tbs" --yes "$REQ/fw.req" "$T/x.sig"
no_output "$T/x.sig"
expect 1 "not confirmed" "$APPROVE" sign --key "$A1" "$REQ/fw.req" "$T/x.sig"
no_output "$T/x.sig"
approve "$REQ/fw.req" "$REQ/fw.tbs" "$T/gh.sig"
# the signature is what openssl accepts over the tbs bytes (a digest: no -rawin)
openssl pkeyutl -verify -pubin -inkey "$R/keys/release.pub.pem" -in "$REQ/fw.tbs" \
  -sigfile "$T/gh.sig" >/dev/null 2>&1 && ok || bad "openssl rejects the approver's signature"

# a wrong signature: the complete job fails (exit 1 from signet, the build fails)
printf '%s' "$(base64 -w 0 "$T/other.tbs")" >"$T/bad.b64"
if run_ci github "$GH_REL" --event workflow_dispatch --run-id 102 \
  --inputs "$(jq -n --arg s "$(cat "$T/bad.b64")" '{request_run: "101", signature: $s}')"; then
  bad "a wrong signature completed"
else
  grep -q 'complete / Complete.*exit 1' "$T/ci.log" && ok || bad "wrong signature: $(tail -n 5 "$T/ci.log")"
fi
ci_ok "github release: complete run" github "$GH_REL" --event workflow_dispatch --run-id 103 \
  --inputs "$(jq -n --arg s "$(cat "$T/b64")" '{request_run: "101", signature: $s}')"
GH_SGN="$STATE/github/103/release/fw.sgn"
release_checks "$GH_SGN"

# M-of-N: the second approver cosigns on their HSM machine
TRUST=(--trust "$R/keys/release.pub.pem" --trust "$R/keys/release2.pub.pem")
expect 1 "" "$S" verify "${TRUST[@]}" --threshold 2 "$GH_SGN"
if "$APPROVE" cosign --key "$A2" "${TRUST[@]}" --yes "$GH_SGN" "$T/fw.2of2.sgn" >"$T/cosign.out" 2>&1; then
  ok
else
  bad "approve.sh cosign: $(tail -n 3 "$T/cosign.out")"
fi
expect 0 "2 trusted signers" "$S" verify "${TRUST[@]}" --threshold 2 "$T/fw.2of2.sgn"
openssl_checks "$T/fw.2of2.sgn" "$R/keys/release.pub.pem" 1
openssl_checks "$T/fw.2of2.sgn" "$R/keys/release2.pub.pem" 2
# cosigning what does not verify is refused, with signet's exit code
expect 1 "" "$APPROVE" cosign --key "$A2" --trust "$R/keys/release2.pub.pem" --yes "$GH_SGN" "$T/y.sgn"
grep -q "not cosigning" "$T/err.txt" && ok || bad "cosign refusal: $(cat "$T/err.txt")"
no_output "$T/y.sgn"

# ======== recipe 2, GitLab: tag pipeline, approver, the manual job
GL_REL="$EX/gitlab/release-signing.gitlab-ci.yml"
ci_ok "gitlab release: tag pipeline" gitlab "$GL_REL" --pipeline-id 201 --tag v1.4.0 \
  --commit-timestamp "$COMMIT_ISO"
grep -q 'job complete-release: manual, waiting' "$T/ci.log" && ok || bad "complete-release did not wait"
GREQ="$STATE/gitlab/201/prepare-release/request"
# same commit, same tag: the same request, byte for byte (SOURCE_DATE_EPOCH)
cmp -s "$GREQ/fw.req" "$REQ/fw.req" && ok || bad "GitLab's request differs from GitHub's"
approve "$GREQ/fw.req" "$GREQ/fw.tbs" "$T/gl.sig"
ci_ok "gitlab release: manual job" gitlab "$GL_REL" --pipeline-id 201 --tag v1.4.0 \
  --commit-timestamp "$COMMIT_ISO" --manual complete-release \
  --variables "$(jq -n --arg s "$(cat "$T/b64")" '{RELEASE_SIGNATURE: $s}')"
release_checks "$STATE/gitlab/201/complete-release/release/fw.sgn"
# a pipeline that is not a tag's prepares nothing
ci_ok "gitlab release: branch pipeline" gitlab "$GL_REL" --pipeline-id 202
[ ! -e "$STATE/gitlab/202/prepare-release" ] && ok || bad "a branch pipeline prepared a release"

# ======== approve.sh with a key file (a development stand-in for the HSM), Ed25519
openssl genpkey -algorithm ED25519 -out "$T/stand-in.key" 2>/dev/null
openssl pkey -in "$T/stand-in.key" -pubout -out "$T/stand-in.pub"
(cd "$R" && make -s firmware >/dev/null && mv build/fw.hex "$T/fw.hex" && rmdir build)
"$S" sign --prepare --pubkey "$T/stand-in.pub" --version 2.0.0 "$T/fw.hex" "$T/si.req" 2>/dev/null
if "$APPROVE" sign --key-file "$T/stand-in.key" --yes "$T/si.req" "$T/si.sig" >"$T/approve.out" 2>&1; then
  ok
  expect 0 "" "$S" sign --complete "$T/si.req" --signature "$T/si.sig" --pubkey "$T/stand-in.pub" "$T/si.sgn"
  expect 0 "valid" "$S" verify --trust "$T/stand-in.pub" "$T/si.sgn"
else
  bad "approve.sh --key-file: $(tail -n 3 "$T/approve.out")"
fi

# ======== examples/ci/signet-retry.sh: exit 3 retried, a PIN error and exit 1 not
RETRY=(env SIGNET_RETRY_DELAY=0 "$EX/signet-retry.sh")
tries() { # want_rc want_tries pattern cmd...: signet's runs counted by its error line
  local rc=0 n
  "${@:4}" >/dev/null 2>"$T/retry.err" || rc=$?
  n=$(grep -c -- "$3" "$T/retry.err" || true)
  [ "$rc" = "$1" ] && [ "$n" = "$2" ] && ok || bad "signet-retry.sh: exit $rc after $n tries, wanted $1 after $2: $(cat "$T/retry.err")"
}
tries 3 3 "cannot load" env SIGNET_PKCS11_MODULE=/nonexistent/module.so "${RETRY[@]}" signet hsm list
tries 3 1 "wrong PIN" env SIGNET_PIN=99999 "${RETRY[@]}" signet sign --key "pkcs11:token=approver;object=release" \
  --version 1.0.0 "$R/Makefile" "$T/retry.sgn"
no_output "$T/retry.sgn"
tries 1 1 "no valid signature" "${RETRY[@]}" signet verify --trust "$R/keys/release2.pub.pem" "$GH_SGN"

# ======== broken recipes fail the test
# a typo in a flag
sed 's/--security-counter "\$SECURITY_COUNTER"/--security-countr "$SECURITY_COUNTER"/' "$GH_REL" >"$T/typo.yml"
cmp -s "$GH_REL" "$T/typo.yml" && bad "the typo was not made"
if run_ci github "$T/typo.yml" --event push --run-id 301 --ref-name v1.4.0; then
  bad "a recipe with a typo passed"
else
  grep -q 'exit 2' "$T/ci.log" && ok || bad "typo: $(tail -n 3 "$T/ci.log")"
fi
# an action the runner does not know
sed 's|actions/download-artifact@v4|actions/cache@v4|' "$GH_REL" >"$T/unknown.yml"
run_ci github "$T/unknown.yml" --event push --run-id 302 --ref-name v1.4.0 && bad "unknown action passed" ||
  { grep -q 'actions/cache@v4 has no local equivalent' "$T/ci.log" && ok || bad "unknown: $(tail -n 3 "$T/ci.log")"; }
# apt-get: installed packages are skipped, a missing one fails
sed 's|^    - make firmware|    - apt-get update\n    - apt-get install -y --no-install-recommends make\n    - make firmware|' \
  "$GL_REL" >"$T/apt.yml"
ci_ok "apt-get of installed packages" gitlab "$T/apt.yml" --pipeline-id 303 --tag v1.4.0 \
  --commit-timestamp "$COMMIT_ISO"
sed 's|install -y --no-install-recommends make|install -y signet-no-such-package|' "$T/apt.yml" >"$T/apt2.yml"
run_ci gitlab "$T/apt2.yml" --pipeline-id 304 --tag v1.4.0 && bad "apt-get of a missing package passed" ||
  { grep -q 'apt-get install signet-no-such-package: not installed' "$T/ci.log" && ok ||
    bad "apt: $(tail -n 3 "$T/ci.log")"; }

finish

#!/usr/bin/env bash
# --json of sign (envelope, MCUboot, --prepare, --complete), cosign and pki
# init-root/init-ca/issue (single and batch), docs/json.md: one line on
# stdout, valid against its JSON Schema (docs/schemas/, python3-jsonschema),
# and every value checked independently: stat and sha256sum of the file,
# signet inspect --json of it, openssl x509 for certificates, sha256sum of
# the SBOM, key ids from signet hsm list --json, the ledger's own records.
# A command that fails prints nothing on stdout.
. "$(dirname "$0")/lib.sh"
SCHEMAS="$SIGNET_SOURCE_DIR/docs/schemas"

# json_run KIND OUT.json cmd...: exit 0, stdout one line, valid against
# docs/schemas/KIND.schema.json; the object in OUT.json
json_run() {
  local kind=$1 out=$2 rc=0
  shift 2
  "$@" >"$out" 2>"$T/err.txt" </dev/null || rc=$?
  if [ "$rc" != 0 ]; then
    bad "exit $rc: $* :: $(head -c 400 "$T/err.txt")"
    return 0
  fi
  [ "$(wc -l <"$out")" = 1 ] && ok || bad "stdout is not one line: $*"
  python3 - "$SCHEMAS/$kind.schema.json" "$out" <<'PY' && ok || bad "$out is not a valid $kind: $(cat "$out")"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors:
    print("schema:", list(e.absolute_path), e.message, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}
# no_json RC cmd...: exit RC, nothing on stdout, one line on stderr
no_json() {
  local want=$1 rc=0
  shift
  "$@" >"$T/nj.out" 2>"$T/nj.err" </dev/null || rc=$?
  [ "$rc" = "$want" ] && [ ! -s "$T/nj.out" ] && [ "$(wc -l <"$T/nj.err")" = 1 ] && ok \
    || bad "failing run: exit $rc (wanted $want), stdout '$(cat "$T/nj.out")': $*"
}
# same WHAT A B: A = B
same() { [ "$2" = "$3" ] && ok || bad "$1: '$2' != '$3'"; }
# check_file JSON FILE: .output is FILE as on disk
check_file() {
  same "output.size" "$(jq -r .output.size "$1")" "$(stat -c %s "$2")"
  same "output.sha256" "$(jq -r .output.sha256 "$1")" "$(sha256sum "$2" | cut -d' ' -f1)"
  same "output.path" "$(jq -r .output.path "$1")" "$2"
}
# hsm_key_id LABEL: the key id signet hsm list --json showed for it
hsm_key_id() { jq -r --arg l "$1" '.[] | select(.kind == "key" and .label == $l) | .key_id' "$T/hsm.json"; }
# utc "Nov 29 09:41:42 2026 GMT": RFC 3339
utc() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
# check_cert JSON_CERT PEM: the certificate members against openssl x509
check_cert() {
  local j=$1 pem=$2
  same "serial" "$(jq -r .serial <<<"$j")" \
    "$(openssl x509 -in "$pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')"
  same "subject" "$(jq -r .subject <<<"$j")" \
    "$(openssl x509 -in "$pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
  same "issuer" "$(jq -r .issuer <<<"$j")" \
    "$(openssl x509 -in "$pem" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')"
  same "not_before" "$(jq -r .not_before <<<"$j")" \
    "$(utc "$(openssl x509 -in "$pem" -noout -startdate | cut -d= -f2)")"
  same "not_after" "$(jq -r .not_after <<<"$j")" \
    "$(utc "$(openssl x509 -in "$pem" -noout -enddate | cut -d= -f2)")"
  same "certificate sha256" "$(jq -r .sha256 <<<"$j")" \
    "$(openssl x509 -in "$pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')"
}
# check_image JSON FILE: the image members against signet inspect --json
check_image() {
  local i="$T/inspect.json"
  "$S" inspect --json "$2" >"$i"
  same "version" "$(jq -r .version "$1")" "$(jq -r .version "$i")"
  # inspect shows an envelope's absent counter as 0, the JSON as null
  same "security_counter" "$(jq -r '.security_counter // 0' "$1")" "$(jq -r '.security_counter // 0' "$i")"
  if [ "$(jq -r .format "$i")" = mcuboot ]; then
    same "format" "$(jq -r .format "$1")" mcuboot
    # the header's address is a load address only with RAM_LOAD (0x20)
    same "load_addr" "$(jq -r .load_addr "$1")" \
      "$(jq -r 'if (.flags / 32 | floor) % 2 == 1 then .load_addr else null end' "$i")"
    same "payload.size" "$(jq -r .payload.size "$1")" "$(jq -r .image_size "$i")"
    same "payload.digest" "$(jq -c '.payload | [.digest_alg, .digest]' "$1")" \
      "$(jq -c '.digest | [.algorithm, .value]' "$i")"
  else
    same "format" "$(jq -r .format "$1")" signet-envelope
    same "load_addr" "$(jq -r .load_addr "$1")" "$(jq -r .load_addr "$i")"
    same "payload.size" "$(jq -r .payload.size "$1")" "$(jq -r .payload_size "$i")"
    same "payload.digest" "$(jq -c '.payload | [.digest_alg, .digest]' "$1")" \
      "$(jq -c '.payload_digest | [.algorithm, .value]' "$i")"
    same "hw_id" "$(jq -r .hw_id "$1")" "$(jq -r .hw_id "$i")"
    same "sbom" "$(jq -c .sbom "$1")" "$(jq -c .sbom "$i")"
    same "signatures" "$(jq -c '[.signatures[] | [.key_id, .algorithm]]' "$1")" \
      "$(jq -c '[.signatures[] | [.key_id, .algorithm]]' "$i")"
  fi
}

new_token rel
U="pkcs11:token=rel;pin-source=file:$PINFILE"
token_keys "$U" a c root code
"$S" hsm keygen --type ecdsa-p384 --key "$U;object=b" 2>/dev/null
for k in a b; do "$S" hsm pubkey --key "$U;object=$k" -o "$T/$k.pub.pem" 2>/dev/null; done
"$S" hsm list --json >"$T/hsm.json"
head -c 50000 /dev/urandom >"$T/fw.bin"
cp "$SIGNET_SOURCE_DIR/fuzz/corpus/sbom/cyclonedx.json" "$T/bom.json"
"$S" ledger init --ledger "$T/L" --origin json-test 2>/dev/null

# ---- PKI: root, code-signing CA, a release certificate for key a
P=(--db "$T/db")
json_run pki-issue "$T/root.json" "$S" pki init-root --key "$U;object=root" \
  --subject "/CN=Acme Root/O=Acme" --validity 3650 "${P[@]}" --json -o "$T/root.pem"
check_file "$T/root.json" "$T/root.pem"
check_cert "$(jq -c .certificate "$T/root.json")" "$T/root.pem"
same "command" "$(jq -r .command "$T/root.json")" "pki init-root"
same "root profile" "$(jq -r .certificate.profile "$T/root.json")" root
same "root key id" "$(jq -r .certificate.public_key_id "$T/root.json")" "$(hsm_key_id root)"
json_run pki-issue "$T/ca.json" "$S" pki init-ca --key "$U;object=code" --issuer-key "$U;object=root" \
  --issuer-cert "$T/root.pem" --profile code-signing-ca --subject "/CN=Acme Code CA/O=Acme" \
  "${P[@]}" --json -o "$T/ca.pem"
check_cert "$(jq -c .certificate "$T/ca.json")" "$T/ca.pem"
C=(--ca-key "$U;object=code" --ca-cert "$T/ca.pem" "${P[@]}")
json_run pki-issue "$T/a.json" "$S" pki issue "${C[@]}" --pubkey "$T/a.pub.pem" --profile code-signing \
  --subject "/CN=Release 2026/O=Acme" --validity 365 --ledger "$T/L" --json -o "$T/a.pem"
check_file "$T/a.json" "$T/a.pem"
check_cert "$(jq -c .certificate "$T/a.json")" "$T/a.pem"
same "issue profile" "$(jq -r .certificate.profile "$T/a.json")" code-signing
same "public_key_id" "$(jq -r .certificate.public_key_id "$T/a.json")" \
  "$(openssl x509 -in "$T/a.pem" -noout -pubkey | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)"
same "public_key_id = hsm list key_id" "$(jq -r .certificate.public_key_id "$T/a.json")" "$(hsm_key_id a)"
# pki subcommands without --json refuse it instead of printing text
no_json 2 "$S" pki verify --root "$T/root.pem" --untrusted "$T/ca.pem" --json "$T/a.pem"
no_json 2 "$S" pki crl --ca-key "$U;object=code" --ca-cert "$T/ca.pem" "${P[@]}" --json -o "$T/x.crl"
no_output "$T/x.crl"
"$S" pki list --db "$T/db" --json >"$T/list.json"
same "db record" "$(jq -c '.db | [.path, .status, .device_serial]' "$T/a.json")" \
  "$(jq -c --arg s "$(jq -r .certificate.serial "$T/a.json")" --arg p "$T/db" \
     '.[] | select(.serial == $s) | [$p, .status, .device_serial]' "$T/list.json")"
"$S" ledger show --ledger "$T/L" --json >"$T/show.json"
same "pki ledger.last_record" "$(jq -r .ledger.last_record "$T/a.json")" \
  "$(jq -r 'select(.type == "cert.issued") | .index' "$T/show.json" | tail -1)"
same "pki ledger.checkpoint_size" "$(jq -r .ledger.checkpoint_size "$T/a.json")" null
cat "$T/a.pem" "$T/ca.pem" >"$T/chain-a.pem"
# a refused issuance prints nothing on stdout
no_json 1 "$S" pki issue "${C[@]}" --pubkey "$T/b.pub.pem" --profile code-signing \
  --subject "/CN=Too long/O=Acme" --validity 300000 --json -o "$T/x.pem"

# ---- sign: two keys, every optional field, a chain, the ledger with a checkpoint
json_run sign "$T/s.json" "$S" sign --key "$U;object=a" --key "$U;object=b" --version 1.4.0+77 \
  --security-counter 12 --hw-id board-b --load-addr 0x08000000 --sbom "$T/bom.json" \
  --cert "$T/chain-a.pem" --ledger "$T/L" --ledger-key "$U;object=log" --json "$T/fw.bin" "$T/fw.sgn"
check_file "$T/s.json" "$T/fw.sgn"
check_image "$T/s.json" "$T/fw.sgn"
same "command" "$(jq -r .command "$T/s.json")" sign
same "version" "$(jq -c '[.version, .build, .security_counter, .hw_id, .load_addr]' "$T/s.json")" \
  '["1.4.0+77",77,12,"board-b","0x08000000"]'
same "sbom.sha256 = sha256sum" "$(jq -r .sbom.sha256 "$T/s.json")" "$(sha256sum "$T/bom.json" | cut -d' ' -f1)"
same "payload.size" "$(jq -r .payload.size "$T/s.json")" 50000
same "key ids = hsm list" "$(jq -c '[.signatures[].key_id]' "$T/s.json")" \
  "$(jq -nc --arg a "$(hsm_key_id a)" --arg b "$(hsm_key_id b)" '[$a, $b]')"
same "algorithms" "$(jq -c '[.signatures[].algorithm]' "$T/s.json")" '["ecdsa-p256-sha256","ecdsa-p384-sha384"]'
same "key_uris" "$(jq -c '[.signatures[] | [.added, .key_uri]]' "$T/s.json")" \
  "$(jq -nc --arg a "$U;object=a" --arg b "$U;object=b" '[[true, $a], [true, $b]]')"
check_cert "$(jq -c .signatures[0].certificate "$T/s.json")" "$T/a.pem"
same "no certificate for b" "$(jq -c .signatures[1].certificate "$T/s.json")" null
"$S" ledger show --ledger "$T/L" --json >"$T/show.json"
same "ledger.last_record" "$(jq -r .ledger.last_record "$T/s.json")" \
  "$(jq -r 'select(.type == "release.signed") | .index' "$T/show.json" | tail -1)"
same "ledger: the file" "$(jq -r 'select(.type == "release.signed") | .file_sha256' "$T/show.json" | tail -1)" \
  "$(jq -r .output.sha256 "$T/s.json")"
same "ledger.checkpoint_size" "$(jq -r .ledger.checkpoint_size "$T/s.json")" "$(wc -l <"$T/show.json")"
same "ledger.path" "$(jq -r .ledger.path "$T/s.json")" "$T/L"
# the same without the options: nulls, not missing members
json_run sign "$T/s2.json" "$S" sign --key "$U;object=a" --version 2.0.0 --json "$T/fw.bin" "$T/plain.sgn"
same "nulls" "$(jq -c '[.build, .security_counter, .hw_id, .load_addr, .sbom, .ledger, .signatures[0].certificate]' "$T/s2.json")" \
  '[0,null,null,null,null,null,null]'
check_image "$T/s2.json" "$T/plain.sgn"
# stdout that cannot take the object: exit 3, one line, and the file is
# published all the same (docs/json.md)
rc=0
"$S" sign --key "$U;object=a" --version 2.0.0 --json "$T/fw.bin" "$T/full.sgn" >/dev/full 2>"$T/full.err" || rc=$?
[ "$rc" = 3 ] && [ "$(tail -n 1 "$T/full.err")" = "signet: standard output: cannot write the JSON result" ] && ok ||
  bad "stdout full: exit $rc, stderr '$(cat "$T/full.err")'"
"$S" verify --trust "$T/a.pub.pem" "$T/full.sgn" >/dev/null 2>&1 && ok || bad "stdout full: full.sgn not published"
# failures print nothing on stdout
no_json 2 "$S" sign --key "$U;object=nokey" --version 1.0.0 --json "$T/fw.bin" "$T/x.sgn"
no_output "$T/x.sgn"
no_json 2 "$S" sign --key "$U;object=a" --version 1.0.0 --json "$T/missing.bin" "$T/x.sgn"

# ---- cosign: the new signature is the one "added"
json_run sign "$T/c.json" "$S" cosign --key "$U;object=c" --json "$T/fw.sgn"
check_file "$T/c.json" "$T/fw.sgn"
check_image "$T/c.json" "$T/fw.sgn"
same "cosign command" "$(jq -r .command "$T/c.json")" cosign
same "cosign added" "$(jq -c '[.signatures[] | [.added, .key_uri]]' "$T/c.json")" \
  "$(jq -nc --arg c "$U;object=c" '[[false, null], [false, null], [true, $c]]')"
same "cosign key id" "$(jq -r .signatures[2].key_id "$T/c.json")" "$(hsm_key_id c)"
same "cosign keeps the chain" "$(jq -r .signatures[0].certificate.serial "$T/c.json")" \
  "$(jq -r .certificate.serial "$T/a.json")"
no_json 2 "$S" cosign --key "$U;object=c" --json "$T/fw.sgn"

# ---- MCUboot
MO=(--format mcuboot --header-size 0x200 --pad-header --slot-size 0x40000 --align 4)
json_run sign "$T/m.json" "$S" sign "${MO[@]}" --key "$U;object=a" --version 1.2.3+4 \
  --security-counter 7 --json "$T/fw.bin" "$T/fw.mcu"
check_file "$T/m.json" "$T/fw.mcu"
check_image "$T/m.json" "$T/fw.mcu"
same "mcuboot members" "$(jq -c '[.format, .version, .build, .hw_id, .sbom, .load_addr]' "$T/m.json")" \
  '["mcuboot","1.2.3+4",4,null,null,null]'
same "mcuboot signature" "$(jq -c '.signatures[] | [.key_id, .algorithm, .added, .key_uri]' "$T/m.json")" \
  "$(jq -nc --arg k "$(hsm_key_id a)" --arg u "$U;object=a" '[$k, "ecdsa-p256-sha256", true, $u]')"
# P-384 (SHA-384 image digest) and Ed25519 keys, RAM_LOAD
json_run sign "$T/m384.json" "$S" sign "${MO[@]}" --key "$U;object=b" --version 1.2.3 --load-addr 0x20000000 \
  --json "$T/fw.bin" "$T/fw384.mcu"
check_image "$T/m384.json" "$T/fw384.mcu"
same "P-384 MCUboot" "$(jq -c '[.payload.digest_alg, .load_addr, (.signatures[] | .key_id, .algorithm)]' "$T/m384.json")" \
  "$(jq -nc --arg k "$(hsm_key_id b)" '["sha384", "0x20000000", $k, "ecdsa-p384-sha384"]')"
json_run sign "$T/med.json" "$S" sign "${MO[@]}" --key "$U;object=log" --version 1.2.3 --json "$T/fw.bin" "$T/fwed.mcu"
check_image "$T/med.json" "$T/fwed.mcu"
same "Ed25519 MCUboot" "$(jq -c '.signatures[] | [.key_id, .algorithm]' "$T/med.json")" \
  "$(jq -nc --arg k "$(hsm_key_id log)" '[$k, "ed25519"]')"
no_json 2 "$S" sign "${MO[@]}" --key "$U;object=a" --version 1.2.3 --slot-size 0x100 --json \
  "$T/fw.bin" "$T/x.mcu"

# ---- two-step: --prepare, an offline signer, --complete (envelope and MCUboot)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/off.key" 2>/dev/null
openssl pkey -in "$T/off.key" -pubout -out "$T/off.pub"
OFF_ID=$(openssl pkey -pubin -in "$T/off.pub" -outform der | sha256sum | cut -d' ' -f1)
for fmt in signet mcuboot; do
  opts=(--version 3.1.0 --security-counter 9)
  [ "$fmt" = mcuboot ] && opts+=("${MO[@]}")
  json_run sign-request "$T/p.json" "$S" sign --prepare --pubkey "$T/off.pub" "${opts[@]}" --json \
    "$T/fw.bin" "$T/$fmt.req"
  check_file "$T/p.json" "$T/$fmt.req"
  "$S" inspect --json "$T/$fmt.req" >"$T/ri.json"
  same "request format" "$(jq -r .format "$T/p.json")" signing-request
  same "image_format" "$(jq -r .image_format "$T/p.json")" \
    "$([ "$fmt" = mcuboot ] && echo mcuboot || echo signet-envelope)"
  same "signer" "$(jq -c '.signer | [.key_id, .algorithm, .pubkey_path]' "$T/p.json")" \
    "$(jq -c --arg p "$T/off.pub" '[.key_id, .algorithm, $p]' "$T/ri.json")"
  same "signer key id" "$(jq -r .signer.key_id "$T/p.json")" "$OFF_ID"
  same "tbs" "$(jq -c '.tbs | [.size, .digest]' "$T/p.json")" "$(jq -c '[.signed_bytes, .signed_digest]' "$T/ri.json")"
  same "request counter" "$(jq -r .security_counter "$T/p.json")" 9
  "$S" inspect --tbs-out "$T/tbs" "$T/$fmt.req" 2>/dev/null
  same "tbs digest = what --tbs-out writes" "$(jq -r .tbs.digest "$T/p.json")" "$(od -An -v -tx1 "$T/tbs" | tr -d ' \n')"
  openssl pkeyutl -sign -inkey "$T/off.key" -in "$T/tbs" -out "$T/off.sig"
  json_run sign "$T/k.json" "$S" sign --complete "$T/$fmt.req" --signature "$T/off.sig" \
    --pubkey "$T/off.pub" --json "$T/$fmt.done"
  check_file "$T/k.json" "$T/$fmt.done"
  check_image "$T/k.json" "$T/$fmt.done"
  same "complete command" "$(jq -r .command "$T/k.json")" "sign --complete"
  same "complete signature" "$(jq -c '.signatures[] | [.key_id, .added, .key_uri]' "$T/k.json")" \
    "$(jq -nc --arg k "$OFF_ID" '[$k, true, null]')"
  same "payload digest kept" "$(jq -r .payload.digest "$T/k.json")" "$(jq -r .payload.digest "$T/p.json")"
done
no_json 1 "$S" sign --complete "$T/signet.req" --signature "$T/off.sig" --pubkey "$T/off.pub" --json "$T/x.sgn"
no_output "$T/x.sgn"
no_json 2 "$S" sign --prepare --pubkey "$T/off.pub" --version 1.0.0 --json "$T/missing.bin" "$T/x.req"

# ---- batch: one object, issued and refused entries
B="$T/batch"
mkdir -p "$B/in" "$B/out"
for d in dev-1 dev-2; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$B/$d.key" \
    -subj "/CN=ignored" -out "$B/in/$d.csr" 2>/dev/null
done
echo "not a CSR" >"$B/in/dev-3.csr"
"$S" hsm keygen --type ecdsa-p256 --key "$U;object=factory" 2>/dev/null
"$S" pki init-ca --key "$U;object=factory" --issuer-key "$U;object=root" --issuer-cert "$T/root.pem" \
  --profile factory-ca --subject "/CN=Acme Factory CA/O=Acme" "${P[@]}" -o "$T/factory.pem" 2>/dev/null
F=(--ca-key "$U;object=factory" --ca-cert "$T/factory.pem" "${P[@]}" --profile idevid --hw-type 1.3.6.1.4.1.99999.1)
rc=0
"$S" pki issue "${F[@]}" --csr-dir "$B/in" --out-dir "$B/out" --json >"$T/b.json" 2>"$T/b.err" || rc=$?
same "batch exit (a malformed CSR)" "$rc" 2
[ "$(wc -l <"$T/b.json")" = 1 ] && ok || bad "batch stdout is not one line"
cp "$T/b.json" "$T/b1.json"
json_run pki-issue-batch "$T/b.json" cat "$T/b1.json"
same "batch counts" "$(jq -c '.counts | [.csrs, .issued, .written_again, .refused]' "$T/b.json")" '[3,2,0,1]'
same "batch statuses" "$(jq -c '[.certificates[] | [.name, .status]]' "$T/b.json")" \
  '[["dev-1","issued"],["dev-2","issued"],["dev-3","refused"]]'
jq -r '.certificates[2].reason' "$T/b.json" | grep -q "dev-3.csr" && grep -qF "signet: $(jq -r '.certificates[2].reason' "$T/b.json")" "$T/b.err" \
  && ok || bad "batch reason: $(jq -c '.certificates[2]' "$T/b.json") vs $(cat "$T/b.err")"
for i in 0 1; do
  d=$(jq -r ".certificates[$i].name" "$T/b.json")
  e=$(jq -c ".certificates[$i]" "$T/b.json")
  jq ".certificates[$i]" "$T/b.json" >"$T/e.json"
  check_file "$T/e.json" "$B/out/$d.pem"
  check_cert "$(jq -c .certificate <<<"$e")" "$B/out/$d.pem"
  same "batch db" "$(jq -c '.db | [.status, .device_serial]' <<<"$e")" "[\"live\",\"$d\"]"
  same "batch key id" "$(jq -r .certificate.public_key_id <<<"$e")" \
    "$(openssl req -in "$B/in/$d.csr" -noout -pubkey | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)"
done
# a reissue names the certificate it supersedes
json_run pki-issue "$T/re.json" "$S" pki issue "${F[@]}" --csr "$B/in/dev-1.csr" --serial-number dev-1 \
  --reissue --json -o "$T/re.pem"
same "supersedes" "$(jq -c '.db | [.status, .supersedes]' "$T/re.json")" \
  "$(jq -c '["live", .certificates[0].certificate.serial]' "$T/b.json")"
# a run that stops (no such output directory) prints nothing
no_json 3 "$S" pki issue "${F[@]}" --csr-dir "$B/in" --out-dir "$T/nowhere" --json

finish

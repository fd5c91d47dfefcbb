#!/usr/bin/env bash
# signet evidence (docs/evidence.md): a release signed, cosigned, with an
# SBOM and certificate chains, recorded in a ledger; station units run on
# simulated devices into another ledger; a pack of each, verified; then one
# byte tampered in each kind of file (and a file added, one deleted) and
# verify must name it. openssl checks a chain of the pack, python3 the
# index, headless Chromium renders index.html. Usage errors, an existing
# --out, no checkpoint, a record newer than the checkpoint.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../provision/station_lib.sh" # token "station" ($U), root, factory CA, ledger $L
CHECK="$here/evidence_check.py"

# signet's own SBOM, where the build puts it (cmake/sbom.cmake)
OWN_SBOM="$(dirname "$S")/../share/signet/signet.cdx.json"
[ -s "$OWN_SBOM" ] && ok || bad "the build wrote no $OWN_SBOM"

# ---- a release: code-signing CA, two release keys with chains, SBOM, ledger
RL="$T/release.ledger"
"$S" ledger init --ledger "$RL" --origin acme.example/release-log 2>/dev/null
for k in code-ca rel-a rel-b; do
  "$S" hsm keygen --type ecdsa-p256 --key "$U;object=$k" 2>/dev/null
done
"$S" pki init-ca --key "$U;object=code-ca" --issuer-key "$U;object=root" --issuer-cert "$T/root.pem" \
  --profile code-signing-ca --subject "/CN=Acme Code CA/O=Acme" --db "$DB" --ledger "$RL" \
  -o "$T/code-ca.pem" 2>/dev/null
for k in rel-a rel-b; do
  "$S" hsm pubkey --key "$U;object=$k" -o "$T/$k.pub" 2>/dev/null
  "$S" pki issue --ca-key "$U;object=code-ca" --ca-cert "$T/code-ca.pem" --pubkey "$T/$k.pub" \
    --profile code-signing --subject "/CN=Acme release $k/O=Acme" --validity 365 --db "$DB" \
    --ledger "$RL" -o "$T/$k.pem" 2>/dev/null
  cat "$T/$k.pem" "$T/code-ca.pem" >"$T/$k.chain.pem"
done
printf '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"zlib","version":"1.3"}]}\n' >"$T/bom.json"
printf '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1}\n' >"$T/other-bom.json"
head -c 3000 /dev/urandom >"$T/fw.bin"
"$S" sign --key "$U;object=rel-a" --cert "$T/rel-a.chain.pem" --version 1.5.0 --security-counter 4 \
  --sbom "$T/bom.json" --ledger "$RL" "$T/fw.bin" "$T/fw.sgn" 2>/dev/null && ok || bad "sign"
"$S" cosign --key "$U;object=rel-b" --cert "$T/rel-b.chain.pem" --ledger "$RL" "$T/fw.sgn" \
  2>/dev/null && ok || bad "cosign"
"$S" sign --format mcuboot --header-size 0x200 --pad-header --key "$U;object=rel-a" --version 1.5.0 \
  --ledger "$RL" "$T/fw.bin" "$T/fw.mcu" 2>/dev/null && ok || bad "sign --format mcuboot"
"$S" pki crl --ca-key "$U;object=code-ca" --ca-cert "$T/code-ca.pem" --db "$DB" --ledger "$RL" \
  -o "$T/code-ca.crl" 2>/dev/null && ok || bad "pki crl"
REL=(--release "$T/fw.sgn" "$T/fw.mcu" --sbom "$T/bom.json" --trust-root "$T/root.pem"
     --crl "$T/code-ca.crl" --ledger "$RL" --ledger-pubkey "$T/log.pem")

# ---- usage errors (exit 2), nothing written
expect 2 "--release and --units" "$S" evidence --out "$T/p0" "$T/fw.sgn"
expect 2 "--release and --units" "$S" evidence --release --units --ledger "$RL" --out "$T/p0" "$T/fw.sgn"
expect 2 "--out DIR is required" "$S" evidence --release "$T/fw.sgn"
expect 2 "at least one ENVELOPE" "$S" evidence --release --out "$T/p0"
expect 2 "--units needs --ledger" "$S" evidence --units --out "$T/p0"
expect 2 "go together" "$S" evidence --release "$T/fw.sgn" --ledger "$RL" --out "$T/p0"
expect 2 "--crl goes with --trust-root" "$S" evidence --release "$T/fw.sgn" --crl "$T/code-ca.crl" --out "$T/p0"
expect 2 "--since and --until go with --units" "$S" evidence --release "$T/fw.sgn" --since 2026-01-01 --out "$T/p0"
expect 2 "--since '2026-13-01'" "$S" evidence --units --ledger "$L" --ledger-pubkey "$T/log.pem" --since 2026-13-01 --out "$T/p0"
expect 2 "unknown or incomplete option '--nope'" "$S" evidence --release "$T/fw.sgn" --nope --out "$T/p0"
expect 2 "verify needs one DIR" "$S" evidence verify
# an SBOM no envelope binds
expect 2 "other-bom.json: an SBOM that no envelope binds" "$S" evidence --release "$T/fw.sgn" \
  --sbom "$T/other-bom.json" --out "$T/p0"
# an envelope that is not one
head -c 100 /dev/urandom >"$T/junk.sgn"
expect 2 "junk.sgn" "$S" evidence --release "$T/junk.sgn" --out "$T/p0"
expect 2 "missing.sgn" "$S" evidence --release "$T/missing.sgn" --out "$T/p0"
# no checkpoint yet: refused, naming the command that cuts one
expect 1 "signet ledger checkpoint --ledger" "$S" evidence "${REL[@]}" --out "$T/p0"
[ -e "$T/p0" ] && bad "a refused pack left $T/p0" || ok
compgen -G "$T/p0.tmp-*" >/dev/null && bad "a refused pack left its temp directory" || ok
# an existing non-empty --out: exit 2, untouched
mkdir "$T/full" && echo keep >"$T/full/keep"
expect 2 "exists and is not an empty directory" "$S" evidence --release "$T/fw.sgn" --out "$T/full"
[ "$(ls "$T/full")" = keep ] && [ "$(cat "$T/full/keep")" = keep ] && ok || bad "--out was touched"

"$S" ledger checkpoint --ledger "$RL" --key "$U;object=log" >/dev/null 2>&1 && ok || bad "checkpoint"

# ---- the release pack
mkdir "$T/prel" # an empty directory is taken
expect 0 "" "$S" evidence "${REL[@]}" --out "$T/prel"
P="$T/prel"
expect 0 "" "$S" evidence verify "$P"
expect 0 "" "$S" evidence verify --pubkey "$T/log.pem" "$P"
python3 "$CHECK" release "$P" "$RL" "$T/bom.json" >"$T/check.txt" 2>&1 && ok ||
  bad "evidence_check.py release: $(cat "$T/check.txt")"
# the pack's chains, checked by openssl against the pack's root and CRL (now: the
# certificates are still valid, and the CRL is younger than the build time)
for k in 1 2; do
  openssl verify -CAfile "$P/roots/1-root.pem" -untrusted "$P/envelopes/1/chain-$k.pem" \
    -CRLfile "$P/crls/1-code-ca.crl" -crl_check "$P/envelopes/1/chain-$k.pem" \
    >/dev/null 2>&1 && ok || bad "openssl does not verify the pack's chain $k"
done
# and refuses the chain once its leaf is revoked
serial=$(openssl x509 -in "$P/envelopes/1/chain-1.pem" -noout -serial | cut -d= -f2)
"$S" pki revoke --db "$DB" --serial "$serial" --reason keyCompromise 2>/dev/null
"$S" pki crl --ca-key "$U;object=code-ca" --ca-cert "$T/code-ca.pem" --db "$DB" -o "$T/revoked.crl" 2>/dev/null
openssl verify -CAfile "$P/roots/1-root.pem" -untrusted "$P/envelopes/1/chain-1.pem" \
  -CRLfile "$T/revoked.crl" -crl_check "$P/envelopes/1/chain-1.pem" >/dev/null 2>&1 &&
  bad "openssl verifies a revoked chain" || ok
expect 0 "" "$S" evidence --release "$T/fw.sgn" --trust-root "$T/root.pem" --crl "$T/revoked.crl" \
  --out "$T/prevoked"
[ "$(jq -r '.releases[0].chains[0].valid, .releases[0].chains[1].valid, .releases[0].verification.valid' \
  "$T/prevoked/index.json" | tr '\n' ,)" = false,true,false, ] && ok ||
  bad "a revoked chain: $(jq -c '.releases[0] | [.chains[].valid, .chains[].reason, .verification]' "$T/prevoked/index.json")"
expect 0 "" "$S" evidence verify "$T/prevoked"
# the pack's inspection is signet inspect --json's, but for the file name
"$S" inspect --json "$T/fw.sgn" | jq -S 'del(.file)' >"$T/insp.want"
jq -S 'del(.file)' "$P/envelopes/1/inspect.json" >"$T/insp.got"
cmp -s "$T/insp.want" "$T/insp.got" && ok || bad "the pack's inspection is not signet inspect's"
# every proof of the pack passes signet ledger check-proof
for f in "$P"/ledger/proofs/*.proof; do
  "$S" ledger check-proof --pubkey "$T/log.pem" "$f" >/dev/null 2>&1 && ok || bad "check-proof $f"
done
# the chain status: valid; an SBOM bound and supplied
[ "$(jq -r '.releases[0].chains | map(.valid) | join(",")' "$P/index.json")" = true,true ] && ok ||
  bad "chains: $(jq -c '.releases[0].chains' "$P/index.json")"
[ "$(jq -r '.releases[0].sbom.status' "$P/index.json")" = bound ] && ok || bad "sbom not bound"
[ "$(jq -r '.releases[0].verification.valid' "$P/index.json")" = true ] && ok || bad "verification"
# a bound SBOM not given: recorded as not supplied
expect 0 "" "$S" evidence --release "$T/fw.sgn" --out "$T/pnosbom"
[ "$(jq -r '.releases[0].sbom.status' "$T/pnosbom/index.json")" = "not supplied" ] && ok ||
  bad "a missing SBOM is not 'not supplied'"
[ "$(jq -r '.releases[0].chains[0].valid' "$T/pnosbom/index.json")" = null ] && ok ||
  bad "a chain without roots is not 'not checked'"
expect 0 "" "$S" evidence verify "$T/pnosbom"
# paths relative to the current directory (the pack is built from inside itself)
(cd "$T" && "$S" evidence --release fw.sgn --sbom bom.json --trust-root root.pem --out prelative \
  >/dev/null 2>"$T/err.txt") && ok || bad "relative paths: $(cat "$T/err.txt")"
expect 0 "" "$S" evidence verify "$T/prelative"

# interrupted (SIGTERM) at any moment: a whole pack or nothing, never a part
head -c 64M /dev/zero >"$T/big.bin"
"$S" sign --key "$U;object=rel-a" --version 2.0.0 --max-span 100000000 "$T/big.bin" "$T/big.sgn" 2>/dev/null
cut=0
for d in 0.02 0.05 0.1 0.2 0.4; do
  rm -rf "$T/pint"
  "$S" evidence --release "$T/big.sgn" --out "$T/pint" >/dev/null 2>&1 & pid=$!
  sleep "$d"
  kill -TERM "$pid" 2>/dev/null || true
  rc=0; wait "$pid" || rc=$?
  compgen -G "$T/pint.tmp-*" >/dev/null && bad "killed after ${d}s: its temp directory is left"
  if [ -e "$T/pint" ]; then
    "$S" evidence verify "$T/pint" 2>/dev/null && ok || bad "killed after ${d}s: a partial pack"
  else
    [ "$rc" = 143 ] && cut=$((cut + 1)) || bad "killed after ${d}s: no pack and exit $rc"
  fi
done
[ "$cut" -gt 0 ] && ok || bad "no run was cut short by SIGTERM"
rm -f "$T/big.bin" "$T/big.sgn"

# a wrong --pubkey: the recorded key is not one the auditor trusts
"$S" hsm pubkey --key "$U;object=rel-a" -o "$T/other.pem" 2>/dev/null
expect 1 "ledger/key.pem: not a key given with --pubkey" "$S" evidence verify --pubkey "$T/other.pem" "$P"
expect 1 "" "$S" evidence verify --pubkey "$T/log.pem" "$T/pnosbom" # no ledger in it
# a checkpoint not signed by --ledger-pubkey
expect 1 "" "$S" evidence "${REL[@]/$T\/log.pem/$T/other.pem}" --out "$T/p0"
[ -e "$T/p0" ] && bad "a refused pack left $T/p0" || ok

# a record in scope newer than the checkpoint: refused
"$S" sign --key "$U;object=rel-a" --version 1.6.0 --ledger "$RL" "$T/fw.bin" "$T/fw2.sgn" 2>/dev/null
expect 1 "newer than the latest checkpoint" "$S" evidence --release "$T/fw2.sgn" --ledger "$RL" \
  --ledger-pubkey "$T/log.pem" --out "$T/p0"

# ---- station units: passes, power cuts (failures), faked locks (quarantines)
sim good --uid 0a000000 --units 20
sim cut --uid 0b000000 --units 20 --power-cut-after 3
sim fake --uid 0c000000 --units 20 --fake-lock --latency 10
"$S" station run "${CA[@]}" --fixture "$(fx good)" --fixture "$(fx cut)" --fixture "$(fx fake)" \
  --count 12 --lock --ledger-key "$U;object=log" --json >"$T/run.json" 2>"$T/run.err" </dev/null || true
stop_sims
day=$(date -u +%F)
expect 0 "" "$S" evidence --units --ledger "$L" --ledger-pubkey "$T/log.pem" --since "$day" \
  --until "$day" --out "$T/punits"
PU="$T/punits"
expect 0 "" "$S" evidence verify --pubkey "$T/log.pem" "$PU"
# the counts are signet ledger show's
for st in pass fail quarantine; do
  want=$("$S" ledger show --ledger "$L" --status "$st" --since "$day" --json | wc -l)
  got=$(jq -r ".units.total.$st" "$PU/index.json")
  [ "$want" = "$got" ] && ok || bad "units $st: pack $got, ledger show $want"
  gotday=$(jq -r ".units.by_day[\"$day\"].$st" "$PU/index.json")
  [ "$want" = "$gotday" ] && ok || bad "units $st on $day: pack $gotday, ledger show $want"
done
[ "$(jq -r '.units.total.pass' "$PU/index.json")" -gt 0 ] && ok || bad "no unit passed"
[ "$(jq -r '.units.total.quarantine' "$PU/index.json")" -gt 0 ] && ok || bad "no unit quarantined"
want=$("$S" ledger show --ledger "$L" --type unit --since "$day" --json | wc -l)
[ "$(ls "$PU/ledger/proofs" | wc -l)" = "$want" ] && ok || bad "proofs: $(ls "$PU/ledger/proofs" | wc -l), records $want"
[ "$(jq -r '.units.by_station["line.example/station"].records' "$PU/index.json")" = "$want" ] && ok ||
  bad "per station: $(jq -c .units.by_station "$PU/index.json")"
python3 "$CHECK" units "$PU" "$L" >"$T/check.txt" 2>&1 && ok || bad "evidence_check.py units: $(cat "$T/check.txt")"
# a window with no units: an empty, valid pack
expect 0 "" "$S" evidence --units --ledger "$L" --ledger-pubkey "$T/log.pem" --until 2000-01-01 --out "$T/pempty"
[ "$(jq -r '.units.total.records' "$T/pempty/index.json")" = 0 ] && ok || bad "the empty window counts units"
expect 0 "" "$S" evidence verify "$T/pempty"

# ---- tampering: one byte of each kind of file, each named (exit 1)
# tamper DIR FILE: a copy of the pack with FILE's byte in the middle changed
tamper() {
  rm -rf "$T/t" && cp -a "$1" "$T/t"
  local f="$T/t/$2" off
  off=$(( $(stat -c %s "$f") / 2 ))
  flip "$f" "$off" && mv "$f.flipped" "$f"
}
for f in envelopes/1/fw.sgn envelopes/1/inspect.json envelopes/1/chain-1.pem envelopes/2/fw.mcu \
         sboms/1-bom.json roots/1-root.pem crls/1-code-ca.crl ledger/checkpoint ledger/key.pem \
         "ledger/proofs/$(ls "$P/ledger/proofs" | head -1)" signet/signet.cdx.json; do
  tamper "$P" "$f"
  expect 1 "$T/t/$f: its SHA-256 or size is not index.json's" "$S" evidence verify "$T/t"
done
tamper "$PU" "ledger/proofs/$(ls "$PU/ledger/proofs" | tail -1)"
expect 1 "its SHA-256" "$S" evidence verify "$T/t"
# index.json: a byte of the root the checkpoint signs; a malformed index is exit 2
rm -rf "$T/t" && cp -a "$P" "$T/t"
python3 - "$T/t/index.json" <<'PY'
import json, sys
p = sys.argv[1]; t = open(p).read(); root = json.loads(t)["ledger"]["root"]
open(p, "w").write(t.replace(root, ("B" if root[0] != "B" else "C") + root[1:]))
PY
expect 1 "$T/t/index.json: /ledger/root is not what the pack's files give" "$S" evidence verify "$T/t"
tamper "$PU" index.json
rc=0; "$S" evidence verify "$T/t" >/dev/null 2>"$T/err.txt" || rc=$?
{ [ "$rc" = 1 ] || [ "$rc" = 2 ]; } && grep -q "index" "$T/err.txt" && ok ||
  bad "a tampered units index.json: exit $rc, $(cat "$T/err.txt")"
# an index naming an input it does not list (so whose hash nobody checked)
rm -rf "$T/t" && cp -a "$PU" "$T/t"
jq '.ledger.records[0].proof = "ledger/proofs/none.proof"' "$PU/index.json" >"$T/t/index.json"
expect 1 "$T/t/index.json: names ledger/proofs/none.proof, which its files do not list" \
  "$S" evidence verify "$T/t"
printf '{' >"$T/t/index.json"
expect 2 "index.json: not a JSON object" "$S" evidence verify "$T/t"
# index.html
tamper "$P" index.html
expect 1 "$T/t/index.html: not the page the pack's files give" "$S" evidence verify "$T/t"
# a listed file that is a symbolic link (to a good copy) is refused
rm -rf "$T/t" && cp -a "$P" "$T/t" && mv "$T/t/roots/1-root.pem" "$T/root-copy.pem" &&
  ln -s "$T/root-copy.pem" "$T/t/roots/1-root.pem"
expect 1 "$T/t/roots/1-root.pem: not a regular file" "$S" evidence verify "$T/t"
# a stray file; a deleted file
rm -rf "$T/t" && cp -a "$P" "$T/t" && echo extra >"$T/t/envelopes/1/extra.txt"
expect 1 "$T/t/envelopes/1/extra.txt: not listed in index.json" "$S" evidence verify "$T/t"
rm -rf "$T/t" && cp -a "$P" "$T/t" && rm "$T/t/envelopes/1/chain-2.pem"
expect 1 "$T/t/envelopes/1/chain-2.pem: missing" "$S" evidence verify "$T/t"
# a consistent forger: the file changed and its hash in index.json too; the
# derivation still names the file
forge() { # DIR FILE SED-EXPR: FILE edited, index.json's hash and size updated
  rm -rf "$T/t" && cp -a "$1" "$T/t"
  sed -i "$3" "$T/t/$2"
  python3 - "$T/t" "$2" <<'PY'
import hashlib, json, os, sys
d, f = sys.argv[1], sys.argv[2]
idx = json.load(open(os.path.join(d, "index.json")))
b = open(os.path.join(d, f), "rb").read()
for e in idx["files"]:
    if e["path"] == f:
        e["sha256"], e["size"] = hashlib.sha256(b).hexdigest(), len(b)
open(os.path.join(d, "index.json"), "w").write(json.dumps(idx, indent=1))
PY
}
forge "$P" envelopes/1/inspect.json 's/"security_counter":4/"security_counter":9/'
expect 1 "$T/t/envelopes/1/inspect.json: not the inspection the pack's files give" "$S" evidence verify "$T/t"
# --json lists every problem
rm -rf "$T/t" && cp -a "$P" "$T/t" && echo x >"$T/t/stray1" && echo y >"$T/t/stray2"
rc=0; "$S" evidence verify --json "$T/t" >"$T/v.json" 2>/dev/null || rc=$?
[ "$rc" = 1 ] && [ "$(jq '.problems | length' "$T/v.json")" = 2 ] && [ "$(jq .valid "$T/v.json")" = false ] &&
  ok || bad "verify --json: exit $rc, $(cat "$T/v.json")"

# ---- signet's own SBOM: the pack's copy is the build's; a signet installed
# without one (a copy of the binary alone) warns and records null
cmp -s "$P/signet/signet.cdx.json" "$OWN_SBOM" && ok || bad "the pack's signet.cdx.json is not the build's"
[ "$(jq -r '.signet_sbom | .kind + " " + .spec_version' "$P/index.json")" = "cyclonedx 1.5" ] && ok ||
  bad "signet_sbom: $(jq -c .signet_sbom "$P/index.json")"
mkdir -p "$T/alone/bin" && cp "$S" "$T/alone/bin/signet"
expect 0 "warning: signet's own SBOM $T/alone/bin/../share/signet/signet.cdx.json is missing" \
  "$T/alone/bin/signet" evidence --release "$T/fw.sgn" --out "$T/pnoown"
[ "$(jq -r .signet_sbom "$T/pnoown/index.json")" = null ] && ok || bad "signet_sbom is not null"
[ -e "$T/pnoown/signet" ] && bad "a pack without signet's SBOM has signet/" || ok
expect 0 "" "$S" evidence verify "$T/pnoown"

# ---- index.html in headless Chromium
python3 "$CHECK" page "$P/index.html" >"$T/check.txt" 2>&1 && ok || bad "index.html: $(cat "$T/check.txt")"
if has_chromium; then
  for pack in "$P" "$PU"; do
    chrome --dump-dom "file://$pack/index.html" >"$T/dom.html" ||
      bad "chromium --dump-dom failed: $(tail -3 "$T/chromium.log")"
    python3 "$CHECK" dom "$T/dom.html" "$pack/index.json" >"$T/check.txt" 2>&1 && ok ||
      bad "Chromium's DOM of $pack: $(cat "$T/check.txt")"
    chrome --screenshot="$T/shot.png" "file://$pack/index.html" >/dev/null ||
      bad "chromium --screenshot failed"
    python3 "$CHECK" png "$T/shot.png" && ok || bad "the screenshot of $pack/index.html"
  done
  printf '<!DOCTYPE html><html><body></body></html>\n' >"$T/blank.html"
  chrome --screenshot="$T/blank.png" "file://$T/blank.html" >/dev/null
  python3 "$CHECK" png "$T/blank.png" 2>/dev/null && bad "a blank screenshot passes the check" || ok
fi
finish

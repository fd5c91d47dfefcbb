#!/usr/bin/env bash
# signet ledger report end to end: a ledger with a known mix of records over
# several days (real SoftHSM2 token, Ed25519 checkpoint), rendered to HTML,
# then the page read three ways: Python's html.parser on the file, the DOM
# headless Chromium built from it, and Chromium's screenshot (not blank, the
# chart drawn). The page fetches nothing, escapes record text, covers
# exactly the latest checkpoint's records, and a tampered ledger gets no
# page. Chromium (Debian package chromium) is required: without it the test
# fails.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
CHECK="$here/report_check.py"
new_token report
U="pkcs11:token=report;pin-source=file:$PINFILE"
L="$T/line1.ledger"
for t in ed25519 ecdsa-p256; do
  "$S" hsm keygen --type "$t" --key "$U;object=log-$t" 2>/dev/null
  "$S" hsm pubkey --key "$U;object=log-$t" -o "$T/log-$t.pem"
done

day0=1795000000 # 2026-11-18T11:06:40Z
append() { # DAY TYPE FIELDS: a record at day0 + DAY days
  SOURCE_DATE_EPOCH=$((day0 + $1 * 86400)) "$S" ledger append --ledger "$L" --type "$2" \
    --json "$3" >/dev/null 2>"$T/append.err" || bad "append $2 $3: $(cat "$T/append.err")"
}
hex64() { printf '%s' "$1" | sha256sum | cut -c1-64; }

expect 0 "" "$S" ledger init --ledger "$L" --origin line-1.factory.example
# ---- no checkpoint yet: no page (exit 1), nothing left behind
expect 1 "no checkpoint" "$S" ledger report --ledger "$L" --html "$T/page.html"
no_output "$T/page.html"
expect 2 "report needs --html" "$S" ledger report --ledger "$L"

# ---- the mix: 40 passes over 4 days, 7 failures with 3 reasons (one with
# HTML in its device UID and detail), 2 quarantines, 3 releases, 5
# certificates issued, 1 revoked, 1 CRL
for i in $(seq 1 40); do
  append $((i % 4)) unit.locked "{\"unit\":\"u$i\",\"device\":\"SN-$i\",\"lock\":\"approtect\",\"lock_bits\":7}"
done
for i in 1 2 3; do append 1 unit.failed "{\"unit\":\"f$i\",\"device\":\"SN-F$i\",\"reason\":\"flash-verify\",\"step\":\"verify\"}"; done
for i in 4 5; do append 2 unit.failed "{\"unit\":\"f$i\",\"step\":\"identify\",\"reason\":\"uid-read\",\"detail\":\"no answer on SWD\"}"; done
append 3 unit.failed '{"unit":"f6","device":"SN-F6","step":"lock","reason":"lock-failed"}'
append 3 unit.failed '{"unit":"f7","device":"<script>alert(1)</script>","step":"lock","reason":"lock-failed","detail":"<img src=x onerror=alert(2)> & <b>bold</b>"}'
append 2 unit.quarantined '{"unit":"q1","device":"SN-Q1","step":"identify","reason":"uid-read"}'
append 3 unit.quarantined '{"unit":"q2","step":"lock","reason":"lock-failed","detail":"scratched case"}'
k1=$(hex64 key1)
k2=$(hex64 key2)
for v in 1.0.0+1 1.1.0+2 2.0.0+3; do
  append 0 release.signed "{\"format\":\"signet\",\"digest_alg\":\"sha256\",\"digest\":\"$(hex64 "$v")\",\"version\":\"$v\",\"key_ids\":[\"$k1\",\"$k2\"]}"
done
for i in 1 2 3 4 5; do
  append 0 cert.issued "{\"serial\":\"0$i\",\"profile\":\"idevid\",\"subject\":\"CN=dev$i\",\"der_sha256\":\"$(hex64 "c$i")\",\"issuer_key_id\":\"0102\",\"device\":\"SN-$i\"}"
done
append 1 cert.revoked '{"serial":"03","reason":"keyCompromise","revoked_at":"2026-11-20T10:00:00Z"}'
append 1 crl.issued "{\"crl_number\":1,\"issuer\":\"CN=Factory CA\",\"issuer_key_id\":\"0102\",\"count\":1,\"this_update\":\"2026-11-20T10:00:00Z\",\"der_sha256\":\"$(hex64 crl)\"}"
N=59 # 40 + 7 + 2 + 3 + 5 + 1 + 1
expect 0 "" "$S" ledger checkpoint --ledger "$L" --key "$U;object=log-ed25519"
cp "$T/out.txt" "$T/cp.note"
# records after the checkpoint are not in the report
append 4 unit.locked '{"unit":"late","device":"SN-LATE","lock_bits":7,"lock":"approtect"}'
append 4 unit.failed '{"unit":"late2","step":"check","reason":"late-reason"}'

# ---- render
expect 0 "report of the $N records of checkpoint $N written" \
  "$S" ledger report --ledger "$L" --html "$T/page.html"
P="$T/page.html"
expected_counts=(records=$N units-pass=40 units-fail=7 units-quarantine=2 releases=3
  certs-issued=5 certs-revoked=1 crls=1 checkpoint-size=$N
  line-1.factory.example:pass=40 line-1.factory.example:fail=7
  line-1.factory.example:quarantine=2 line-1.factory.example:releases=3
  flash-verify:fail=3 uid-read:fail=2 uid-read:quarantine=1 lock-failed:fail=2
  lock-failed:quarantine=1 list:failures=9 list:releases=3 list:certs-issued=5
  list:certs-revoked=1 list:crls=1 days=4 bars=4)
# (1) the file, read by Python's html.parser
python3 "$CHECK" counts "$P" "${expected_counts[@]}" && ok || bad "counts in the page"
python3 "$CHECK" text "$P" "the $N records of the latest checkpoint" "1.1.0+2" "$k2" \
  "CN=Factory CA" "keyCompromise" "$(sed -n 3p "$T/cp.note")" "$(sed -n 5p "$T/cp.note")" &&
  ok || bad "the page's lists and checkpoint"
grep -q 'late-reason\|SN-LATE' "$P" && bad "a record after the checkpoint is in the report" || ok
# (3) nothing fetched
python3 "$CHECK" offline "$P" && ok || bad "the page loads something"
grep -qE 'https?://' "$P" && bad "the page names a URL" || ok
# (4) record text is escaped: the device UID and detail are text, not markup
python3 "$CHECK" text "$P" "<script>alert(1)</script>" "<img src=x onerror=alert(2)> & <b>bold</b>" &&
  ok || bad "record text with HTML is not shown as text"
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$P" && ok || bad "device UID not escaped"
grep -qiE '<(script|img|b)[ >]' "$P" && bad "record HTML became markup" || ok
# the page is a function of the checkpoint's records alone
expect 0 "" "$S" ledger report --ledger "$L" --html "$T/again.html"
cmp -s "$P" "$T/again.html" && ok || bad "two reports of one checkpoint differ"
grep -q 'data-signature="not-checked"' "$P" && ok || bad "signature not said unchecked"

# ---- --pubkey: the checkpoint's signature verified too
expect 0 "" "$S" ledger report --ledger "$L" --html "$T/signed.html" --pubkey "$T/log-ed25519.pem"
grep -q 'data-signature="verified"' "$T/signed.html" && ok || bad "signature not said verified"
expect 1 "checkpoint $N" "$S" ledger report --ledger "$L" --html "$T/wrong.html" \
  --pubkey "$T/log-ecdsa-p256.pem"
no_output "$T/wrong.html"

# ---- (2) headless Chromium: the DOM it built, and a screenshot
if has_chromium; then
  chrome --dump-dom "file://$P" >"$T/dom.html" || bad "chromium --dump-dom failed: $(tail -3 "$T/chromium.log")"
  python3 "$CHECK" counts "$T/dom.html" "${expected_counts[@]}" && ok || bad "counts in Chromium's DOM"
  python3 "$CHECK" offline "$T/dom.html" && ok || bad "Chromium's DOM loads something"
  chrome --screenshot="$T/shot.png" "file://$P" >/dev/null || bad "chromium --screenshot failed"
  python3 "$CHECK" png "$T/shot.png" && ok || bad "the screenshot"
  # the screenshot check itself: a blank page must fail it
  printf '<!DOCTYPE html><html><body></body></html>\n' >"$T/blank.html"
  chrome --screenshot="$T/blank.png" "file://$T/blank.html" >/dev/null || bad "chromium --screenshot (blank) failed"
  python3 "$CHECK" png "$T/blank.png" 2>/dev/null && bad "a blank screenshot passes the check" || ok
fi

# an output directory that does not exist: exit 3
expect 3 "no/such/dir" "$S" ledger report --ledger "$L" --html "$T/no/such/dir/page.html"

# ---- a tampered record: no page (exit 1), the old page untouched
cp "$P" "$T/before.html"
ledger_replace "$L" 5 SN-6 SN-9
expect 1 "root is not the records'" "$S" ledger report --ledger "$L" --html "$P"
cmp -s "$P" "$T/before.html" && ok || bad "a refused report changed the old page"
# ---- a long list: 1,003 failures (written straight into a second
# ledger's tables, leaves and subtree hashes as docs/ledger.md specifies, to
# be quick), signed by signet; the page lists the latest 1,000 "and 3 more"
L2="$T/line2.ledger"
expect 0 "" "$S" ledger init --ledger "$L2" --origin line-2.factory.example
python3 - "$L2" line-2.factory.example 1003 <<'PY'
import hashlib, json, sqlite3, sys
path, origin, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path)
edge = []  # the right edge of the tree: one hash per complete subtree
for i in range(n):
    rec = {"index": i, "origin": origin, "time": "2026-11-20T08:00:00Z", "type": "unit.failed",
           "unit": f"u{i}", "step": "verify", "reason": f"r{i % 5}"}
    leaf = json.dumps(rec, sort_keys=True, separators=(",", ":")).encode()
    db.execute("INSERT INTO records (idx, leaf) VALUES (?, ?)", (i, leaf))
    h, level, idx = hashlib.sha256(b"\0" + leaf).digest(), 0, i
    db.execute("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)", (level, idx, h))
    while idx % 2:
        h, level, idx = hashlib.sha256(b"\1" + edge.pop() + h).digest(), level + 1, idx // 2
        db.execute("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)", (level, idx, h))
    edge.append(h)
db.commit()
PY
expect 0 "" "$S" ledger checkpoint --ledger "$L2" --key "$U;object=log-ed25519"
expect 0 "1003 records and 1 checkpoints verified" "$S" ledger verify --ledger "$L2" \
  --pubkey "$T/log-ed25519.pem"
expect 0 "" "$S" ledger report --ledger "$L2" --html "$T/long.html" --pubkey "$T/log-ed25519.pem"
python3 "$CHECK" counts "$T/long.html" units-fail=1003 list:failures=1000 more:failures=3 \
  line-2.factory.example:fail=1003 r0:fail=201 r4:fail=200 days=1 && ok || bad "counts of the long list"
python3 "$CHECK" text "$T/long.html" "and 3 more" && ok || bad "the long list says how many more"
grep -q '<td class="n">2</td>' "$T/long.html" && bad "record 2 is listed (the latest 1,000 are 3..1002)" || ok
grep -q '<td class="n">3</td>' "$T/long.html" && ok || bad "record 3 is not listed"

[ -n "${KEEP_PAGE:-}" ] && cp "$T"/page.html "$T"/shot.png "$KEEP_PAGE"/
finish

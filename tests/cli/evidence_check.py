"""Checks on a `signet evidence` pack from outside, written from
docs/evidence.md and docs/ledger.md with Python's standard library, for
test_evidence.sh.

  evidence_check.py release DIR LEDGER BOM   the index lists every file with
      its SHA-256 and size and nothing else is there; the SBOM copy is BOM
      and is the digest the envelope's inspection binds; each proof's record
      is the ledger's record at its index, byte for byte, and is about a
      file of the pack (a release.signed by the envelope's digest, a
      cert.issued by a chain certificate's SHA-256, a crl.issued by a CRL's);
      the checkpoint's root is the RFC 9162 root of the ledger's first
      tree-size records
  evidence_check.py units DIR LEDGER         the files as above; the counts per
      status, station and day are those of the proofs' records
  evidence_check.py page HTML                index.html loads nothing (no
      script, nothing fetched, a Content-Security-Policy default-src 'none')
  evidence_check.py dom DOM INDEX            Chromium's DOM of index.html shows
      a row for each release, proved record and file of INDEX
  evidence_check.py png SCREENSHOT           the screenshot is not blank and
      shows the tables (their header colour)
Exit 0 when every check holds, else 1 with one line per failed check."""
import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ledger"))
import report_check  # noqa: E402  (offline, png_pixels)


def files(d, idx):
    bad, listed = [], set()
    for e in idx["files"]:
        p = os.path.join(d, e["path"])
        listed.add(e["path"])
        b = open(p, "rb").read()
        if hashlib.sha256(b).hexdigest() != e["sha256"] or len(b) != e["size"]:
            bad.append(f"{e['path']}: hash or size is not the index's")
    for root, _, names in os.walk(d):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), d)
            if rel not in listed and rel not in ("index.json", "index.html"):
                bad.append(f"{rel}: not in the index")
    return bad


def proof_record(path):
    """The index and record bytes of an inclusion proof file."""
    lines = dict(l.split(" ", 1) for l in open(path).read().splitlines()[1:] if " " in l)
    return int(lines["index"]), base64.b64decode(lines["record"])


def ledger_root(leaves, size):
    """docs/ledger-root.py's size and root of the first size leaves."""
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.NamedTemporaryFile() as export:
        export.write(b"".join(l + b"\n" for l in leaves))
        export.flush()
        out = subprocess.run([sys.executable, os.path.join(here, "..", "..", "docs", "ledger-root.py"),
                              export.name, str(size)], check=True, capture_output=True, text=True)
    return out.stdout.split("\n")[1]


def ledger_checks(d, idx, ledger):
    bad = []
    db = sqlite3.connect(ledger)
    leaves = [bytes(r[0]) for r in db.execute("SELECT leaf FROM records ORDER BY idx")]
    cp = open(os.path.join(d, idx["ledger"]["checkpoint"])).read().split("\n")
    size = int(cp[1])
    if ledger_root(leaves, size) != cp[2] or cp[2] != idx["ledger"]["root"]:
        bad.append("the checkpoint's root is not the ledger's")
    records = []
    for r in idx["ledger"]["records"]:
        i, rec = proof_record(os.path.join(d, r["proof"]))
        if i != r["index"] or rec != leaves[i]:
            bad.append(f"{r['proof']}: not the ledger's record {i}")
        records.append(json.loads(rec))
    return bad, records


def about(rec, d, idx):
    if rec["type"] == "release.signed":
        return [r["envelope"] for r in idx["releases"] if r["digest"]["value"] == rec["digest"]]
    ders = {}
    for r in idx["releases"]:
        for c in r["chains"]:
            pem = open(os.path.join(d, c["file"])).read()
            for block in pem.split("-----END CERTIFICATE-----")[:-1]:
                der = subprocess.run(["openssl", "x509", "-outform", "DER"], check=True,
                                     input=(block + "-----END CERTIFICATE-----\n").encode(),
                                     capture_output=True).stdout
                ders[hashlib.sha256(der).hexdigest()] = c["file"]
    for c in idx["crls"]:
        der = subprocess.run(["openssl", "crl", "-outform", "DER", "-in", os.path.join(d, c["file"])],
                             check=True, capture_output=True).stdout
        ders[hashlib.sha256(der).hexdigest()] = c["file"]
    return [ders[rec["der_sha256"]]] if rec.get("der_sha256") in ders else []


def release(d, ledger, bom):
    idx = json.load(open(os.path.join(d, "index.json")))
    bad = files(d, idx)
    want = hashlib.sha256(open(bom, "rb").read()).hexdigest()
    s = idx["sboms"][0]
    if open(os.path.join(d, s["file"]), "rb").read() != open(bom, "rb").read():
        bad.append(f"{s['file']}: not the SBOM given")
    insp = json.load(open(os.path.join(d, idx["releases"][0]["inspection"])))
    if insp["sbom"]["sha256"] != want or idx["releases"][0]["sbom"]["file"] != s["file"]:
        bad.append("the SBOM the envelope binds is not the pack's")
    lbad, records = ledger_checks(d, idx, ledger)
    bad += lbad
    types = {r["type"] for r in records}
    for t in ("release.signed", "cert.issued", "crl.issued"):
        if t not in types:
            bad.append(f"no {t} record in the pack")
    signed = [r for r in records if r["type"] == "release.signed"]
    if len(signed) != 3:  # sign, cosign, MCUboot
        bad.append(f"{len(signed)} release.signed records, wanted 3")
    for rec in records:
        if not about(rec, d, idx):
            bad.append(f"record {rec['index']} ({rec['type']}) is about nothing in the pack")
    return bad


def units(d, ledger):
    idx = json.load(open(os.path.join(d, "index.json")))
    bad = files(d, idx)
    lbad, records = ledger_checks(d, idx, ledger)
    bad += lbad
    status = {"unit.locked": "pass", "unit.failed": "fail", "unit.quarantined": "quarantine"}
    total = {"records": 0, "pass": 0, "fail": 0, "quarantine": 0}
    by_station, by_day = {}, {}
    for rec in records:
        if not rec["type"].startswith("unit."):
            bad.append(f"record {rec['index']}: not a unit record")
        for t in (total, by_station.setdefault(rec["origin"], dict.fromkeys(total, 0)),
                  by_day.setdefault(rec["time"][:10], dict.fromkeys(total, 0))):
            t["records"] += 1
            if rec["type"] in status:
                t[status[rec["type"]]] += 1
    got = idx["units"]
    if (got["total"], got["by_station"], got["by_day"]) != (total, by_station, by_day):
        bad.append(f"counts {got} are not the records' {total} {by_station} {by_day}")
    return bad


class Rows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.table, self.rows = None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("id")
        elif tag == "tr" and self.table:
            self.rows[self.table] = self.rows.get(self.table, 0) + 1


def dom(path, index):
    idx = json.load(open(index))
    p = Rows()
    p.feed(open(path, encoding="utf-8").read())
    bad = []
    want = {"files": len(idx["files"]) + 1, "releases": len(idx["releases"]) + 1 if idx["releases"] else 0}
    if idx["ledger"]:
        want["records"] = len(idx["ledger"]["records"]) + 1 if idx["ledger"]["records"] else 0
    if idx["units"]:
        want["units-by-day"] = len(idx["units"]["by_day"]) + 1
    for table, n in want.items():
        if p.rows.get(table, 0) != n:
            bad.append(f"{path}: table {table} has {p.rows.get(table, 0)} rows, wanted {n}")
    return bad


def png(path):
    w, h, bpp, rows = report_check.png_pixels(path)
    inked, header = 0, False
    for line in rows:
        for x in range(0, len(line), bpp):
            px = bytes(line[x:x + 3])
            if px != b"\xff\xff\xff":
                inked += 1
                header |= px == b"\xee\xee\xff"
    bad = []
    if inked < w * h // 100:
        bad.append(f"{path}: blank: {inked} of {w * h} pixels are not white")
    if not header:
        bad.append(f"{path}: no table header colour (#eeeeff)")
    return bad


def main(argv):
    cmd, rest = argv[1], argv[2:]
    bad = {"release": lambda: release(*rest), "units": lambda: units(*rest),
           "page": lambda: report_check.offline(rest[0]), "dom": lambda: dom(*rest),
           "png": lambda: png(rest[0])}[cmd]()
    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

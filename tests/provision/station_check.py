#!/usr/bin/env python3
"""The station's invariants (docs/provisioning.md), checked from outside on
what a run left: the ledger (exported as JSON lines by `signet ledger export`),
the issuance database (read-only SQLite) and the CA certificates (openssl).

  station_check.py SIGNET LEDGER DB ROOT.pem CA.pem

Checks, printing one line per problem and exiting 1 if any:
- every certificate the CA issued verifies with `openssl verify` to the root;
- the database and the ledger agree: each device certificate has exactly one
  cert.issued and one unit.cert_issued record with its serial, and every such
  record names a certificate of the database;
- no device has two live certificates;
- each unit's records come in the order of section 1, and a unit.locked
  follows a unit.prelock of the same unit, whose holds_sha256 is that of the
  unit's unit.verified, with challenge "ok" in device key mode (the mode of
  the device's unit.cert_issued); a unit.locked written by a rerun after a
  crash, right after identify, follows the prelock of the device's earlier
  unit;
- every unit.prelock's holds_sha256 is the manifest (section 6) of its
  certificate, the chain and the certified key, recomputed here;
- every unit that began ended at most once.
"""
import hashlib
import json
import struct
import sqlite3
import subprocess
import sys

ORDER = ["unit.started", "unit.identified", "unit.cert_issued", "unit.written",
         "unit.verified", "unit.prelock", "unit.locked"]
ENDS = {"unit.failed", "unit.quarantined", "unit.dry_run"}


def main():
    signet, ledger, db_path, root, ca = sys.argv[1:6]
    problems = []
    out = subprocess.run([signet, "ledger", "export", "--ledger", ledger, "--format", "jsonl"],
                         check=True, capture_output=True, text=True).stdout
    recs = [json.loads(line) for line in out.splitlines()]
    # read-write: after a kill the database may need its WAL recovered, which a
    # read-only connection cannot do (nothing here writes)
    db = sqlite3.connect(db_path)
    certs = {}
    for serial, dev, der, revoked, superseded, profile in db.execute(
            "SELECT serial, device_serial, der, revoked_at, superseded_by, profile FROM certs"):
        certs[serial] = (dev, der, revoked is None and superseded is None, profile)

    # every device certificate verifies (openssl reads one certificate per input)
    for serial, (dev, der, _, profile) in certs.items():
        if profile != "idevid":
            continue
        pem = subprocess.run(["openssl", "x509", "-inform", "DER"], input=der,
                             capture_output=True, check=True).stdout
        v = subprocess.run(["openssl", "verify", "-CAfile", root, "-untrusted", ca],
                           input=pem, capture_output=True)
        if v.returncode != 0 or b": OK" not in v.stdout:
            problems.append("certificate %s does not verify: %s" %
                            (serial, (v.stdout + v.stderr).decode().strip()))

    # the database and the ledger agree
    issued = [r["serial"] for r in recs if r["type"] == "cert.issued"]
    unit_issued = [r["serial"] for r in recs if r["type"] == "unit.cert_issued"]
    for serial, (dev, _, _, profile) in certs.items():
        if profile != "idevid":
            continue
        if issued.count(serial) != 1:
            problems.append("certificate %s: %d cert.issued records" % (serial, issued.count(serial)))
        if unit_issued.count(serial) != 1:
            problems.append("certificate %s: %d unit.cert_issued records" %
                            (serial, unit_issued.count(serial)))
    for serial in set(issued) | set(unit_issued):
        if serial not in certs:
            problems.append("the ledger shows certificate %s, the database does not" % serial)

    # one live certificate per device
    live = {}
    for serial, (dev, _, is_live, profile) in certs.items():
        if dev and is_live:
            live.setdefault((profile, dev), []).append(serial)
    for (profile, dev), serials in live.items():
        if len(serials) > 1:
            problems.append("device %s has %d live %s certificates" % (dev, len(serials), profile))

    # what a unit holds, recomputed from its certificate, the chain slot (the CA's certificate,
    # then the root's: the tests' --chain) and the certified key (section 6's manifest)
    chain = b"".join(subprocess.run(["openssl", "x509", "-in", f, "-outform", "DER"],
                                    capture_output=True, check=True).stdout for f in (ca, root))
    for r in recs:
        if r["type"] != "unit.prelock" or r["serial"] not in certs:
            continue
        der = certs[r["serial"]][1]
        spki = subprocess.run("openssl x509 -inform DER -noout -pubkey | openssl pkey -pubin "
                              "-outform DER", shell=True, input=der, capture_output=True,
                              check=True).stdout
        m = b""
        for sid, data in ((1, der), (2, chain)):
            m += bytes([sid]) + struct.pack("<I", len(data)) + hashlib.sha256(data).digest()
        m += spki[-65:]
        if hashlib.sha256(m).hexdigest() != r["holds_sha256"]:
            problems.append("unit %s: holds_sha256 is not the manifest of its certificate %s" %
                            (r["unit"], r["serial"]))

    # each unit's records in order
    units, last_prelock, key_mode = {}, {}, {}
    for r in recs:
        if r["type"].startswith("unit."):
            units.setdefault(r["unit"], []).append(r)
        if r["type"] == "unit.cert_issued":
            key_mode[r["device"]] = r["key_mode"]
    for unit, rs in units.items():
        types = [r["type"] for r in rs]
        body = [t for t in types if t not in ENDS]
        idx = [ORDER.index(t) for t in body]
        if idx != sorted(idx) or len(set(idx)) != len(idx):
            problems.append("unit %s: records out of order: %s" % (unit, " ".join(types)))
        ends = [t for t in types if t in ENDS]
        if len(ends) > 1 or (ends and types[-1] not in ENDS):
            problems.append("unit %s: ended twice or went on after its end: %s" %
                            (unit, " ".join(types)))
        if ends and "unit.locked" in types:
            problems.append("unit %s: locked and ended %s" % (unit, ends[0]))
        by = {r["type"]: r for r in rs}
        dev = by.get("unit.identified", {}).get("device")
        if "unit.locked" in by:
            pre = by.get("unit.prelock") or last_prelock.get(dev)
            if not pre:
                problems.append("unit %s: unit.locked without a unit.prelock" % unit)
            elif pre.get("lock_bits", 0) == 0:
                problems.append("unit %s: locked after a prelock that set no bits" % unit)
            ver = by.get("unit.verified")
            if "unit.prelock" in by:
                if not ver or ver["holds_sha256"] != pre["holds_sha256"]:
                    problems.append("unit %s: prelock holds differ from verified" % unit)
                elif ver["challenge"] != "ok" and key_mode.get(dev) != "inject":
                    problems.append("unit %s: locked without a challenge" % unit)
        if "unit.prelock" in by and dev:
            last_prelock[dev] = by["unit.prelock"]
    for p in problems:
        print("station_check: " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The ledger's canonical bytes (RFC 8785, JCS) against Python's json module,
# an implementation nobody here wrote, over a few hundred generated
# documents and records: random member order, whitespace and \u escapes in,
# one exact byte string out.
#
# json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) is
# JCS for integer-only data whose member names are all in the BMP: it
# escapes the same characters the same way. It sorts names by code point,
# though, and JCS by UTF-16 code units: a name with a character above
# U+FFFF (a surrogate pair, D800..DBFF first) sorts before one with a
# character in U+E000..U+FFFF in JCS, after it in Python. So documents with
# such names are compared with the members put in UTF-16 order first
# (Python's sorted(key=utf-16-be)), and one case checks that the plain
# sort_keys output indeed differs there.
#   test_jcs_python.sh RECORD_TOOL
set -euo pipefail
tool=${1:?usage: test_jcs_python.sh RECORD_TOOL}
T=$(mktemp -d /tmp/signet-jcs-XXXXXX)
trap 'rm -rf "$T"' EXIT

python3 - "$tool" "$T" <<'EOF'
import datetime, json, random, subprocess, sys

tool, tmp = sys.argv[1], sys.argv[2]
rnd = random.Random(8785)
MAX = 2**53 - 1
# BMP characters that matter to JCS: controls, quote, backslash, slash, DEL,
# Latin-1, the euro sign, private use, U+FB33, U+FFFD; and above the BMP.
BMP = list('\x01\x08\t\n\x0c\r\x1f "\\/\x7f\x80\xe9\u20ac\ue000\ufb33\ufffd')
BMP += [chr(c) for c in range(0x20, 0x7f)]
ASTRAL = ['\U0001f600', '\U00010000', '\U0010ffff']

def text(astral, n=None):
    pool = BMP + (ASTRAL if astral else [])
    return ''.join(rnd.choice(pool) for _ in range(n if n is not None else rnd.randint(0, 12)))

def value(depth, astral):
    k = rnd.randint(0, 9 if depth < 4 else 5)
    if k <= 1: return rnd.randint(-MAX, MAX)
    if k == 2: return rnd.randint(-1000, 1000)
    if k <= 4: return text(astral)
    if k == 5: return rnd.choice([True, False, None])
    if k <= 7: return [value(depth + 1, astral) for _ in range(rnd.randint(0, 4))]
    return obj(depth + 1, astral)

def obj(depth, astral):
    return {text(astral, rnd.randint(1, 4)): value(depth, astral) for _ in range(rnd.randint(0, 5))}

def record_like(astral):
    d = obj(1, astral)
    d.update({"index": rnd.randint(0, MAX), "time": "2026-01-01T00:00:00Z",
              "origin": "station-%d" % rnd.randint(1, 9), "type": "unit.failed"})
    return d

def shuffled(v):
    """The same value with members in random order (the input's order)."""
    if isinstance(v, dict):
        items = list(v.items())
        rnd.shuffle(items)
        return {k: shuffled(x) for k, x in items}
    if isinstance(v, list):
        return [shuffled(x) for x in v]
    return v

def utf16_order(v):
    if isinstance(v, dict):
        return {k: utf16_order(v[k]) for k in sorted(v, key=lambda s: s.encode('utf-16-be'))}
    if isinstance(v, list):
        return [utf16_order(x) for x in v]
    return v

def python_jcs(v, astral):
    if astral:
        return json.dumps(utf16_order(v), separators=(',', ':'), ensure_ascii=False)
    return json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)

def run(mode, chunks):
    data = b'\0'.join(c.encode('utf-8') for c in chunks)
    out = subprocess.run([tool, mode], input=data, stdout=subprocess.PIPE, check=True).stdout
    lines = out.decode('utf-8').split('\n')
    assert lines[-1] == '' and len(lines) == len(chunks) + 1, (len(lines), len(chunks))
    return lines[:-1]

fails = 0
def check(what, got, want):
    global fails
    if got != want:
        fails += 1
        if fails <= 5:
            print('FAIL %s:\n  ours:   %r\n  python: %r' % (what, got, want), file=sys.stderr)

# 1. documents: half BMP-only (Python's sort_keys as is), half with astral
docs, wants = [], []
for i in range(400):
    astral = i % 2 == 1
    v = record_like(astral)
    docs.append(json.dumps(shuffled(v), indent=rnd.choice([None, 0, 2, '\t']),
                           ensure_ascii=rnd.choice([True, False]),
                           separators=rnd.choice([None, (',', ':'), (' , ', ' : ')])))
    wants.append(python_jcs(v, astral))
for i, (got, want) in enumerate(zip(run('jcs', docs), wants)):
    check('document %d' % i, got, want)

# 2. real records of three types, fields from Python, leaf from sg_record_build
def hexs(n): return ''.join(rnd.choice('0123456789abcdef') for _ in range(n))
def printable(n): return ''.join(chr(rnd.randint(0x21, 0x7e)) for _ in range(n))
def subject(): return ''.join(rnd.choice([c for c in BMP if c >= ' ' and c != '\x7f']) for _ in range(20))
chunks, wants = [], []
for i in range(150):
    kind = i % 3
    if kind == 0:
        t, f = 'cert.issued', {"serial": hexs(32), "profile": "idevid", "subject": subject(),
                               "der_sha256": hexs(64), "issuer_key_id": hexs(40),
                               "device": printable(12)}
    elif kind == 1:
        t, f = 'release.signed', {"format": "signet", "digest_alg": "sha384", "digest": hexs(96),
                                  "version": "%d.%d.%d+%d" % (rnd.randint(0, 255), rnd.randint(0, 255),
                                                              rnd.randint(0, 65535), rnd.randint(0, 2**32 - 1)),
                                  "security_counter": rnd.randint(0, 2**32 - 1),
                                  "key_ids": [hexs(64) for _ in range(rnd.randint(1, 3))]}
    else:
        t, f = 'unit.failed', {"unit": printable(8), "step": "verify", "reason": "step.timeout", "detail": subject()}
    index, when = rnd.randint(0, MAX), rnd.randint(0, 253402300799)
    origin = printable(rnd.randint(1, 30))
    chunks.append('%s\n%d\n%d\n%s\n%s' % (t, index, when, origin,
                                          json.dumps(shuffled(f), ensure_ascii=rnd.choice([True, False]))))
    stamp = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    wants.append(python_jcs(dict(f, index=index, time=stamp, origin=origin, type=t), False))
for i, (got, want) in enumerate(zip(run('record', chunks), wants)):
    check('record %d' % i, got, want)

# 3. where Python's sort_keys is not JCS: U+1F600 against U+FB33
doc = {'\ufb33': 1, '\U0001f600': 2}
got = run('jcs', [json.dumps(doc)])[0]
check('astral order', got, '{"\U0001f600":2,"\ufb33":1}')
if got == json.dumps(doc, sort_keys=True, separators=(',', ':'), ensure_ascii=False):
    check('python differs', 'same', 'different')

if fails:
    print('%d of %d comparisons differ' % (fails, len(docs) + len(chunks) + 1), file=sys.stderr)
    sys.exit(1)
print('jcs: %d documents and %d records canonical as Python makes them' % (len(docs), len(chunks)))
EOF

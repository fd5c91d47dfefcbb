#!/usr/bin/env python3
"""A tlog-tiles client written from the C2SP tlog-tiles and RFC 9162 texts
alone (hashlib, no signet code): checks an exported directory the way a
monitor would.

  tiles_client.py DIR check [INDEX...]
    reads DIR/checkpoint (its signature is checked by the caller with
    openssl), fetches every tile the checkpoint's size needs, checks that
    every level-0 hash is the hash of its entry, every higher tile hash the
    Merkle hash of the full tile below, and that the root from the tiles is
    the checkpoint's; then proves inclusion of each INDEX against the root
    with an RFC 9162 audit path computed from the tiles. Prints one line;
    exits 1 on any mismatch or missing file.
"""
import base64
import hashlib
import os
import sys


def fail(msg):
    print("tiles: " + msg)
    sys.exit(1)


def leaf_hash(entry):
    return hashlib.sha256(b"\0" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\1" + left + right).digest()


def mth(hashes):
    """RFC 9162 2.1.1 over leaf hashes (or subtree hashes of equal size)."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def tile_path(n, width):
    groups = []
    while True:
        groups.append("%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    path = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
    return path + (".p/%d" % width if width else "")


def read(d, rel):
    p = os.path.join(d, rel)
    if not os.path.isfile(p):
        fail("missing " + rel)
    with open(p, "rb") as f:
        return f.read()


def hash_tile(d, level, n, width):
    data = read(d, "tile/%d/%s" % (level, tile_path(n, width)))
    want = (width or 256) * 32
    if len(data) != want:
        fail("tile/%d/%s is %d bytes, not %d" % (level, tile_path(n, width), len(data), want))
    return [data[i:i + 32] for i in range(0, len(data), 32)]


def bundle(d, n, width):
    data = read(d, "tile/entries/" + tile_path(n, width))
    entries, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            fail("entry bundle %d is cut" % n)
        ln = int.from_bytes(data[i:i + 2], "big")
        if i + 2 + ln > len(data):
            fail("entry bundle %d is cut" % n)
        entries.append(data[i + 2:i + 2 + ln])
        i += 2 + ln
    if len(entries) != (width or 256):
        fail("entry bundle %d holds %d entries, not %d" % (n, len(entries), width or 256))
    return entries


def level_hashes(d, level, size):
    """All hashes of a tile level for a tree of size, and their count."""
    count = size >> (8 * level)
    out = []
    for n in range(count // 256):
        out += hash_tile(d, level, n, 0)
    if count % 256:
        out += hash_tile(d, level, count // 256, count % 256)
    return out


def audit_path(leaves, m):
    """RFC 9162 2.1.3.1 PATH(m, D[n]) over leaf hashes."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return audit_path(leaves[:k], m) + [mth(leaves[k:])]
    return audit_path(leaves[k:], m - k) + [mth(leaves[:k])]


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 2.1.3.2."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while (fn & 1) == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def main():
    d, indexes = sys.argv[1], [int(x) for x in sys.argv[3:]]
    lines = read(d, "checkpoint").decode().split("\n")
    size, root = int(lines[1]), base64.b64decode(lines[2])
    leaves = level_hashes(d, 0, size)
    entries = []
    for n in range(size // 256):
        entries += bundle(d, n, 0)
    if size % 256:
        entries += bundle(d, size // 256, size % 256)
    if len(leaves) != size or len(entries) != size:
        fail("%d leaf hashes and %d entries for size %d" % (len(leaves), len(entries), size))
    for i, (e, h) in enumerate(zip(entries, leaves)):
        if leaf_hash(e) != h:
            fail("entry %d does not hash to its level-0 tile hash" % i)
    # every higher level: each hash is the Merkle hash of a full tile below
    level, below = 1, leaves
    while size >> (8 * level):
        upper = level_hashes(d, level, size)
        for i, h in enumerate(upper):
            if mth(below[i * 256:(i + 1) * 256]) != h:
                fail("tile level %d hash %d is not the hash of the tile below" % (level, i))
        level, below = level + 1, upper
    if mth(leaves) != root:
        fail("the root from the tiles is not the checkpoint's")
    for i in indexes:
        if not verify_inclusion(i, size, leaves[i], audit_path(leaves, i), root):
            fail("no inclusion proof for %d" % i)
    print("tiles: size %d, root ok, %d levels, %d inclusion proofs ok" % (size, level, len(indexes)))


if __name__ == "__main__":
    main()

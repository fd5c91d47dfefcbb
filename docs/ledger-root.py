#!/usr/bin/env python3
"""Recomputes a signet ledger's RFC 9162 Merkle root from its JSON lines
export (signet ledger export --format jsonl): each line is one leaf's exact
bytes. Prints the tree size and the base64 root, as lines 2 and 3 of a
checkpoint show them.   usage: ledger-root.py LOG.jsonl [SIZE]"""
import base64, hashlib, sys

def mth(leaves):  # RFC 9162 section 2.1.1
    if len(leaves) == 0:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()

leaves = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else len(leaves)
print(size)
print(base64.b64encode(mth(leaves[:size])).decode())

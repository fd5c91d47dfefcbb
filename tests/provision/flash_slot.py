#!/usr/bin/env python3
"""flash_slot.py DUMP OFFSET SIZE: the bytes of the slot at OFFSET (SIZE bytes
of pages) in DUMP, a memory image, on stdout. Written from docs/provisioning.md
section 12.3 alone (a 16-word little-endian length log, then the bytes), so it
checks the layout independently of provision/agent/flash_slots.c."""
import struct
import sys

dump, off, size = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0)
page = open(dump, "rb").read()[off:off + size]
if len(page) != size:
    sys.exit("flash_slot.py: %s is too short for 0x%x+0x%x" % (dump, off, size))
log = struct.unpack("<16I", page[:64])
n = ([w for w in log if w != 0xFFFFFFFF] or [0])[-1]
if n > size - 64:
    sys.exit("flash_slot.py: length %d past the slot's %d bytes" % (n, size - 64))
sys.stdout.buffer.write(page[64:64 + n])

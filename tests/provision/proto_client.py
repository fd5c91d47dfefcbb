#!/usr/bin/env python3
"""A station-side client of the signet device protocol, written from
docs/protocol.md alone (COBS, zlib's CRC-32, struct): an implementation
that shares no code with signet's, to check `signet sim` against the
document. Talks over a unix socket; each command prints one JSON line.

  proto_client.py SOCKET script.json   (a list of [command, args...])
"""
import json
import socket
import struct
import sys
import zlib


def cobs_encode(data):
    out, block, last_full = bytearray(), bytearray(), False
    for b in data:
        last_full = False
        if b == 0:
            out += bytes([len(block) + 1]) + block
            block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out += b"\xff" + block
                block, last_full = bytearray(), True
    if not last_full:
        out += bytes([len(block) + 1]) + block
    return bytes(out)


def cobs_decode(data):
    out, i = bytearray(), 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            raise ValueError("bad COBS")
        out += data[i + 1:i + code]
        i += code
        if code != 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


class Device:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(5)
        self.seq = 0
        self.buf = b""

    def call(self, cmd, payload=b""):
        self.seq = (self.seq + 1) % 256
        head = struct.pack("<BBBBH", 1, self.seq, cmd, 0, len(payload))
        packet = head + payload
        packet += struct.pack("<I", zlib.crc32(packet))
        self.s.sendall(b"\0" + cobs_encode(packet) + b"\0")
        while True:
            while b"\0" not in self.buf:
                chunk = self.s.recv(4096)
                if not chunk:
                    raise EOFError("the simulator closed the connection")
                self.buf += chunk
            frame, self.buf = self.buf.split(b"\0", 1)
            if not frame:
                continue
            p = cobs_decode(frame)
            kind, seq, rcmd, status, n = struct.unpack("<BBBBH", p[:6])
            if len(p) != 10 + n or struct.unpack("<I", p[-4:])[0] != zlib.crc32(p[:-4]):
                raise ValueError("bad frame")
            if kind == 2 and seq == self.seq and rcmd == cmd:
                return status, p[6:6 + n]


def info(dev):
    status, p = dev.call(1, struct.pack("<BBH", 1, 1, 1024))
    out = {"status": status}
    if status:
        return out
    out["version"], out["max_payload"] = p[0], struct.unpack("<H", p[1:3])[0]
    i, slots = 3, []
    while i < len(p):
        t, n = p[i], p[i + 1]
        v = p[i + 2:i + 2 + n]
        if t == 1:
            out["uid"] = v.hex()
        elif t == 2:
            out["chip"] = v.decode()
        elif t == 4:
            out["caps"] = struct.unpack("<I", v)[0]
        elif t == 5:
            out["lock"] = struct.unpack("<I", v)[0]
        elif t == 6:
            slots.append({"id": v[0], "flags": v[1], "capacity": struct.unpack("<I", v[2:])[0]})
        i += 2 + n
    out["slots"] = slots
    return out


def main():
    dev = Device(sys.argv[1])
    for step in json.load(open(sys.argv[2])):
        cmd, args = step[0], step[1:]
        if cmd == "info":
            out = info(dev)
        elif cmd == "keygen":  # mode, nonce hex
            status, p = dev.call(2, bytes([args[0], 1]) + bytes.fromhex(args[1]))
            out = {"status": status}
            if not status:
                out.update(existed=p[0] & 1, pub=p[4:69].hex(), sig=p[71:135].hex())
        elif cmd == "challenge":
            status, p = dev.call(3, bytes.fromhex(args[0]))
            out = {"status": status, "sig": p[2:].hex()}
        elif cmd == "write":  # slot, hex data: in chunks of 200
            data, off, status = bytes.fromhex(args[1]), 0, 0
            while True:
                chunk = data[off:off + 200]
                status, p = dev.call(4, struct.pack("<BBI", args[0], 1 if off == 0 else 0, off) + chunk)
                off += len(chunk)
                if status or off >= len(data):
                    break
            out = {"status": status}
        elif cmd == "read":  # the whole slot, in as many READs as it takes
            data, length = b"", None
            while length is None or len(data) < length:
                status, p = dev.call(5, struct.pack("<BIH", args[0], len(data), 4000))
                if status or len(p) == 4:
                    break
                length = struct.unpack("<I", p[:4])[0]
                data += p[4:]
            out = {"status": status, "length": length or 0, "data": data.hex()}
        elif cmd == "lock":
            status, p = dev.call(6, struct.pack("<II", args[0], 0x4B434F4C))
            out = {"status": status, "state": struct.unpack("<I", p)[0] if p else None}
        elif cmd == "lock_state":
            status, p = dev.call(7)
            out = {"status": status, "state": struct.unpack("<I", p)[0]}
        elif cmd == "raw":  # cmd, hex payload
            status, p = dev.call(args[0], bytes.fromhex(args[1]))
            out = {"status": status, "payload": p.hex()}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

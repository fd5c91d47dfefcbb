#!/usr/bin/env python3
"""tcp_cut.py TARGET_PORT CUT_BYTES: a TCP relay on a free loopback port (printed
on stdout as its first line) to 127.0.0.1:TARGET_PORT that closes both sides
once CUT_BYTES bytes have gone from the client to the target: a GDB server or a
serial server that goes away in the middle of a unit, at a byte count a test
chooses. Serves one client, then exits."""
import select
import socket
import sys

target, cut = int(sys.argv[1]), int(sys.argv[2])
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(1)
print(lsock.getsockname()[1], flush=True)
client, _ = lsock.accept()
server = socket.create_connection(("127.0.0.1", target))
for s in (client, server):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sent = 0
while sent < cut:
    ready, _, _ = select.select([client, server], [], [], 60)
    if not ready:
        break
    for s in ready:
        data = s.recv(65536)
        if not data:
            sent = cut
            break
        if s is client:
            data = data[:cut - sent]
            sent += len(data)
            server.sendall(data)
        else:
            client.sendall(data)
client.close()
server.close()

#!/usr/bin/python3
"""One-off: prints, as hex, the bytes a server sends in reply to one replication command, from
the message after the Query to ReadyForQuery inclusive: unit-test input for our framing and
result code (tests/PgBackup.Tests.Unit/Postgres/Replication/). Connects as postgres over the unix
socket in replication mode, so the server must trust local replication connections (as
scripts/sandbox/standalone.sh's do); run it as postgres.

    capture-replication-reply.py SOCKET_DIR PORT 'TIMELINE_HISTORY 2'"""
import socket
import struct
import sys


def read_message(sock):
    header = recv_exact(sock, 5)
    code, length = header[:1], struct.unpack("!I", header[1:])[0]
    return header + recv_exact(sock, length - 4), code


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise SystemExit("the server closed the connection")
        data += chunk
    return data


def until_ready(sock):
    reply = b""
    while True:
        message, code = read_message(sock)
        if code == b"E" and not reply:
            raise SystemExit("error: " + message.decode(errors="replace"))
        reply += message
        if code == b"Z":
            return reply


directory, port, command = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.socket(socket.AF_UNIX)
sock.connect(f"{directory}/.s.PGSQL.{port}")
params = b"user\0postgres\0replication\0true\0\0"
sock.sendall(struct.pack("!II", 8 + len(params), 196608) + params)
until_ready(sock)
query = command.encode() + b"\0"
sock.sendall(b"Q" + struct.pack("!I", 4 + len(query)) + query)
print(until_ready(sock).hex())
sock.sendall(b"X\0\0\0\4")

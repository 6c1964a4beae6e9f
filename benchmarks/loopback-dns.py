#!/usr/bin/env python3
"""A loopback DNS server for MX benchmarks (run-mx-budget.sh): every domain's MX is mx.<domain>, and every name
(so every mx.<domain>) has the A record 127.0.0.1. Thousands of domains, each its own MX host name (so the client
pools a connection per domain), all served by one smtp-sink on 127.0.0.1. Python standard library only; UDP only;
one question per query (as resolvers send). Usage: loopback-dns.py PORT (binds 127.0.0.1:PORT)."""
import socket
import struct
import sys

TYPE_A, TYPE_MX = 1, 15
TTL = 3600


def read_name(msg, pos):
    labels = []
    while True:
        n = msg[pos]
        if n == 0:
            return ".".join(labels), pos + 1
        if n & 0xC0:
            raise ValueError("compressed name in a question")
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii"))
        pos += 1 + n


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def answer(query):
    qid, flags = struct.unpack("!HH", query[:4])
    name, pos = read_name(query, 12)
    qtype, qclass = struct.unpack("!HH", query[pos:pos + 4])
    question = query[12:pos + 4]
    records = []
    if qtype == TYPE_MX:
        rdata = struct.pack("!H", 10) + encode_name("mx." + name)
        records.append(struct.pack("!HHHIH", 0xC00C, TYPE_MX, 1, TTL, len(rdata)) + rdata)
    elif qtype == TYPE_A:
        records.append(struct.pack("!HHHIH", 0xC00C, TYPE_A, 1, TTL, 4) + socket.inet_aton("127.0.0.1"))
    # Any other type (AAAA, ...): an empty NOERROR answer. QR, AA, RD as asked, RA.
    reply_flags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080
    return struct.pack("!HHHHHH", qid, reply_flags, 1, len(records), 0, 0) + question + b"".join(records)


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    while True:
        query, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(query), peer)
        except (ValueError, IndexError, struct.error, UnicodeDecodeError):
            pass  # not a query we can read: no answer, the resolver times out


if __name__ == "__main__":
    main()

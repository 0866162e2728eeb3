"""Many keep-alive connections to one zcp serve, for the io_uring loop's
tests (tests/e2e/serve_ring_buffers.sh, serve_idle_connections_rss.sh).

  many_connections.py ADDR PATH BYTES N [PAD]
      opens N connections and makes a round: one GET on each, all sent
      before any answer is read, each head PAD bytes longer than a plain
      one (12000 unless given); every answer must be
      200 with BYTES body bytes. Then reads commands from stdin, one per
      line: "round" (again, on the same connections), "hold" (print "held";
      the connections stay open and idle until the next line), "quit".
Prints "ok N" after each round; exits 1 naming the first bad answer.
"""
import socket
import sys


def read_reply(s, want):
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("closed before a head: %r" % got[:200])
        got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 "):
        raise RuntimeError("not 200: %r" % head[:200])
    while len(body) < want:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("closed after %d of %d body bytes" % (len(body), want))
        body += chunk
    if len(body) != want:
        raise RuntimeError("%d body bytes, want %d" % (len(body), want))


def main():
    addr, path, size, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    pad = int(sys.argv[5]) if len(sys.argv) > 5 else 12000
    host, port = addr.rsplit(":", 1)
    # By default a 12 KiB head (several of the loop's 2 KiB receive buffers) in one segment.
    extra = "X-Pad: %s\r\n" % ("p" * pad) if pad else ""
    req = ("GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path, extra)).encode()
    conns = []
    for _ in range(n):
        s = socket.create_connection((host, int(port)), timeout=20)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns.append(s)
    cmd = "round"
    while cmd != "quit":
        if cmd == "round":
            for s in conns:
                s.sendall(req)
            for i, s in enumerate(conns):
                try:
                    read_reply(s, size)
                except Exception as e:  # noqa: BLE001 - any failure names the connection
                    print("connection %d: %s" % (i, e), flush=True)
                    sys.exit(1)
            print("ok %d" % n, flush=True)
        elif cmd == "hold":
            print("held", flush=True)
        line = sys.stdin.readline()
        cmd = line.strip() if line else "quit"


main()

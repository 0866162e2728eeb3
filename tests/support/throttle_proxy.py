#!/usr/bin/env python3
"""A TCP proxy that slows the bytes it relays to RATE bytes/s in total
(all connections share one token bucket), so an e2e test can interrupt a
transfer at a known point or watch a progress line move. Loopback has no
tc without a netns; this is deterministic enough at 1-500 MiB/s.

usage: throttle_proxy.py TARGET_HOST:PORT RATE PORT_FILE
Writes the port it listens on (127.0.0.1) to PORT_FILE, then serves
until killed."""
import socket
import sys
import threading
import time

target_host, target_port = sys.argv[1].rsplit(":", 1)
rate = float(sys.argv[2])
lock = threading.Lock()
bucket = {"t": time.monotonic(), "sent": 0.0}
CHUNK = max(4096, min(1 << 20, int(rate / 50)))  # ~50 sends a second


def take(n):
    # Sleeps until `n` more bytes fit under the rate since the start.
    with lock:
        now = time.monotonic()
        if bucket["t"] + bucket["sent"] / rate < now - 0.05:  # idle: no saved-up burst
            bucket["t"], bucket["sent"] = now, 0.0
        bucket["sent"] += n
        due = bucket["t"] + bucket["sent"] / rate
    delay = due - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def pump(src, dst, throttle):
    try:
        while True:
            data = src.recv(CHUNK)
            if not data:
                break
            if throttle:
                take(len(data))
            dst.sendall(data)
    except OSError:
        pass
    for s in (dst,):
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def handle(client):
    try:
        server = socket.create_connection((target_host, int(target_port)))
    except OSError:
        client.close()
        return
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    up = threading.Thread(target=pump, args=(client, server, True), daemon=True)
    up.start()
    pump(server, client, True)
    up.join(timeout=1)
    client.close()
    server.close()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
with open(sys.argv[3], "w") as f:
    f.write(str(listener.getsockname()[1]))
while True:
    conn, _ = listener.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()

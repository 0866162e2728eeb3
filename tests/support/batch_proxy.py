#!/usr/bin/env python3
"""A TCP proxy for a pull re-run's batches (GET DIR/?format=tar&...&only=):
at the first request that carries "only=" it either removes a source file
before passing the request on (a file that vanished on the server since
its manifest) or lets BYTES bytes of the answer through and then cuts both
connections (a stream cut mid-batch). Every other byte passes unchanged.

usage: batch_proxy.py TARGET_HOST:PORT PORT_FILE vanish PATH
       batch_proxy.py TARGET_HOST:PORT PORT_FILE cut BYTES
Writes the port it listens on (127.0.0.1) to PORT_FILE, then serves
until killed. Acts once: later connections pass unchanged."""
import os
import socket
import sys
import threading

target_host, target_port = sys.argv[1].rsplit(":", 1)
mode, arg = sys.argv[3], sys.argv[4]
state = {"armed": True, "cutting": False}
lock = threading.Lock()


def up(client, server, cut_event):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            with lock:
                hit = state["armed"] and b"only=" in data
                if hit:
                    state["armed"] = False
            if hit and mode == "vanish":
                os.unlink(arg)
            if hit and mode == "cut":
                cut_event.set()
            server.sendall(data)
    except OSError:
        pass
    try:
        server.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def handle(client):
    try:
        server = socket.create_connection((target_host, int(target_port)))
    except OSError:
        client.close()
        return
    cut_event = threading.Event()
    t = threading.Thread(target=up, args=(client, server, cut_event), daemon=True)
    t.start()
    left = int(arg) if mode == "cut" else 0
    try:
        while True:
            data = server.recv(65536)
            if not data:
                break
            if cut_event.is_set():
                if len(data) >= left:
                    client.sendall(data[:left])
                    break  # the cut: both sides closed below
                left -= len(data)
            client.sendall(data)
    except OSError:
        pass
    for s in (client, server):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
with open(sys.argv[2], "w") as f:
    f.write(str(listener.getsockname()[1]))
while True:
    conn, _ = listener.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()

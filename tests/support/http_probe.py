#!/usr/bin/env python3
"""Sends one raw request and describes the answer, for hostile_server_*.sh.

usage: http_probe.py ADDR REQUEST [--wait-before-body SECONDS BODY]
REQUEST takes printf-like escapes (\\r, \\n, \\x1b). Prints one line:
  STATUS CONTENT_LENGTH BODY_BYTES CLOSED EARLY
CONTENT_LENGTH is '-' when absent, BODY_BYTES what followed the head until
the server closed (or 5 s), CLOSED 1 if the server closed, EARLY 1 if the
final answer came before any BODY was sent (--wait-before-body: the head
is sent, then we wait SECONDS for an answer, then send BODY). Interim 1xx
answers are skipped but counted into the status as "100+" prefix.
The head and body are kept in $PROBE_OUT.head/.body when PROBE_OUT is set.
"""
import os, socket, sys, time

def decode(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")

def read_until_close(s, deadline):
    out, closed = b"", False
    while time.monotonic() < deadline:
        try:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        out += chunk
    return out, closed

def main():
    host, port = sys.argv[1].rsplit(":", 1)
    req = decode(sys.argv[2])
    wait, body = None, b""
    if len(sys.argv) > 3 and sys.argv[3] == "--wait-before-body":
        wait, body = float(sys.argv[4]), decode(sys.argv[5])
    s = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
    s.sendall(req)
    early = 0
    got = b""
    if wait is not None:
        got, closed = read_until_close(s, time.monotonic() + wait)
        interim = got.startswith(b"HTTP/1.1 1")
        early = 1 if got and not interim else 0
        if not early:
            try:
                s.sendall(body)
            except OSError:
                pass
    if not early:
        more, closed = read_until_close(s, time.monotonic() + 5)
        got += more
    prefix = ""
    while got.startswith(b"HTTP/1.1 1") and b"\r\n\r\n" in got:
        prefix += got[9:12].decode() + "+"
        got = got[got.index(b"\r\n\r\n") + 4:]
    if b"\r\n\r\n" not in got:
        print(f"{prefix}none - {len(got)} {int(closed)} {early}")
        return
    head, rest = got.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ")[1].decode()
    length = "-"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = value.strip().decode()
    if os.environ.get("PROBE_OUT"):
        open(os.environ["PROBE_OUT"] + ".head", "wb").write(head)
        open(os.environ["PROBE_OUT"] + ".body", "wb").write(rest)
    print(f"{prefix}{status} {length} {len(rest)} {int(closed)} {early}")

main()

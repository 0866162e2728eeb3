#!/usr/bin/env python3
"""A lying zcp serve for the tree sync's hostile tests: answers
DIR/?format=manifest and ?format=tar with what MODE says, everything else
404 (or, for 'huge', a body far shorter than its Content-Length).

usage: hostile_tree_server.py MODE OUTSIDE PORT_FILE
MODE: traversal, absolute, link-out, write-through, huge, truncated, tar-link-out
OUTSIDE: an absolute directory the client must never write into."""
import http.server
import io
import socketserver
import sys
import tarfile

mode, outside, port_file = sys.argv[1:4]

MANIFESTS = {
    "traversal": "f 644 0 4 - ok\nf 644 0 4 - ../escape\n",
    "absolute": "f 644 0 4 - " + outside + "/abs\n",
    "link-out": "l 0 evil " + outside + "\nf 644 0 4 - evil/pwn\n",
    "write-through": "f 644 0 4 - out/pwn\n",
    "huge": "f 644 0 1000000000000000 - big\n",
    "truncated": "f 644 0 4 - a\nf 644 0 4 - b\n",
}


def tar_link_out():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        link = tarfile.TarInfo("evil")
        link.type = tarfile.SYMTYPE
        link.linkname = outside
        t.addfile(link)
        data = b"pwned\n"
        f = tarfile.TarInfo("evil/pwn")
        f.size = len(data)
        t.addfile(f, io.BytesIO(data))
        up = tarfile.TarInfo("up")
        up.type = tarfile.SYMTYPE
        up.linkname = "../.."
        t.addfile(up)
        f2 = tarfile.TarInfo("up/pwn2")
        f2.size = len(data)
        t.addfile(f2, io.BytesIO(data))
    return buf.getvalue()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if "format=manifest" in self.path:
            body = "zcp-manifest 1\n" + MANIFESTS.get(mode, "")
            if mode != "truncated":
                body += "end 0 0\n"
            self.answer(200, body.encode(), "text/plain; charset=utf-8")
        elif "format=tar" in self.path and mode == "tar-link-out":
            self.answer(200, tar_link_out(), "application/x-tar")
        elif mode == "huge" and self.path.endswith("/big"):
            self.send_response(200)
            self.send_header("Content-Length", "1000000000000000")
            self.end_headers()
            self.wfile.write(b"x" * 100)
        else:
            self.answer(404, b"no\n")

    # zcp serve's types: zcp get -r takes any other answer for another
    # server's listing (crawl mode).
    def answer(self, status, body, ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


with socketserver.TCPServer(("127.0.0.1", 0), Handler) as srv:
    with open(port_file, "w") as f:
        f.write(str(srv.server_address[1]))
    srv.serve_forever()

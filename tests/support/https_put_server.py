#!/usr/bin/python3
"""A small HTTPS server that takes PUT (Python's ssl is OpenSSL, but not
zcp's code): for `zcp put` over https until zcp serve speaks TLS.

    https_put_server.py CERT KEY DIR PORTFILE

Listens on 127.0.0.1 port 0 (the port goes to PORTFILE), stores each PUT
body as DIR/<last path segment>, answers 201; GET is not served.
"""
import http.server
import os
import ssl
import sys

cert, key, root, portfile = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_PUT(self):
        length = int(self.headers.get("Content-Length", "0"))
        name = os.path.basename(self.path.split("?")[0]) or "upload"
        left = length
        with open(os.path.join(root, name), "wb") as f:
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                f.write(chunk)
                left -= len(chunk)
        self.send_response(201 if left == 0 else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()

#!/usr/bin/env python3
"""An HTTP proxy in front of zcp serve that makes its ?part= answers
misbehave, for zcp get -r's parallel first copy:
  strip  a zcp without part= (before it): part=K/N is dropped from each
         request's query and Zcp-Part from the answer, so every tar GET
         gets the whole tree, unmarked, and a tree PUT's 100 Continue
         names no part (the body is passed on whole, chunked);
  cut    the last part's body stops after 64 KiB (the connection closes
         mid-archive) while the other parts trickle at 64 KiB/s: one
         stream fails while the others are still running;
  skew   the parts but the last trickle at 320 KiB/s, the last runs at
         full speed: it ends first, while the others still write.
Each request line the client sent is appended to LOG.

usage: part_proxy.py MODE UPSTREAM_HOST:PORT PORT_FILE LOG
Writes the port it listens on (127.0.0.1) to PORT_FILE, then serves
until killed."""
import http.client
import http.server
import os
import re
import sys
import time

mode = sys.argv[1]
upstream_host, upstream_port = sys.argv[2].rsplit(":", 1)
port_file, log_file = sys.argv[3], sys.argv[4]


def strip_part(query):
    return "&".join(p for p in query.split("&") if p and not p.startswith("part="))


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 for a PUT's 100 Continue (sent by parse_request, without
    # Zcp-Part); every answer ends with the close.
    protocol_version = "HTTP/1.1"

    def read_chunked(self):
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def get_whole(self):
        # Buffered, with a length, the connection kept: put -r sends its
        # PUT on the connection its manifest GET came on.
        with open(log_file, "a") as log:
            log.write(self.requestline + "\n")
        path, _, query = self.path.partition("?")
        up = http.client.HTTPConnection(upstream_host, int(upstream_port), timeout=30)
        up.request("GET", path + ("?" + strip_part(query) if query else ""))
        answer = up.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("zcp-part", "transfer-encoding", "content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        up.close()

    def do_PUT(self):
        with open(log_file, "a") as log:
            log.write(self.requestline + "\n")
        path, _, query = self.path.partition("?")
        body = self.read_chunked()
        up = http.client.HTTPConnection(upstream_host, int(upstream_port), timeout=30)
        up.request("PUT", path + "?" + strip_part(query), body=body)
        answer = up.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True
        up.close()

    def do_GET(self):
        if mode == "strip":
            return self.get_whole()
        self.protocol_version = "HTTP/1.0"  # the body ends with the close: no length needed
        self.close_connection = True
        with open(log_file, "a") as log:
            log.write(self.requestline + "\n")
        path, _, query = self.path.partition("?")
        part = re.search(r"(?:^|&)part=(\d+)/(\d+)", query)
        last = part is not None and part.group(1) == part.group(2)
        if mode == "strip":
            query = strip_part(query)
        up = http.client.HTTPConnection(upstream_host, int(upstream_port), timeout=30)
        up.request("GET", path + ("?" + query if query else ""))
        answer = up.getresponse()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if mode == "strip" and name.lower() == "zcp-part":
                continue
            if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(name, value)
        self.end_headers()
        sent = 0
        while True:
            chunk = answer.read(16384)
            if not chunk:
                break
            if mode == "cut" and part is not None:
                if last and sent >= 65536:
                    break  # mid-archive: the client sees the body end early
                if not last:
                    time.sleep(0.25)
            if mode == "skew" and part is not None and not last:
                time.sleep(0.05)
            try:
                self.wfile.write(chunk)
            except OSError:  # the client gave up: fine
                break
            sent += len(chunk)
        up.close()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()

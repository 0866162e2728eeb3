# hostile_listing_server.py PORT: a "web server" whose directory listings
# try to lead zcp get -r's crawl outside DEST (tests/e2e/
# get_recursive_hostile_listing.sh): hrefs with "..", absolute paths, other
# hosts, encoded slashes and NULs, a directory that lists itself forever
# (/t/loop/loop/..., each level a little different, in JSON), and /huge/, a listing larger than zcp's bound.
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = b"""<html><body><h1>Index of /t/</h1><pre>
<a href="../">../</a>
<a href="../x">../x</a>
<a href="/etc/passwd">passwd</a>
<a href="http://other/">other</a>
<a href="//other/y">other</a>
<a href="a%2F..%2F..%2Fx">slash</a>
<a href="%00">nul</a>
<a href="%2e%2e/">dotdot</a>
<a href="good.txt?x=1">query</a>
<a href="loop/">loop/</a>
<a href="good.txt">good.txt</a>
</pre></body></html>
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, body, ctype="text/html"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", "Sat, 03 Feb 2001 04:05:06 GMT")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/t/":
            self.send(200, ROOT)
        elif path.startswith("/t/loop/") and path.endswith("/"):
            # Each level's listing differs (the mtime it gives loop/), so
            # zcp's "same as an ancestor" check cannot end it: the depth
            # bound must.
            depth = path.count("loop/")
            item = b'{"name":"loop","type":"directory","mtime":%d}' % depth
            self.send(200, b'[%s,{"name":"../escape","type":"file"}]' % item, "application/json")
        elif path == "/t/good.txt":
            self.send(200, b"good\n", "text/plain")
        elif path == "/huge/":
            row = b'<a href="f%08d">f</a>\n'
            self.send(200, b"<html><pre>" + b"".join(row % i for i in range(400000)))
        else:
            self.send(404, b"not here\n", "text/plain")

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % self.requestline)


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

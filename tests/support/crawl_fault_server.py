# crawl_fault_server.py PORT: a listing server whose tree fails in parts,
# for zcp get -r's crawl mode (tests/e2e/get_recursive_partial.sh and
# friends). Every request line goes to stderr.
#   /t/      a.txt, gone.txt (404), secret.txt (403), sub/ (b.txt), locked/
#            (its listing 403), and "dup" listed as a file and as dup/
#   /cut/    a-ok.txt, then b-big.bin whose first GET breaks off halfway
#            (the connection closes); later GETs send it whole
#   /slow/   a listing trickling one byte every 0.3 s (under --timeout 1)
#   /moved/  301 to /moved2/, which is 302 to /t/ (a start URL that moved)
#   /hop/    a listing whose sub/ answers 301 to /t/sub/ and whose f.txt
#            answers 302 to /t/a.txt
#   /loop/   302 to itself; /tls/ 302 to https://
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def listing(*names):
    links = "".join(f'<a href="{n}">{n}</a>\n' for n in names)
    return f'<html><body><pre><a href="../">../</a>\n{links}</pre></body></html>\n'.encode()


BIG = bytes(range(256)) * 800  # 204800 bytes
PAGES = {
    "/t/": listing("a.txt", "gone.txt", "secret.txt", "sub/", "locked/", "dup", "dup/"),
    "/t/a.txt": b"a\n",
    "/t/sub/": listing("b.txt"),
    "/t/sub/b.txt": b"b\n",
    "/t/dup": b"the file dup\n",
    "/t/dup/": listing("c.txt"),
    "/t/dup/c.txt": b"c\n",
    "/cut/": listing("a-ok.txt", "b-big.bin"),
    "/cut/a-ok.txt": b"ok\n",
    "/hop/": listing("f.txt", "sub/"),
}
STATUS = {"/t/gone.txt": 404, "/t/secret.txt": 403, "/t/locked/": 403}
REDIRECT = {"/moved/": (301, "/moved2/"), "/moved2/": (302, "/t/"),
            "/hop/sub/": (301, "/t/sub/"), "/hop/f.txt": (302, "/t/a.txt"),
            "/loop/": (302, "/loop/"), "/tls/": (302, "https://127.0.0.1:1/x/")}
cut_once = [True]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, body, ctype="text/html", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        sys.stderr.write(f"GET {self.path}\n")
        sys.stderr.flush()
        path = self.path.split("?")[0]
        if path in REDIRECT:
            code, to = REDIRECT[path]
            return self.send(code, b"moved\n", extra=[("Location", to)])
        if path in STATUS:
            return self.send(STATUS[path], b"<html><head><title>no</title></head></html>\n")
        if path == "/cut/b-big.bin":
            if cut_once[0]:
                cut_once[0] = False
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(BIG)))
                self.end_headers()
                self.wfile.write(BIG[:len(BIG) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            return self.send(200, BIG, "application/octet-stream")
        if path == "/slow/":
            body = listing(*[f"f{i}.txt" for i in range(40)])
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for b in body:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass
            self.close_connection = True
            return
        if path in PAGES:
            ctype = "text/html" if path.endswith("/") else "text/plain"
            return self.send(200, PAGES[path], ctype)
        self.send(404, b"<html><head><title>404 Not Found</title></head></html>\n")

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

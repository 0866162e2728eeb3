#!/usr/bin/env bash
# zcp get follows redirects as curl -L does (at most 10, http only), shows the
# server's own explanation of a refusal (escaped), and --verify against a
# server without digests says so before any byte moves (exit 31, not 30).
source "$(dirname "$0")/../support/e2e.sh"

mkdir -p "$SCRATCH/files/sub"
head -c 300007 /dev/urandom >"$SCRATCH/files/sub/a.bin"
head -c 3000007 /dev/urandom >"$SCRATCH/files/big.bin"
cat >"$SCRATCH/redir.py" <<'PYEOF'
import http.server, sys, os
root = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        port = self.server.server_port
        routes = {"/rel": "sub/a.bin", "/abspath": "/sub/a.bin", "/hop1": "/hop2", "/hop2": "/hop3",
                  "/hop3": "rel", "/loop": "/loop", "/https": "https://127.0.0.1:%d/sub/a.bin" % port,
                  "/ftp": "ftp://127.0.0.1/sub/a.bin", "/abs": "http://127.0.0.1:%d/sub/a.bin" % port,
                  "/schemerel": "//127.0.0.1:%d/sub/a.bin" % port, "/dir/up": "../sub/a.bin",
                  "/bigr": "/big.bin", "/esc": "/\x1b]0;owned\x07"}
        code = {"/abspath": 301, "/hop2": 307, "/hop3": 308, "/dir/up": 303}.get(self.path, 302)
        if self.path in routes:
            self.send_response(code); self.send_header("Location", routes[self.path])
            self.send_header("Content-Length", "0"); self.end_headers(); return
        f = os.path.join(root, self.path.lstrip("/"))
        if self.path in ("/sub/a.bin", "/big.bin"):
            data = open(f, "rb").read()
            rng = self.headers.get("Range")
            if rng and self.command == "GET":
                a, b = rng.split("=")[1].split("-")
                a, b = int(a), int(b) if b else len(data) - 1
                self.send_response(206)
                self.send_header("Content-Range", "bytes %d-%d/%d" % (a, b, len(data)))
                body = data[a:b + 1]
            else:
                self.send_response(200); body = data
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(body) if self.command == "GET" or rng else len(data)))
            self.end_headers()
            if self.command == "GET": self.wfile.write(body)
            return
        if self.path == "/refuse":
            b = b"403 Forbidden: quota exceeded\x1b[2J\xc2\x9b for this user\nsecond line\n"
            self.send_response(403); self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b); return
        self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()
    do_HEAD = do_GET
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_port, flush=True)
s.serve_forever()
PYEOF
$PY "$SCRATCH/redir.py" 0 "$SCRATCH/files" >"$SCRATCH/port" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/port" ] && break; sleep 0.05; done
P="http://127.0.0.1:$(cat "$SCRATCH/port")"
mkdir -p "$SCRATCH/dl"

for path in rel abspath hop1 abs schemerel dir/up; do
  rm -f "$SCRATCH/dl/out"
  expect_exit 0 "$ZCP" get -q "$P/$path" -o "$SCRATCH/dl/out"
  cmp -s "$SCRATCH/dl/out" "$SCRATCH/files/sub/a.bin" || fail "redirect $path: bytes differ"
done
# A redirect to a big file: the parallel download follows it too.
expect_exit 0 "$ZCP" get -q -j 4 "$P/bigr" -o "$SCRATCH/dl/big"
cmp -s "$SCRATCH/dl/big" "$SCRATCH/files/big.bin" || fail "redirected -j 4: bytes differ"

expect_exit 22 "$ZCP" get -q "$P/loop" -o "$SCRATCH/dl/loop"
expect_stderr "more than 10 redirects"
[ -e "$SCRATCH/dl/loop" ] || [ -e "$SCRATCH/dl/loop.part" ] && fail "a redirect loop left a file"
expect_exit 22 "$ZCP" get -q "$P/https" -o "$SCRATCH/dl/x"
expect_stderr "not followed (only http:// is)"
expect_exit 22 "$ZCP" get -q "$P/ftp" -o "$SCRATCH/dl/x"
expect_stderr "ftp://127.0.0.1/sub/a.bin: not followed"
# A control byte in a header is a malformed response (exit 8), never printed raw.
expect_exit 8 "$ZCP" get -q "$P/esc" -o "$SCRATCH/dl/x"
grep -q $'\x1b' "$SCRATCH/stderr" && fail "a Location's ESC reached the terminal"

# The server's explanation: first line only, escaped, the URL named once.
expect_exit 22 "$ZCP" get -q "$P/refuse" -o "$SCRATCH/dl/r"
expect_stderr "server answered 403 Forbidden: quota exceeded\x1b[2J\xc2\x9b for this user"
grep -q 'x5c' "$SCRATCH/stderr" && fail "the refusal was escaped twice: $(cat "$SCRATCH/stderr")"
grep -q $'\x1b\|\xc2\x9b' "$SCRATCH/stderr" && fail "raw ESC or C1 from the body reached the terminal"
grep -q "second line" "$SCRATCH/stderr" && fail "more than the first line printed"
[ "$(grep -o "$P/refuse" "$SCRATCH/stderr" | wc -l)" = 1 ] || fail "URL not named exactly once: $(cat "$SCRATCH/stderr")"

# put to a zcp serve without --upload: the body says why.
start_server "$SCRATCH/files"
expect_exit 22 "$ZCP" put -q "$SCRATCH/files/sub/a.bin" "${URL}up.bin"
expect_stderr "uploads are off (zcp serve --upload)"

# --verify: default zcp serve answers with a digest on the first try ...
expect_exit 0 "$ZCP" get -q --verify "${URL}big.bin" -o "$SCRATCH/dl/v1"
expect_exit 0 "$ZCP" get -q --verify -j 4 "${URL}sub/a.bin" -o "$SCRATCH/dl/v2"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
# ... one run with --digest off is refused before any byte moves, exit 31.
start_server --digest off "$SCRATCH/files"
for j in 1 4; do
  expect_exit 31 "$ZCP" get -q --verify -j "$j" "${URL}big.bin" -o "$SCRATCH/dl/v$j-off"
  expect_stderr "the server sends no sha-256 digest"
  ls "$SCRATCH/dl/v$j-off"* >/dev/null 2>&1 && fail "-j $j: a file was left after the refusal"
done
echo "ok"

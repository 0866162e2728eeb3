#!/usr/bin/env bash
# A server (or proxy) that answers a resume with a complete but partial
# range (bytes 1000-1999/4000), or a 206 to a request without Range: zcp get
# must refuse (exit 8) instead of committing a fragment under the final name.
source "$(dirname "$0")/../support/e2e.sh"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 60 $PY - "$port" <<'PYEOF' &
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(8)
while True:
    c, _ = srv.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        chunk = c.recv(4096)
        if not chunk:
            break
        req += chunk
    head = req.split(b"\r\n\r\n")[0].decode("latin-1")
    if head.startswith("HEAD"):
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4000\r\nConnection: close\r\n\r\n")
    elif "Range: bytes=1000-" in head:  # resume: a short but complete range
        c.sendall(b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 1000-1999/4000\r\n"
                  b"Content-Length: 1000\r\nConnection: close\r\n\r\n" + b"b" * 1000)
    else:  # no Range asked: a 206 fragment anyway
        c.sendall(b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-999/4000\r\n"
                  b"Content-Length: 1000\r\nConnection: close\r\n\r\n" + b"a" * 1000)
    c.close()
PYEOF
PYPID=$!
on_exit "kill $PYPID"
sleep 0.3
D="$SCRATCH/f.bin"
head -c 1000 /dev/zero >"$D.part"
expect_exit 8 timeout 30 "$ZCP" get -q -c "http://127.0.0.1:$port/f.bin" "$D"
[ ! -e "$D" ] || fail "a fragment was committed on resume"
[ "$(stat -c %s "$D.part")" = 1000 ] || fail ".part changed"
rm -f "$D.part"
expect_exit 8 timeout 30 "$ZCP" get -q -j 1 "http://127.0.0.1:$port/f.bin" "$D"
[ ! -e "$D" ] || fail "a 206 fragment was committed as the whole file"
echo ok

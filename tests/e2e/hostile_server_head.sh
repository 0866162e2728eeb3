#!/usr/bin/env bash
# Request heads that are not what RFC 9112 allows, and the canned answers
# they get: a missing or doubled Host is 400 (section 3.2), a line that is
# no request line is 400 and an unknown method on a well-formed line 501;
# every canned answer (400, 414, 431, 501, 505, and the worker's 503 when
# full) says a Content-Length equal to the body it sends, then closes.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root"
echo "hello" >"$SCRATCH/root/a.txt"
start_server "$SCRATCH/root" --max-connections 2
keep_going

# Host (RFC 9112 section 3.2).
expect_canned 400 "$ADDR" 'GET /a.txt HTTP/1.1\r\n\r\n'
expect_canned 400 "$ADDR" 'GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
expect_canned 400 "$ADDR" 'GET /a.txt HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n'
expect_canned 400 "$ADDR" 'GET /a.txt HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n'
expect_canned 400 "$ADDR" 'HEAD /a.txt HTTP/1.1\r\nUser-Agent: x\r\n\r\n'
got=$(probe "$ADDR" 'GET /a.txt HTTP/1.0\r\n\r\n')
[ "${got%% *}" = 200 ] || fail "HTTP/1.0 without Host: $got"
got=$(probe "$ADDR" 'GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
[ "$got" = "200 6 6 1 0" ] || fail "HTTP/1.1 with one Host: $got"

# Not a request line: 400; a method we lack on a good line: 501.
expect_canned 400 "$ADDR" 'GARBAGE\r\n\r\n'
expect_canned 400 "$ADDR" 'GET\r\n\r\n'
expect_canned 400 "$ADDR" 'BREW /pot\r\n\r\n'
expect_canned 400 "$ADDR" 'BREW /pot HTTP/1.1 tea\r\n\r\n'
expect_canned 400 "$ADDR" 'HELLO THERE FRIEND HOW ARE YOU\r\n\r\n'
expect_canned 501 "$ADDR" 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n'

# The other canned answers, lengths checked.
long=$(printf 'a%.0s' $(seq 9000))
expect_canned 414 "$ADDR" "GET /$long HTTP/1.1\r\nHost: x\r\n\r\n"
expect_canned 431 "$ADDR" "GET / HTTP/1.1\r\nHost: x\r\nX-Big: $long$long\r\n\r\n"
expect_canned 505 "$ADDR" 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'
expect_canned 400 "$ADDR" 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'

# The worker's own 503 when full: hold two connections, the third is refused.
$PY - "$ADDR" >"$SCRATCH/busy.txt" <<'PYEOF'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
held = [socket.create_connection((host, int(port))) for _ in range(2)]
for h in held:  # a byte each, so both are surely accepted and counted
    h.sendall(b"G")
time.sleep(0.3)
s = socket.create_connection((host, int(port)), timeout=5)
got = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
head, _, body = got.partition(b"\r\n\r\n")
length = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
print(head.split(b"\r\n")[0].decode(), length[0].decode() if length else "-", len(body))
PYEOF
read -r _ status _ _ length bytes <"$SCRATCH/busy.txt"
[ "$status" = 503 ] || fail "third connection: $(cat "$SCRATCH/busy.txt")"
[ "$length" = "$bytes" ] || fail "503 says Content-Length $length, sends $bytes bytes"
kill -0 "$SERVER_PID" || fail "server died"
finish_cases

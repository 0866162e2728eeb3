#!/usr/bin/env bash
# PUT: zcp put and curl -T store files atomically (201 new, 204 replaced);
# uploads need --upload and the token; 411/413/403/401/405 as documented;
# a put killed mid-way leaves nothing under the target name and no temp file.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/in"
head -c $((20 << 20)) /dev/urandom >"$SCRATCH/f.bin"
start_server --upload --token s3cret --max-upload 100M "$SCRATCH/root"
sum() { sha256sum "$1" | cut -d' ' -f1; }

"$ZCP" put --token s3cret --json "$SCRATCH/f.bin" "${URL}in/f.bin" >"$SCRATCH/j" || fail "zcp put"
grep -q '"status":201' "$SCRATCH/j" || fail "first put not 201: $(cat "$SCRATCH/j")"
[ "$(sum "$SCRATCH/root/in/f.bin")" = "$(sum "$SCRATCH/f.bin")" ] || fail "stored bytes differ"
"$ZCP" put -q --token s3cret "$SCRATCH/f.bin" "${URL}in/" || fail "put into a directory URL"
[ -f "$SCRATCH/root/in/f.bin" ] || fail "directory URL did not use the file name"
"$ZCP" put --token s3cret --json "$SCRATCH/f.bin" "${URL}in/f.bin" >"$SCRATCH/j" || fail "second put"
grep -q '"status":204' "$SCRATCH/j" || fail "replacing put not 204"
[ "$(curl -s -o /dev/null -w '%{http_code}' -T "$SCRATCH/f.bin" -H 'Authorization: Bearer s3cret' "${URL}in/curl.bin")" = 201 ] ||
  fail "curl -T not 201"
cmp "$SCRATCH/root/in/curl.bin" "$SCRATCH/f.bin" || fail "curl upload differs"

expect_exit 22 "$ZCP" put --token wrong "$SCRATCH/f.bin" "${URL}in/x.bin"
expect_stderr "401"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer s3cret' -H 'Transfer-Encoding: chunked' -d x "${URL}in/y")" = 411 ] ||
  fail "chunked PUT not 411"
truncate -s 200M "$SCRATCH/huge.bin"
expect_exit 22 "$ZCP" put --token s3cret "$SCRATCH/huge.bin" "${URL}in/huge.bin"
expect_stderr "413"
[ "$(raw_http "$ADDR" 'PUT /../evil HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer s3cret\r\nContent-Length: 1\r\n\r\nx' | head -1 | tr -d '\r')" = "HTTP/1.1 403 Forbidden" ] ||
  fail "traversal PUT not 403"
[ ! -e "$SCRATCH/evil" ] || fail "traversal wrote outside the root"
# A missing directory is created beneath the root (issue 11).
[ "$(curl -s -o /dev/null -w '%{http_code}' -T "$SCRATCH/f.bin" -H 'Authorization: Bearer s3cret' "${URL}nodir/x")" = 201 ] ||
  fail "PUT into a missing directory not 201"
cmp "$SCRATCH/root/nodir/x" "$SCRATCH/f.bin" || fail "PUT into a new directory differs"

# Killed mid-upload: a client that sends half the body and dies.
$PY - "$ADDR" <<'PYEOF'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"PUT /in/killed.bin HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer s3cret\r\nContent-Length: 10000000\r\n\r\n")
s.sendall(b"x" * 3000000)
s.close()
PYEOF
sleep 0.5
[ ! -e "$SCRATCH/root/in/killed.bin" ] || fail "a half upload appeared under the target name"
ls -A "$SCRATCH/root/in" | grep -q '^\.zcp-upload' && fail "temporary file left"

# Without --upload: 405.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server "$SCRATCH/root"
expect_exit 22 "$ZCP" put "$SCRATCH/f.bin" "${URL}in/z.bin"
expect_stderr "405"
echo ok

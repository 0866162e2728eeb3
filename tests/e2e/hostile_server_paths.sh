#!/usr/bin/env bash
# Paths the file system cannot hold and paths that run through a file:
# a segment beyond NAME_MAX or a path beyond PATH_MAX is 414, never 500; a
# slash (or more) after a regular file's name is 404, never the file; a PUT
# to a name too long is refused from its head alone (instead of 100
# Continue, or right after the head) and nothing is written; the
# Authorization scheme compares case-insensitively, the token exactly.
source "$(dirname "$0")/../support/e2e.sh"
TOKEN=Tok-3x4mple
mkdir -p "$SCRATCH/root/sub"
echo "hello" >"$SCRATCH/root/a.bin"
start_server "$SCRATCH/root" --upload --token "$TOKEN"
keep_going
H='Host: x\r\nConnection: close\r\n'
AUTH="Authorization: Bearer $TOKEN\r\n"
status_of() { local got; got=$(probe "$ADDR" "$1"); echo "${got%% *}"; }
want() {  # WANT REQUEST WHAT
  local got
  got=$(status_of "$2")
  [ "$got" = "$1" ] || fail "$3: want $1, got $got"
}
n256=$(printf 'n%.0s' $(seq 256))
n255=${n256:1}
deep=$(printf '/dd%.0s' $(seq 1400))  # 4200 bytes: beyond PATH_MAX, under the 8 KiB target limit

# Too long for the file system: 414 (not 500).
want 414 "GET /$n256 HTTP/1.1\r\n$H\r\n" "GET of a 256-byte name"
want 414 "GET /sub/$n256/x HTTP/1.1\r\n$H\r\n" "GET through a 256-byte directory name"
want 414 "GET $deep HTTP/1.1\r\n$H\r\n" "GET of a 4200-byte path"
want 414 "HEAD /$n256 HTTP/1.1\r\n$H\r\n" "HEAD of a 256-byte name"
want 404 "GET /$n255 HTTP/1.1\r\n$H\r\n" "GET of a missing 255-byte name"

# A path that continues after a regular file.
want 404 "GET /a.bin/ HTTP/1.1\r\n$H\r\n" "GET /a.bin/"
want 404 "GET /a.bin/?format=tar HTTP/1.1\r\n$H\r\n" "GET /a.bin/?format=tar"
want 404 "HEAD /a.bin/ HTTP/1.1\r\n$H\r\n" "HEAD /a.bin/"
want 404 "GET /a.bin// HTTP/1.1\r\n$H\r\n" "GET /a.bin//"
want 404 "GET /a.bin/. HTTP/1.1\r\n$H\r\n" "GET /a.bin/."
want 404 "GET /a.bin/x HTTP/1.1\r\n$H\r\n" "GET /a.bin/x"
want 200 "GET /a.bin HTTP/1.1\r\n$H\r\n" "GET /a.bin itself"

# PUT of a name too long: refused instead of 100 Continue ...
got=$(probe "$ADDR" "PUT /$n256 HTTP/1.1\r\n$H${AUTH}Content-Length: 5\r\nExpect: 100-continue\r\n\r\n" \
  --wait-before-body 2 'hello')
[ "$got" != "${got#414 }" ] && [ "${got##* }" = 1 ] ||
  fail "PUT of a 256-byte name with Expect: want 414 before the body (EARLY=1), got '$got'"
# ... or right after the head, without it.
got=$(probe "$ADDR" "PUT /sub/$n256 HTTP/1.1\r\n$H${AUTH}Content-Length: 5\r\n\r\n" --wait-before-body 2 'hello')
[ "$got" != "${got#414 }" ] && [ "${got##* }" = 1 ] ||
  fail "PUT of a 256-byte name: want 414 right after the head, got '$got'"
got=$(probe "$ADDR" "PUT $deep HTTP/1.1\r\n$H${AUTH}Content-Length: 5\r\n\r\n" --wait-before-body 2 'hello')
[ "$got" != "${got#414 }" ] || fail "PUT of a 4200-byte path: want 414, got '$got'"
want 201 "PUT /$n255 HTTP/1.1\r\n$H${AUTH}Content-Length: 5\r\n\r\nhello" "PUT of a 255-byte name"
[ "$(cat "$SCRATCH/root/$n255" 2>/dev/null)" = hello ] || fail "255-byte name not stored"
want 409 "PUT /a.bin/x HTTP/1.1\r\n$H${AUTH}Content-Length: 5\r\n\r\nhello" "PUT beneath a regular file"
[ "$(cat "$SCRATCH/root/a.bin")" = hello ] || fail "a.bin changed"
[ -z "$(find "$SCRATCH/root" -name '.zcp-upload*')" ] || fail "temporary files left"

# The scheme is case-insensitive (RFC 9110 section 11.1), the token is not.
want 201 "PUT /auth1.txt HTTP/1.1\r\n${H}Authorization: bearer $TOKEN\r\nContent-Length: 2\r\n\r\nok" "lowercase scheme"
want 201 "PUT /auth2.txt HTTP/1.1\r\n${H}Authorization: BEARER $TOKEN\r\nContent-Length: 2\r\n\r\nok" "uppercase scheme"
want 401 "PUT /auth3.txt HTTP/1.1\r\n${H}Authorization: bearer ${TOKEN,,}\r\nContent-Length: 2\r\n\r\nok" "token in another case"
want 401 "PUT /auth4.txt HTTP/1.1\r\n${H}Authorization: Basic $TOKEN\r\nContent-Length: 2\r\n\r\nok" "another scheme"
[ ! -e "$SCRATCH/root/auth3.txt" ] && [ ! -e "$SCRATCH/root/auth4.txt" ] || fail "a refused PUT was stored"
kill -0 "$SERVER_PID" || fail "server died"
finish_cases

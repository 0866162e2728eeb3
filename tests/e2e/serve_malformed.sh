#!/usr/bin/env bash
# Malformed and hostile request heads get the right 4xx/5xx and a close,
# and the server keeps serving.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
echo ok >"$SCRATCH/root/f.txt"
start_server "$SCRATCH/root"

expect_status() {  # WANT REQUEST
  local line
  line=$(raw_http "$ADDR" "$2" | head -1 | tr -d '\r')
  case "$line" in "HTTP/1.1 $1"*) ;; *) fail "want $1 for $(printf %q "$2" | head -c 80), got '$line'" ;; esac
}
long=$(head -c 20000 /dev/zero | tr '\0' a)
expect_status 414 "GET /$long HTTP/1.1\r\nHost: x\r\n\r\n"
expect_status 431 "GET / HTTP/1.1\r\nX-Big: $long\r\n\r\n"
expect_status 400 "GET / HTTP/1.1\r\nno colon\r\n\r\n"
expect_status 400 "\x01\x02\x03 garbage\r\n\r\n"
expect_status 505 "GET / HTTP/2.0\r\nHost: x\r\n\r\n"
expect_status 400 "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
expect_status 400 "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
expect_status 501 "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
expect_status 405 "PUT /f.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"
raw_http "$ADDR" "GET / HTTP/1.1\r\nno colon\r\n\r\n" | grep -qi '^connection: close' || fail "400 without close"
curl -sf "${URL}f.txt" | grep -q ok || fail "server unwell after hostile input"
echo ok

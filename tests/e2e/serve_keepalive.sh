#!/usr/bin/env bash
# Keep-alive and pipelining: curl reuses one connection for several URLs;
# two pipelined requests get two responses in order; Connection: close and
# HTTP/1.0 clients are honoured.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
echo first >"$SCRATCH/root/a.txt"
echo second >"$SCRATCH/root/b.txt"
start_server "$SCRATCH/root"

curl -sv -o /dev/null -o /dev/null "${URL}a.txt" "${URL}b.txt" 2>"$SCRATCH/v" || fail "curl failed"
grep -qi 're-using existing connection\|reusing existing connection' "$SCRATCH/v" ||
  fail "connection not reused: $(grep -i connect "$SCRATCH/v")"

raw_http "$ADDR" 'GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$SCRATCH/raw" || true
[ "$(grep -c '^HTTP/1.1 200' "$SCRATCH/raw")" = 2 ] || fail "pipelined: $(cat "$SCRATCH/raw")"
grep -n 'first\|second' "$SCRATCH/raw" | tr '\n' ' ' | grep -q 'first.*second' || fail "responses out of order"
grep -qi '^connection: close' "$SCRATCH/raw" || fail "Connection: close not echoed"

# HTTP/1.0 without keep-alive: the server closes after the response.
raw_http "$ADDR" 'GET /a.txt HTTP/1.0\r\n\r\n' >"$SCRATCH/raw10" || fail "HTTP/1.0 request failed"
grep -q '^HTTP/1.0 200' "$SCRATCH/raw10" || fail "HTTP/1.0 answer: $(head -1 "$SCRATCH/raw10")"
curl -s -0 "${URL}b.txt" | grep -q second || fail "curl -0 failed"
echo ok

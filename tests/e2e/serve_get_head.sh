#!/usr/bin/env bash
# GET returns the exact bytes with the right headers; HEAD the same headers
# and no body; missing files 404, other methods 405 with Allow.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
make_tree "$SCRATCH/root"
start_server "$SCRATCH/root"

curl -sf -o "$SCRATCH/got.bin" "${URL}big.bin" || fail "GET failed"
cmp "$SCRATCH/got.bin" "$SCRATCH/root/big.bin" || fail "GET bytes differ"
curl -sf -o "$SCRATCH/got.txt" "${URL}a%20file%20with%20spaces.txt" || fail "GET with spaces failed"
cmp "$SCRATCH/got.txt" "$SCRATCH/root/a file with spaces.txt" || fail "bytes differ"
curl -sf -o "$SCRATCH/got.txt" "${URL}na%C3%AFve%20%C3%BC/stra%C3%9Fe.txt" || fail "non-ASCII path failed"
cmp "$SCRATCH/got.txt" "$SCRATCH/root/naïve ü/straße.txt" || fail "non-ASCII bytes differ"
[ "$(http_status "${URL}empty.txt")" = 200 ] || fail "empty file not 200"

curl -sI "${URL}big.bin" >"$SCRATCH/head" || fail "HEAD failed"
grep -qi '^content-length: 1048583' "$SCRATCH/head" || fail "HEAD content-length: $(cat "$SCRATCH/head")"
grep -qi '^etag: "' "$SCRATCH/head" || fail "no ETag"
grep -qi '^last-modified: ' "$SCRATCH/head" || fail "no Last-Modified"
grep -qi '^accept-ranges: bytes' "$SCRATCH/head" || fail "no Accept-Ranges"
grep -qi '^content-type: application/octet-stream' "$SCRATCH/head" || fail "bad type for .bin"
curl -sI "${URL}sub/hello.txt" | grep -qi '^content-type: text/plain' || fail "bad type for .txt"
# HEAD sends no body: the next request on the same connection must parse.
raw_http "$ADDR" 'HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /sub/hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$SCRATCH/raw" || true
[ "$(grep -c '^HTTP/1.1 200' "$SCRATCH/raw")" = 2 ] || fail "HEAD then GET: $(head -c 500 "$SCRATCH/raw")"
tail -c 6 "$SCRATCH/raw" | grep -q hello || fail "GET after HEAD lost its body"

[ "$(http_status "${URL}no-such-file")" = 404 ] || fail "missing file not 404"
[ "$(http_status -X POST "${URL}big.bin")" = 405 ] || fail "POST not 405"
curl -s -D - -o /dev/null -X DELETE "${URL}big.bin" | grep -qi '^allow: GET, HEAD' || fail "405 without Allow"
[ "$(http_status "${URL}sub")" = 301 ] || fail "directory without slash not 301"
curl -s -D - -o /dev/null "${URL}sub" | grep -qi '^location: /sub/' || fail "bad redirect"
grep -q '"GET /big.bin HTTP/1.1" 200 1048583' "$SCRATCH/server.log" || fail "no access log line: $(cat "$SCRATCH/server.log")"
echo ok

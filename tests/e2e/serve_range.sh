#!/usr/bin/env bash
# Range requests: 206 with Content-Range for a-b, a- and -n; 416 with
# bytes */size when unsatisfiable; several ranges get the whole file (200);
# If-Range decides whether the range still applies.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
head -c 100000 /dev/urandom >"$SCRATCH/root/f.bin"
start_server "$SCRATCH/root"
F="$SCRATCH/root/f.bin"

check_range() {  # RANGE FIRST COUNT
  curl -s -D "$SCRATCH/h" -o "$SCRATCH/part" -H "Range: $1" "${URL}f.bin"
  grep -q '^HTTP/1.1 206' "$SCRATCH/h" || fail "$1: not 206: $(head -1 "$SCRATCH/h")"
  grep -qi "^content-range: bytes $2-$(($2 + $3 - 1))/100000" "$SCRATCH/h" || fail "$1: bad Content-Range"
  cmp "$SCRATCH/part" <(tail -c +$(($2 + 1)) "$F" | head -c "$3") || fail "$1: wrong bytes"
}
check_range "bytes=0-0" 0 1
check_range "bytes=10-8191" 10 8182
check_range "bytes=99990-" 99990 10
check_range "bytes=-500" 99500 500
check_range "bytes=99000-200000" 99000 1000

curl -s -D "$SCRATCH/h" -o /dev/null -H "Range: bytes=100000-" "${URL}f.bin"
grep -q '^HTTP/1.1 416' "$SCRATCH/h" || fail "past the end not 416"
grep -qi '^content-range: bytes \*/100000' "$SCRATCH/h" || fail "416 without Content-Range */size"

curl -s -D "$SCRATCH/h" -o "$SCRATCH/all" -H "Range: bytes=0-9,20-29" "${URL}f.bin"
grep -q '^HTTP/1.1 200' "$SCRATCH/h" || fail "multi-range not answered with 200"
cmp "$SCRATCH/all" "$F" || fail "multi-range 200 body differs"

ETAG=$(curl -sI "${URL}f.bin" | sed -n 's/^[Ee][Tt]ag: \(.*\)\r$/\1/p')
[ -n "$ETAG" ] || fail "no ETag"
[ "$(http_status -H "Range: bytes=0-9" -H "If-Range: $ETAG" "${URL}f.bin")" = 206 ] || fail "If-Range match not 206"
[ "$(http_status -H "Range: bytes=0-9" -H 'If-Range: "stale"' "${URL}f.bin")" = 200 ] || fail "If-Range mismatch not 200"
# Garbage ranges are ignored (RFC 9110), never a crash.
for r in "bytes=5-1" "bytes=abc" "bytes=99999999999999999999999-" "items=0-1" "bytes=-"; do
  [ "$(http_status -H "Range: $r" "${URL}f.bin")" = 200 ] || fail "bad range '$r' not ignored"
done
kill -0 "$SERVER_PID" || fail "server died"
echo ok

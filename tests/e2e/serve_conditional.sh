#!/usr/bin/env bash
# Validators: If-None-Match and If-Modified-Since give 304 with no body
# while the file is unchanged, 200 once it changes.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
echo one >"$SCRATCH/root/f.txt"
touch -d '2020-01-02 03:04:05 UTC' "$SCRATCH/root/f.txt"
start_server "$SCRATCH/root"

curl -sI "${URL}f.txt" >"$SCRATCH/h"
ETAG=$(sed -n 's/^[Ee][Tt]ag: \(.*\)\r$/\1/p' "$SCRATCH/h")
LM=$(sed -n 's/^[Ll]ast-[Mm]odified: \(.*\)\r$/\1/p' "$SCRATCH/h")
[ "$LM" = "Thu, 02 Jan 2020 03:04:05 GMT" ] || fail "Last-Modified is '$LM'"
curl -s -D "$SCRATCH/h" -o "$SCRATCH/body" -H "If-None-Match: $ETAG" "${URL}f.txt"
grep -q '^HTTP/1.1 304' "$SCRATCH/h" || fail "If-None-Match not 304"
[ ! -s "$SCRATCH/body" ] || fail "304 with a body"
[ "$(http_status -H "If-None-Match: \"x\", $ETAG" "${URL}f.txt")" = 304 ] || fail "list not matched"
[ "$(http_status -H 'If-None-Match: *' "${URL}f.txt")" = 304 ] || fail "* not matched"
[ "$(http_status -H "If-Modified-Since: $LM" "${URL}f.txt")" = 304 ] || fail "If-Modified-Since not 304"
[ "$(http_status -H "If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT" "${URL}f.txt")" = 200 ] ||
  fail "older If-Modified-Since not 200"
echo two >"$SCRATCH/root/f.txt"
sleep 0.15  # the open-file cache may trust what it saw for 100 ms (file_cache.h)
[ "$(http_status -H "If-None-Match: $ETAG" "${URL}f.txt")" = 200 ] || fail "changed file still 304"
echo ok

#!/usr/bin/env bash
# A file that shrinks while being sent: the connection is closed (the client
# sees a short body and fails), the worker goes on serving.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
head -c $((32 << 20)) /dev/urandom >"$SCRATCH/root/f.bin"
start_server --workers 1 "$SCRATCH/root"
curl -s --limit-rate 4M -o "$SCRATCH/got" "${URL}f.bin" &
CURL=$!
sleep 0.5
truncate -s $((1 << 20)) "$SCRATCH/root/f.bin"
wait "$CURL" && fail "curl accepted a short body"
[ "$(stat -c %s "$SCRATCH/got")" -lt $((32 << 20)) ] || fail "short body not short"
grep -q 'file shrank' "$SCRATCH/server.log" || fail "no log line: $(cat "$SCRATCH/server.log")"
curl -sf -o /dev/null "${URL}f.bin" || fail "worker not serving after the short file"
echo ok

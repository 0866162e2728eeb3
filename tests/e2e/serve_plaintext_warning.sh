#!/usr/bin/env bash
# --token or --upload on an address other than loopback, without TLS,
# prints a warning naming the risk; with TLS, or on loopback, it does not.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root"
start_server --listen 0.0.0.0:0 --upload --token s3cret "$SCRATCH/root"
grep -q "warning: no TLS on .*--token .*clear text" "$SCRATCH/server.log" ||
  fail "no clear-text warning: $(cat "$SCRATCH/server.log")"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server --listen 0.0.0.0:0 --upload "$SCRATCH/root"
grep -q "warning: no TLS on .*uploaded byte.*clear text" "$SCRATCH/server.log" ||
  fail "no clear-text warning for --upload: $(cat "$SCRATCH/server.log")"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server --listen 0.0.0.0:0 --upload --token s3cret --tls-self-signed "$SCRATCH/root"
! grep -q "warning: no TLS" "$SCRATCH/server.log" || fail "warned although TLS is on"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server --upload --token s3cret "$SCRATCH/root"
! grep -q "warning: no TLS" "$SCRATCH/server.log" || fail "warned on loopback"
echo ok

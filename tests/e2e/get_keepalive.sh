#!/usr/bin/env bash
# Several URLs in one command reuse one keep-alive connection: the server's
# access log shows the same client address and port for all of them.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root" "$SCRATCH/dl"
for i in 1 2 3; do head -c $((i * 100000)) /dev/urandom >"$SCRATCH/root/f$i.bin"; done
start_server "$SCRATCH/root"
"$ZCP" get -q "${URL}f1.bin" "${URL}f2.bin" "${URL}f3.bin" -o "$SCRATCH/dl" || fail "get of 3 URLs"
for i in 1 2 3; do cmp "$SCRATCH/dl/f$i.bin" "$SCRATCH/root/f$i.bin" || fail "f$i differs"; done
# One client port (the access log's "port=N" field) for all three.
peers=$(grep '"GET /f' "$SCRATCH/server.log" | grep -o 'port=[0-9]*' | sort -u | wc -l)
[ "$peers" = 1 ] || fail "3 URLs used $peers connections: $(cat "$SCRATCH/server.log")"
echo ok

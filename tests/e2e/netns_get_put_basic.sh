#!/usr/bin/env bash
# The two-host bed works: zcp get and zcp put between namespaces a
# (10.77.0.1, the server) and b (10.77.0.2) move exact bytes, and the
# server sees the client at b's address, not over loopback.
source "$(dirname "$0")/../support/netns.sh"
netns_setup 2
mkdir -p "$SCRATCH/root/in" "$SCRATCH/dl"
head -c $((24 << 20)) /dev/urandom >"$SCRATCH/root/f.bin"
head -c $((24 << 20)) /dev/urandom >"$SCRATCH/up.bin"
netns_start_server a --upload "$SCRATCH/root"
[ "$URL" = "http://10.77.0.1:8080/" ] || fail "server URL is $URL"

netns_exec b "$ZCP" get -q "${URL}f.bin" "$SCRATCH/dl/f.bin" || fail "get from b"
[ "$(sha "$SCRATCH/dl/f.bin")" = "$(sha "$SCRATCH/root/f.bin")" ] || fail "downloaded sha256 differs"
netns_exec b "$ZCP" put -q "$SCRATCH/up.bin" "${URL}in/up.bin" || fail "put from b"
[ "$(sha "$SCRATCH/root/in/up.bin")" = "$(sha "$SCRATCH/up.bin")" ] || fail "uploaded sha256 differs"

grep -q '^10\.77\.0\.2 - - \[[^]]*\] "GET /f.bin[^"]*" 20[06] ' "$SCRATCH/server.log" || fail "GET not from b: $(cat "$SCRATCH/server.log")"
grep -q '^10\.77\.0\.2 - - \[[^]]*\] "PUT /in/up.bin[^"]*" 201 ' "$SCRATCH/server.log" || fail "PUT not from b: $(cat "$SCRATCH/server.log")"
# Only the bed's hosts know the address: b's loopback has no server.
expect_exit 7 netns_exec b "$ZCP" get -q "http://127.0.0.1:8080/f.bin" "$SCRATCH/dl/lo.bin"
echo ok

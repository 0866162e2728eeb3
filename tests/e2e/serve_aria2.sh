#!/usr/bin/env bash
# aria2c -x4 -s4 downloads one file over 4 connections with Range requests.
source "$(dirname "$0")/../support/e2e.sh"
command -v aria2c >/dev/null || skip "aria2c not installed"
mkdir "$SCRATCH/root" "$SCRATCH/dl"
head -c $((24 << 20)) /dev/urandom >"$SCRATCH/root/big.bin"
start_server "$SCRATCH/root"
aria2c -q -x4 -s4 -k1M --allow-overwrite=true -d "$SCRATCH/dl" "${URL}big.bin" || fail "aria2c failed"
cmp "$SCRATCH/dl/big.bin" "$SCRATCH/root/big.bin" || fail "aria2c copy differs"
[ "$(grep -c '" 206 ' "$SCRATCH/server.log")" -ge 2 ] || fail "aria2c did not use ranges: $(cat "$SCRATCH/server.log")"
echo ok

#!/usr/bin/env bash
# --raw FILE: the experiment's server. Every connection gets the whole file
# and a close, so plain `nc host port > f` is a client, and zcp bench's
# client side too.
source "$(dirname "$0")/../support/e2e.sh"
head -c 3000001 /dev/urandom >"$SCRATCH/f.bin"
start_server --raw "$SCRATCH/f.bin"
for i in 1 2 3; do
  timeout 10 nc -d ${URL/:/ } >"$SCRATCH/out$i" || fail "nc $i failed"
  cmp "$SCRATCH/out$i" "$SCRATCH/f.bin" || fail "raw copy $i differs"
done
echo ok

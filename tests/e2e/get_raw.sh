#!/usr/bin/env bash
# --raw HOST:PORT: the experiment's client, paired with zcp serve --raw.
source "$(dirname "$0")/../support/e2e.sh"
head -c 7000001 /dev/urandom >"$SCRATCH/f.bin"
start_server --raw "$SCRATCH/f.bin"
"$ZCP" get -q --raw "$URL" "$SCRATCH/out.bin" || fail "get --raw"
cmp "$SCRATCH/out.bin" "$SCRATCH/f.bin" || fail "raw copy differs"
expect_exit 2 "$ZCP" get --raw "$URL"
echo ok

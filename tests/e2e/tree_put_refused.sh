#!/usr/bin/env bash
# zcp put -r to a target the server refuses (403 for a directory that is a
# symlink out of the root): the refusal and its words come at once, not
# after the 30 s default --timeout (the body that came with the head was
# waited for on the socket), and nothing is stored.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root" "$SCRATCH/outside" "$SCRATCH/src"
echo q >"$SCRATCH/src/q"
ln -s "$SCRATCH/outside" "$SCRATCH/root/lnk"
start_server --upload "$SCRATCH/root"
start=$(date +%s%N)
expect_exit 22 "$ZCP" put -r "$SCRATCH/src" "${URL}lnk/"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 5000 ] || fail "the refusal took $ms ms"
expect_stderr "server answered 403 Forbidden"
[ -z "$(ls -A "$SCRATCH/outside")" ] || fail "something was stored outside the root"
echo ok

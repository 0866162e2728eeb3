#!/usr/bin/env bash
# A full disk: PUT answers 507 and leaves nothing under the target name;
# zcp get exits 23 naming the path, keeps DEST.part, and the server goes on.
source "$(dirname "$0")/../support/e2e.sh"
[ "$(id -u)" = 0 ] || skip "mounting a small tmpfs needs root"
mkdir -p "$SCRATCH/root/small" "$SCRATCH/dlfs"
mount -t tmpfs -o size=4m zcp-e2e "$SCRATCH/root/small" || skip "cannot mount tmpfs"
on_exit "umount -l '$SCRATCH/root/small'"
mount -t tmpfs -o size=4m zcp-e2e "$SCRATCH/dlfs" || skip "cannot mount tmpfs"
on_exit "umount -l '$SCRATCH/dlfs'"
head -c $((8 << 20)) /dev/urandom >"$SCRATCH/root/big.bin"
start_server --upload "$SCRATCH/root"

expect_exit 22 "$ZCP" put "$SCRATCH/root/big.bin" "${URL}small/big.bin"
expect_stderr "507"
[ ! -e "$SCRATCH/root/small/big.bin" ] || fail "a partial upload appeared"
[ -z "$(ls -A "$SCRATCH/root/small")" ] || fail "upload left files: $(ls -A "$SCRATCH/root/small")"

expect_exit 23 "$ZCP" get -q "${URL}big.bin" "$SCRATCH/dlfs/big.bin"
expect_stderr "No space left on device"
expect_stderr "$SCRATCH/dlfs/big.bin"
[ ! -e "$SCRATCH/dlfs/big.bin" ] || fail "a partial download got the final name"
[ -e "$SCRATCH/dlfs/big.bin.part" ] || fail ".part not kept"
curl -sf -o /dev/null "${URL}big.bin" || fail "server unwell after a full disk"
echo ok

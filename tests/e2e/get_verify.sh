#!/usr/bin/env bash
# Integrity: zcp serve --digest sends Repr-Digest (sha-256); zcp get --verify
# checks what landed. A file corrupted on the server after its digest was
# cached (same size, inode and mtime) makes --verify fail with exit 30 and
# keep DEST.part, never the final name.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root" "$SCRATCH/dl"
head -c $((8 << 20)) /dev/urandom >"$SCRATCH/root/f.bin"
start_server --digest startup "$SCRATCH/root"
want=$($PY -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1], "rb").read()).digest()).decode())' "$SCRATCH/root/f.bin")
curl -sI "${URL}f.bin" | grep -qi "^repr-digest: sha-256=:$want:" || fail "no or wrong Repr-Digest"
"$ZCP" get --verify "${URL}f.bin" "$SCRATCH/dl/ok.bin" 2>"$SCRATCH/err" || fail "verify failed on a good file"
grep -q "verified" "$SCRATCH/err" || fail "no verification in the summary"

mtime=$(stat -c %y "$SCRATCH/root/f.bin")
printf 'CORRUPT' | dd of="$SCRATCH/root/f.bin" bs=1 seek=1000 conv=notrunc status=none
touch -d "$mtime" "$SCRATCH/root/f.bin"
expect_exit 30 "$ZCP" get --verify "${URL}f.bin" "$SCRATCH/dl/bad.bin"
expect_stderr "sha-256 mismatch"
[ ! -e "$SCRATCH/dl/bad.bin" ] || fail "a corrupt file got the final name"
[ -e "$SCRATCH/dl/bad.bin.part" ] || fail ".part not kept"
"$ZCP" get -q "${URL}f.bin" "$SCRATCH/dl/unchecked.bin" || fail "get without --verify"
echo ok

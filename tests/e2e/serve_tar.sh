#!/usr/bin/env bash
# ?format=tar streams a whole tree; GNU tar extracts exactly the original:
# long names, empty files and dirs, spaces, non-ASCII names, modes.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root" "$SCRATCH/out" "$SCRATCH/out10"
make_tree "$SCRATCH/root"
echo secret >"$SCRATCH/root/.hidden"
start_server "$SCRATCH/root"

curl -sf "${URL}?format=tar" -o "$SCRATCH/t.tar" || fail "tar download failed"
tar -xf "$SCRATCH/t.tar" -C "$SCRATCH/out" || fail "GNU tar rejected the stream"
rm "$SCRATCH/root/.hidden"  # dotfiles are not served by default
diff -r "$SCRATCH/root" "$SCRATCH/out" || fail "extracted tree differs"
[ -d "$SCRATCH/out/empty dir" ] || fail "empty dir lost"
[ "$(stat -c %a "$SCRATCH/out/sub/hello.txt")" = 600 ] || fail "mode 0600 lost"
[ "$(stat -c %a "$SCRATCH/out/sub/deeper/odd-size.dat")" = 755 ] || fail "mode 0755 lost"
[ "$(stat -c %Y "$SCRATCH/out/big.bin")" = "$(stat -c %Y "$SCRATCH/root/big.bin")" ] || fail "mtime lost"
tar -tf "$SCRATCH/t.tar" | grep -q '^\.hidden\|/\.hidden' && fail "dotfile in tar"

# A subdirectory, piped straight into tar, and an HTTP/1.0 (close-delimited) stream.
curl -sf "${URL}sub/?format=tar" | tar -xf - -C "$SCRATCH/out10" || fail "piped subdir tar failed"
diff -r "$SCRATCH/root/sub" "$SCRATCH/out10" || fail "subdir tree differs"
rm -rf "$SCRATCH/out10"/*
curl -sf -0 "${URL}?format=tar" | tar -xf - -C "$SCRATCH/out10" || fail "HTTP/1.0 tar failed"
diff -r "$SCRATCH/root" "$SCRATCH/out10" || fail "HTTP/1.0 tree differs"
echo ok

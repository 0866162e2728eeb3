#!/usr/bin/env bash
# -r fetches a whole tree from zcp serve as one tar stream and extracts it
# with file bodies spliced to disk: identical tree, empty dirs, odd names.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/tree" "$SCRATCH/dl"
make_tree "$SCRATCH/root/tree"
start_server "$SCRATCH/root"
(cd "$SCRATCH/dl" && "$ZCP" get -q -r "${URL}tree/") || fail "get -r"
diff -r "$SCRATCH/root/tree" "$SCRATCH/dl/tree" || fail "tree differs"
[ -d "$SCRATCH/dl/tree/empty dir" ] || fail "empty dir lost"
[ "$(stat -c %a "$SCRATCH/dl/tree/sub/hello.txt")" = 600 ] || fail "mode lost"
[ "$(stat -c %Y "$SCRATCH/dl/tree/big.bin")" = "$(stat -c %Y "$SCRATCH/root/tree/big.bin")" ] || fail "mtime lost"
"$ZCP" get -q -r "${URL}tree" "$SCRATCH/dl/other" || fail "get -r with DEST and no slash"
diff -r "$SCRATCH/root/tree" "$SCRATCH/dl/other" || fail "tree with DEST differs"
find "$SCRATCH/dl" -name '*.part' | grep -q . && fail ".part files left"
echo ok

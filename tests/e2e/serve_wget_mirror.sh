#!/usr/bin/env bash
# wget -r follows the HTML listings and mirrors the tree byte for byte.
source "$(dirname "$0")/../support/e2e.sh"
command -v wget >/dev/null || skip "wget not installed"
mkdir "$SCRATCH/root" "$SCRATCH/mirror"
make_tree "$SCRATCH/root"
start_server "$SCRATCH/root"
(cd "$SCRATCH/mirror" && wget -q -r -np -nH -R 'index.html*' --restrict-file-names=nocontrol "$URL") ||
  fail "wget -r failed"
# wget cannot see empty directories (nothing links from them) and keeps
# listing pages only when asked; compare files, then directories with files.
diff -r -x 'empty dir' "$SCRATCH/root" "$SCRATCH/mirror" || fail "wget mirror differs"
# The page's other views (tar, JSON, sorted) are forms, not links: a mirror
# must not fetch a tar of every directory on the way.
grep -E '"GET [^ ]*\?' "$SCRATCH/server.log" && fail "wget -r fetched a listing view"
echo ok

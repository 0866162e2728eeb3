#!/usr/bin/env bash
# A directory on one side that became a file on the other: without
# --delete the files only DEST has in that directory are never removed
# (rsync too refuses: "cannot delete non-empty directory"), the run says
# why, names the path and exits 23, and -n says the same; with --delete
# the file replaces the directory. Both directions: get -r (DEST is local)
# and put -r (DEST is the server's).
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/served/x" "$SCRATCH/root/up" "$SCRATCH/src/x"
echo inner >"$SCRATCH/root/served/x/inner"
start_server --upload "$SCRATCH/root"

# Pull.
"$ZCP" get -q -r "${URL}served/" "$SCRATCH/d" || fail "first pull"
echo precious >"$SCRATCH/d/x/mine.txt"
rm -r "$SCRATCH/root/served/x" && echo file >"$SCRATCH/root/served/x"
expect_exit 23 "$ZCP" get -r -n "${URL}served/" "$SCRATCH/d"
expect_stderr "not replaced without --delete"
expect_exit 23 "$ZCP" get -r "${URL}served/" "$SCRATCH/d"
expect_stderr "x: a directory with files in it here"
[ "$(cat "$SCRATCH/d/x/mine.txt")" = precious ] || fail "pull removed a file only DEST had"
expect_exit 0 "$ZCP" get -q -r --delete "${URL}served/" "$SCRATCH/d"
[ "$(cat "$SCRATCH/d/x")" = file ] || fail "--delete did not put the file in place"

# Push: the server's directory up/src/x holds a file the client never had.
echo inner >"$SCRATCH/src/x/inner"
"$ZCP" put -q -r "$SCRATCH/src" "${URL}up/" || fail "first push"
echo theirs >"$SCRATCH/root/up/src/x/theirs.txt"
rm -r "$SCRATCH/src/x" && echo file >"$SCRATCH/src/x"
expect_exit 23 "$ZCP" put -r "$SCRATCH/src" "${URL}up/"
expect_stderr "not replaced without --delete"
[ "$(cat "$SCRATCH/root/up/src/x/theirs.txt")" = theirs ] || fail "push removed a file only the server had"
expect_exit 0 "$ZCP" put -q -r --delete "$SCRATCH/src" "${URL}up/"
[ "$(cat "$SCRATCH/root/up/src/x")" = file ] || fail "push --delete did not put the file in place"

# An empty directory is no one's loss: replaced without --delete.
mkdir -p "$SCRATCH/root/served/e" && "$ZCP" get -q -r "${URL}served/" "$SCRATCH/d"
rmdir "$SCRATCH/root/served/e" && echo now-a-file >"$SCRATCH/root/served/e"
expect_exit 0 "$ZCP" get -q -r "${URL}served/" "$SCRATCH/d"
[ "$(cat "$SCRATCH/d/e")" = now-a-file ] || fail "an empty directory was not replaced"
echo ok

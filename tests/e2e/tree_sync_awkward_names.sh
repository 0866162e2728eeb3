#!/usr/bin/env bash
# get -r and put -r of the awkward tree (spaces, newlines, UTF-8, leading
# dashes, 255-byte names, empty files and directories, symlinks in and
# out of the tree): the copy has the same names, contents, modes and
# mtimes; links inside stay links, links out are left out; no .part.
source "$(dirname "$0")/../support/e2e.sh"
make_sync_tree "$SCRATCH/src"
mkdir -p "$SCRATCH/up"
start_server --upload "$SCRATCH/src"
SRC_URL=$URL
keep_going

# Pull: the first copy (one tar stream), then a re-run that moves nothing.
expect_exit 0 "$ZCP" get -r -q "$SRC_URL" "$SCRATCH/pulled"
same_tree "$SCRATCH/src" "$SCRATCH/pulled"
[ -L "$SCRATCH/pulled/link-in" ] || fail "link-in is not a link"
[ "$(readlink "$SCRATCH/pulled/link-dir")" = sub ] || fail "link-dir's target"
[ ! -e "$SCRATCH/pulled/link-out" ] && [ ! -L "$SCRATCH/pulled/link-out" ] || fail "a link out of the tree was made"
[ ! -L "$SCRATCH/pulled/sub/link-escape" ] || fail "a ../../ link was made"
expect_exit 0 "$ZCP" get -r --json "$SRC_URL" "$SCRATCH/pulled"
grep -q '"files":0' "$SCRATCH/stdout" || fail "re-run moved files: $(cat "$SCRATCH/stdout")"
grep -q '"incremental":true' "$SCRATCH/stdout" || fail "re-run not incremental: $(cat "$SCRATCH/stdout")"

# Pull into a DEST holding part of the tree: the incremental path copies the rest.
mkdir -p "$SCRATCH/partial"
cp -a "$SCRATCH/src/sub" "$SCRATCH/partial/"
expect_exit 0 "$ZCP" get -r -q "$SRC_URL" "$SCRATCH/partial"
same_tree "$SCRATCH/src" "$SCRATCH/partial"

# Push to a second server's empty root, then again: nothing to send.
stop_going
start_server --upload "$SCRATCH/up"
keep_going
expect_exit 0 "$ZCP" put -r -q "$SCRATCH/src" "$URL"
same_tree "$SCRATCH/src" "$SCRATCH/up/src"
expect_exit 0 "$ZCP" put -r --json "$SCRATCH/src" "$URL"
grep -q '"files":0' "$SCRATCH/stdout" || fail "push re-run moved files: $(cat "$SCRATCH/stdout")"
find "$SCRATCH/up" "$SCRATCH/pulled" "$SCRATCH/partial" -name '*.part' | grep -q . && fail ".part left"
finish_cases

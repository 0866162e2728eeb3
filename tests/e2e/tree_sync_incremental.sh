#!/usr/bin/env bash
# Re-runs of get -r and put -r move only what changed: a changed file, a
# file replaced by a directory and back, --delete (never outside DEST),
# --checksum catching a same-size same-mtime change, --dry-run changing
# nothing. Counts come from --json.
source "$(dirname "$0")/../support/e2e.sh"
make_sync_tree "$SCRATCH/src"
mkdir -p "$SCRATCH/up" "$SCRATCH/outside"
echo keep >"$SCRATCH/outside/precious"
start_server --upload "$SCRATCH/src"
SRC=$URL
DEST=$SCRATCH/dest
keep_going

json_has() { grep -q "\"$1\":$2[,}]" "$SCRATCH/stdout" || fail "$3: want $1=$2: $(cat "$SCRATCH/stdout")"; }
pull() { expect_exit 0 "$ZCP" get -r --json "$@" "$SRC" "$DEST"; }

pull
# One file changed (size): one file moves.
echo "changed, longer" >"$SCRATCH/src/sub/hello.txt"
pull
json_has files 1 "one changed file"
same_tree "$SCRATCH/src" "$DEST"

# A file becomes a directory, and back.
rm "$SCRATCH/src/empty.txt" && mkdir "$SCRATCH/src/empty.txt" && echo in >"$SCRATCH/src/empty.txt/inner"
pull
[ -f "$DEST/empty.txt/inner" ] || fail "file -> directory not followed"
same_tree "$SCRATCH/src" "$DEST"
# Back to a file: the directory in DEST holds a file, which only --delete
# may remove (as with rsync; tree_sync_dir_to_file.sh has the refusal).
rm -r "$SCRATCH/src/empty.txt" && echo back >"$SCRATCH/src/empty.txt"
pull --delete
[ -f "$DEST/empty.txt" ] || fail "directory -> file not followed"
same_tree "$SCRATCH/src" "$DEST"

# --dry-run: lists, changes nothing.
echo extra >"$DEST/extra.txt"
echo v3 >"$SCRATCH/src/a file with spaces.txt"
expect_exit 0 "$ZCP" get -r --dry-run --delete "$SRC" "$DEST"
grep -qx "get a file with spaces.txt" "$SCRATCH/stdout" || fail "dry run lists: $(cat "$SCRATCH/stdout")"
grep -qx "delete extra.txt" "$SCRATCH/stdout" || fail "dry run lists deletions: $(cat "$SCRATCH/stdout")"
[ -f "$DEST/extra.txt" ] || fail "dry run deleted"
grep -q v3 "$DEST/a file with spaces.txt" && fail "dry run fetched"

# --delete: extra files go; a link in DEST pointing outside goes as a link only.
ln -s "$SCRATCH/outside" "$DEST/escape"
mkdir -p "$DEST/extra-dir/deep" && echo x >"$DEST/extra-dir/deep/f"
pull --delete
json_has deleted 3 "--delete"
[ ! -e "$DEST/extra.txt" ] && [ ! -e "$DEST/extra-dir" ] && [ ! -L "$DEST/escape" ] || fail "--delete left extras"
[ -f "$SCRATCH/outside/precious" ] || fail "--delete reached outside DEST"
same_tree "$SCRATCH/src" "$DEST"

# --checksum: same size, same mtime, other bytes.
f="$SCRATCH/src/sub/deeper/odd-size.dat"
m=$(stat -c %Y "$f")
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
touch -d "@$m" "$f"
pull
json_has files 0 "quick check sees no change"
pull --checksum
json_has files 1 "--checksum"
cmp -s "$f" "$DEST/sub/deeper/odd-size.dat" || fail "--checksum did not fetch the change"

# The same, pushed.
stop_going
start_server --upload "$SCRATCH/up"
keep_going
UP=$URL
push() { expect_exit 0 "$ZCP" put -r --json "$@" "$SCRATCH/src" "$UP"; }
push
same_tree "$SCRATCH/src" "$SCRATCH/up/src"
echo "pushed change" >"$SCRATCH/src/sub/hello.txt"
push
json_has files 1 "push: one changed file"
rm "$SCRATCH/src/empty.txt" && mkdir "$SCRATCH/src/empty.txt" && echo in >"$SCRATCH/src/empty.txt/inner"
push
same_tree "$SCRATCH/src" "$SCRATCH/up/src"
rm -r "$SCRATCH/src/empty.txt" && echo back >"$SCRATCH/src/empty.txt"
push --delete
same_tree "$SCRATCH/src" "$SCRATCH/up/src"
echo extra >"$SCRATCH/up/src/extra.txt"
mkdir -p "$SCRATCH/up/src/extra-dir" && echo x >"$SCRATCH/up/src/extra-dir/f"
expect_exit 0 "$ZCP" put -r --dry-run --delete "$SCRATCH/src" "$UP"
grep -qx "delete extra.txt" "$SCRATCH/stdout" || fail "push dry run lists deletions: $(cat "$SCRATCH/stdout")"
[ -f "$SCRATCH/up/src/extra.txt" ] || fail "push dry run deleted"
push --delete
json_has deleted 2 "push --delete"
same_tree "$SCRATCH/src" "$SCRATCH/up/src"
m=$(stat -c %Y "$f")
printf 'Y' | dd of="$f" bs=1 seek=200 conv=notrunc status=none
touch -d "@$m" "$f"
push
json_has files 0 "push: quick check sees no change"
push --checksum
json_has files 1 "push --checksum"
cmp -s "$f" "$SCRATCH/up/src/sub/deeper/odd-size.dat" || fail "push --checksum did not send the change"
finish_cases

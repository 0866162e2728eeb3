#!/usr/bin/env bash
# Links on the server that point out of the tree, against put -r: the
# manifest names them ('o' with &others=1, never their targets), --delete
# removes the links themselves, a file or directory pushed to such a path
# replaces the link, and the places the links point at stay untouched.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/src/sub" "$SCRATCH/up/src/sub" "$SCRATCH/outside/dir"
echo precious >"$SCRATCH/outside/precious"
echo target >"$SCRATCH/outside/target.txt"
echo plain >"$SCRATCH/src/plain.txt"
echo mine >"$SCRATCH/src/config"             # a link out on the server at this path
mkdir -p "$SCRATCH/src/dir-link" && echo in >"$SCRATCH/src/dir-link/f"  # and at this one
ln -s "$SCRATCH/outside/precious" "$SCRATCH/up/src/passwd-link"  # the client lacks these
ln -s ../../../outside "$SCRATCH/up/src/sub/escape"
mkfifo "$SCRATCH/up/src/fifo"
ln -s "$SCRATCH/outside/target.txt" "$SCRATCH/up/src/config"
ln -s "$SCRATCH/outside/dir" "$SCRATCH/up/src/dir-link"
outside_before=$(cd "$SCRATCH/outside" && find . -printf '%p %s %T@\n' | sort | sha256sum)
start_server --upload "$SCRATCH/up"
keep_going

# The manifest names them only when asked, and never says where they lead.
curl -sf "${URL}src/?format=manifest" >"$SCRATCH/plain.m" || fail "manifest GET failed"
grep -q '^o ' "$SCRATCH/plain.m" && fail "a manifest without others=1 has 'o' lines: $(cat "$SCRATCH/plain.m")"
curl -sf "${URL}src/?format=manifest&others=1" >"$SCRATCH/others.m" || fail "manifest GET failed"
for p in passwd-link sub/escape fifo config dir-link; do
  grep -q "^o [0-9]* $p\$" "$SCRATCH/others.m" || fail "no 'o' line for $p: $(cat "$SCRATCH/others.m")"
done
grep -q outside "$SCRATCH/others.m" && fail "the manifest reveals a link's target: $(cat "$SCRATCH/others.m")"

# --dry-run lists the deletions, changes nothing.
expect_exit 0 "$ZCP" put -r --dry-run --delete "$SCRATCH/src" "$URL"
grep -qx "delete passwd-link" "$SCRATCH/stdout" || fail "dry run lacks passwd-link: $(cat "$SCRATCH/stdout")"
grep -qx "delete sub/escape" "$SCRATCH/stdout" || fail "dry run lacks sub/escape: $(cat "$SCRATCH/stdout")"
[ -L "$SCRATCH/up/src/passwd-link" ] || fail "dry run deleted"

# The push: links replaced by a file and a directory, the rest deleted.
expect_exit 0 "$ZCP" put -r --json --delete "$SCRATCH/src" "$URL"
[ ! -L "$SCRATCH/up/src/passwd-link" ] && [ ! -e "$SCRATCH/up/src/passwd-link" ] || fail "passwd-link left"
[ ! -L "$SCRATCH/up/src/sub/escape" ] || fail "sub/escape left"
[ ! -e "$SCRATCH/up/src/fifo" ] || fail "fifo left"
[ -f "$SCRATCH/up/src/config" ] && [ ! -L "$SCRATCH/up/src/config" ] || fail "config is not a file"
[ "$(cat "$SCRATCH/up/src/config")" = mine ] || fail "config holds $(cat "$SCRATCH/up/src/config")"
[ -d "$SCRATCH/up/src/dir-link" ] && [ ! -L "$SCRATCH/up/src/dir-link" ] || fail "dir-link is not a directory"
[ -f "$SCRATCH/up/src/dir-link/f" ] || fail "dir-link/f missing"
diff -r "$SCRATCH/src" "$SCRATCH/up/src" || fail "trees differ"
[ "$(cat "$SCRATCH/outside/precious")" = precious ] || fail "precious changed"
[ "$(cat "$SCRATCH/outside/target.txt")" = target ] || fail "a file was written through a link"
[ ! -e "$SCRATCH/outside/dir/f" ] || fail "a file landed through a directory link"
outside_after=$(cd "$SCRATCH/outside" && find . -printf '%p %s %T@\n' | sort | sha256sum)
[ "$outside_before" = "$outside_after" ] || fail "something outside the tree changed: $(find "$SCRATCH/outside")"
expect_exit 0 "$ZCP" put -r --json --delete "$SCRATCH/src" "$URL"
grep -q '"files":0' "$SCRATCH/stdout" || fail "re-run moved files: $(cat "$SCRATCH/stdout")"
grep -q '"deleted":0' "$SCRATCH/stdout" || fail "re-run deleted: $(cat "$SCRATCH/stdout")"
finish_cases

#!/usr/bin/env bash
# put -r sends dotfiles (.git, .env), as rsync -a does. A server with
# --dotfiles stores them (and --delete removes its extra ones); one without
# refuses the PUT before storing anything, and the client names the
# dotfiles and the option and exits 22 (--no-dotfiles leaves them out,
# and the server's alone with --delete). A plain tar with a dotfile (curl)
# to such a server is refused at that member (403), never dropped silently.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/src/.git/objects" "$SCRATCH/src/sub" "$SCRATCH/on" "$SCRATCH/off"
echo secret=1 >"$SCRATCH/src/.env"
echo ref >"$SCRATCH/src/.git/HEAD"
echo obj >"$SCRATCH/src/.git/objects/ab"
echo hidden >"$SCRATCH/src/sub/.hidden"
echo plain >"$SCRATCH/src/plain.txt"
json_has() { grep -q "\"$1\":$2[,}]" "$SCRATCH/stdout" || fail "$3: want $1=$2: $(cat "$SCRATCH/stdout")"; }
keep_going

# --- zcp serve --dotfiles: stored, re-run sends nothing, --delete removes.
start_server --upload --dotfiles "$SCRATCH/on"
expect_exit 0 "$ZCP" put -r --json "$SCRATCH/src" "$URL"
diff -r "$SCRATCH/src" "$SCRATCH/on/src" || fail "the dotfiles did not all arrive"
expect_exit 0 "$ZCP" put -r --json "$SCRATCH/src" "$URL"
json_has files 0 "re-run with dotfiles"
echo stale >"$SCRATCH/on/src/.stale"
echo changed >"$SCRATCH/src/.env"
expect_exit 0 "$ZCP" put -r --json --delete "$SCRATCH/src" "$URL"
json_has files 1 "a changed .env"
json_has deleted 1 "--delete of the server's extra dotfile"
[ ! -e "$SCRATCH/on/src/.stale" ] || fail "--delete left .stale"
diff -r "$SCRATCH/src" "$SCRATCH/on/src" || fail "trees differ after --delete"
# --no-dotfiles --delete: ours stay home, the server's stay put.
echo more >"$SCRATCH/src/more.txt"
expect_exit 0 "$ZCP" put -r --json --no-dotfiles --delete "$SCRATCH/src" "$URL"
json_has files 1 "--no-dotfiles sends the plain file only"
json_has deleted 0 "--no-dotfiles --delete"
[ -f "$SCRATCH/on/src/.env" ] && [ -f "$SCRATCH/on/src/.git/HEAD" ] || fail "--no-dotfiles --delete removed dotfiles"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

# --- zcp serve without --dotfiles: refused up front, nothing stored.
start_server --upload "$SCRATCH/off"
expect_exit 22 "$ZCP" put -r -q "$SCRATCH/src" "$URL"
expect_stderr "server refuses dotfiles (.git"
expect_stderr "start zcp serve with --dotfiles"
[ ! -e "$SCRATCH/off/src" ] || fail "a refused push stored something: $(find "$SCRATCH/off")"
# --no-dotfiles: the rest goes.
expect_exit 0 "$ZCP" put -r -q --no-dotfiles "$SCRATCH/src" "$URL"
[ -f "$SCRATCH/off/src/plain.txt" ] || fail "--no-dotfiles stored nothing"
[ -z "$(find "$SCRATCH/off/src" -name '.*')" ] || fail "dotfiles stored: $(find "$SCRATCH/off/src" -name '.*')"
rm -r "$SCRATCH/off/src"
# A tree without dotfiles still goes.
mkdir -p "$SCRATCH/clean" && echo c >"$SCRATCH/clean/c.txt"
expect_exit 0 "$ZCP" put -r -q "$SCRATCH/clean" "$URL"
[ -f "$SCRATCH/off/clean/c.txt" ] || fail "a tree without dotfiles was not stored"
# curl with a tar that carries a dotfile: 403 at that member, named.
code=$(tar c -C "$SCRATCH/src" plain.txt .env | curl -s -o "$SCRATCH/body" -w '%{http_code}' -T - \
  "${URL}tarred/?format=tar")
[ "$code" = 403 ] || fail "a tar with .env got $code, want 403: $(cat "$SCRATCH/body")"
grep -q -- "--dotfiles" "$SCRATCH/body" || fail "the 403 does not name --dotfiles: $(cat "$SCRATCH/body")"
[ ! -e "$SCRATCH/off/tarred/.env" ] || fail ".env stored by a server without --dotfiles"
finish_cases

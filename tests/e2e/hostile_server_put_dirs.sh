#!/usr/bin/env bash
# zcp serve --upload creates the missing parent directories of a PUT
# beneath the root, one component at a time: mode 0755 minus the umask,
# never through a symlink (even one pointing inside), never outside the
# root, no dot-directories without --dotfiles; a parent that is a regular
# file is 409 Conflict with a body that says so.
source "$(dirname "$0")/../support/e2e.sh"
BOX=$SCRATCH/box
mkdir -p "$BOX/root/sub" "$BOX/outside"
echo "file" >"$BOX/root/plain.txt"
ln -s ../outside "$BOX/root/out"
ln -s sub "$BOX/root/inlink"
(umask 027 && exec "$ZCP" serve --listen 127.0.0.1:0 --upload "$BOX/root" 2>>"$SCRATCH/server.log") &
SERVER_PID=$!
on_exit "{ kill -9 $SERVER_PID; wait $SERVER_PID; } 2>/dev/null"
wait_for_server
ADDR=${URL#http://}
ADDR=${ADDR%/}
keep_going
H='Host: x\r\nConnection: close\r\n'
put() {  # WANT PATH WHAT
  local got
  got=$(probe "$ADDR" "PUT $2 HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\ndata")
  [ "${got%% *}" = "$1" ] || fail "$3: PUT $2 want $1, got '$got'"
}

put 201 /new/a/b/c.txt "three missing levels"
[ "$(cat "$BOX/root/new/a/b/c.txt" 2>/dev/null)" = data ] || fail "three levels: file not stored"
mode=$(stat -c %a "$BOX/root/new/a/b" 2>/dev/null || echo none)
[ "$mode" = 750 ] || fail "new directory mode $mode, want 750 (0755 under umask 027)"
put 201 /sub/x/y.txt "below an existing directory"
[ -f "$BOX/root/sub/x/y.txt" ] || fail "sub/x/y.txt not stored"
put 204 /new/a/b/c.txt "the same path again"
put 201 "/sp%20ace/%C3%BC/f.txt" "percent-encoded components"
[ -f "$BOX/root/sp ace/ü/f.txt" ] || fail "encoded components not decoded"

# A parent that is a file: 409 and a body naming why.
got=$(PROBE_OUT=$SCRATCH/conflict probe "$ADDR" "PUT /plain.txt/x/y HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\ndata")
[ "${got%% *}" = 409 ] || fail "parent is a file: want 409, got '$got'"
grep -q "not a directory" "$SCRATCH/conflict.body" 2>/dev/null || fail "409 body: $(cat "$SCRATCH/conflict.body" 2>/dev/null)"
[ "$(cat "$BOX/root/plain.txt")" = file ] || fail "plain.txt changed"

# Never through a symlink, never outside the root.
put 403 /out/made/f.txt "through a symlink leaving the root"
put 403 /inlink/made/f.txt "through a symlink inside the root, creating"
put 403 /../escape/f.txt "dot-dot"
put 403 /.hidden/f.txt "a dot-directory without --dotfiles"
put 403 /new/.git/f.txt "a dot-directory deeper down"
[ -z "$(ls -A "$BOX/outside")" ] || fail "something was created outside the root: $(ls -A "$BOX/outside")"
[ ! -e "$BOX/root/.hidden" ] && [ ! -e "$BOX/root/new/.git" ] || fail "a dot-directory was created"
[ ! -e "$BOX/escape" ] || fail "dot-dot escaped"
[ ! -e "$BOX/root/sub/made" ] || fail "created through the inside symlink"
[ -z "$(find "$BOX" -name '.zcp-upload*')" ] || fail "temporary files left"
kill -0 "$SERVER_PID" || fail "server died"
finish_cases

#!/usr/bin/env bash
# ?format=tar&only=A&only=B (a pull re-run's batch) serves just those files
# and links, in the order asked, and nothing else: a path that could leave
# the directory (.., absolute, %2F-encoded, NUL, empty or "." parts) is a
# 400 for the whole request; a missing path, a directory, a link out, a
# FIFO or a dotfile without --dotfiles is left out of a 200 stream; a list
# longer than the request-target limit is a 414. Nothing outside the root
# is read, and zcp serve's descriptors return to baseline.
source "$(dirname "$0")/../support/e2e.sh"
R=$SCRATCH/root
mkdir -p "$R/sub/deeper" "$R/.git"
echo "apple" >"$R/a.txt"
echo "banana" >"$R/sub/b.txt"
echo "cherry" >"$R/sub/deeper/c.txt"
echo "DOTSECRET" >"$R/.secret"
echo "DOTSECRET" >"$R/sub/.hidden"
echo "DOTSECRET" >"$R/.git/config"
echo "OUTSIDESECRET" >"$SCRATCH/outside.txt"
ln -s a.txt "$R/link-in"
ln -s ../outside.txt "$R/link-out"
ln -s "$SCRATCH" "$R/linkdir"
mkfifo "$R/fifo"
start_server "$R"
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
base_fds=$(fds)

keep_going
# members QUERY: the member names of the 200 stream QUERY answers, one a line.
members() {
  local got
  got=$(curl -s --max-time 10 -o "$SCRATCH/out.tar" -w '%{http_code}' "${URL}?format=tar&$1")
  [ "$got" = 200 ] || { fail "'$1': status $got, want 200"; return; }
  grep -q 'SECRET' "$SCRATCH/out.tar" && fail "'$1': the stream holds a secret"
  tar tf "$SCRATCH/out.tar" || fail "'$1': not a tar stream"
}
want() {  # want QUERY EXPECTED-MEMBERS...
  local q=$1 got
  shift
  got=$(members "$q" | tr '\n' ' ')
  [ "$got" = "$*${*:+ }" ] || fail "'$q': members '$got', want '$*'"
}

# In the order asked, directories not walked, missing ones left out.
want "links=keep&only=sub/deeper/c.txt&only=nothere&only=a.txt&only=sub/b.txt" \
  sub/deeper/c.txt a.txt sub/b.txt
want "only=a.txt" a.txt
# Left out: a directory, a link out (and a directory link out), a path
# through a link out, a FIFO, dotfiles and dot-directories.
want "links=keep&only=sub"
want "links=keep&only=sub/deeper"
want "links=keep&only=link-out&only=linkdir&only=linkdir/outside.txt"
want "only=link-out&only=linkdir/outside.txt"
want "links=keep&only=fifo"
want "links=keep&only=.secret&only=sub/.hidden&only=.git/config&only=.git"
# A link inside the tree is a link with links=keep, left out without.
want "links=keep&only=link-in" link-in
tar tvf "$SCRATCH/out.tar" | grep -q 'link-in -> a.txt' || fail "link-in is not sent as a link"
want "only=link-in"

# 400 for the whole request: the name could leave the directory.
for bad in '..%2Foutside.txt' '/etc/passwd' '%2Fetc%2Fpasswd' 'a.txt%00' 'sub%2F..%2F..%2Foutside.txt' \
  'sub/../a.txt' './a.txt' 'sub//b.txt' 'sub/deeper/' '.' '' '..'; do
  got=$(curl -s -o "$SCRATCH/bad.out" -w '%{http_code}' "${URL}?format=tar&links=keep&only=a.txt&only=$bad")
  [ "$got" = 400 ] || fail "only=$bad: status $got, want 400"
  grep -q 'SECRET\|root:' "$SCRATCH/bad.out" && fail "only=$bad: a secret in the answer"
done

# A target over 8 KiB (100,000 values, or just over the limit) is a 414
# before any walk.
got=$("$PY" - "${ADDR##*:}" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
try:
    s.sendall(b"GET /?format=tar" + b"&only=a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
except OSError:
    pass  # the server may close before reading it all: its answer is still there
out = b""
try:
    while chunk := s.recv(65536):
        out += chunk
except OSError:
    pass
print(out.split(b"\r\n", 1)[0].decode("latin-1"))
PYEOF
)
[[ "$got" == "HTTP/1.1 414"* ]] || fail "100,000 only=: '$got', want 414"
expect_canned 414 "$ADDR" "GET /?format=tar$(printf '&only=a.txt%.0s' $(seq 820)) HTTP/1.1\r\nHost: x\r\n\r\n"
# Just under it: served, each value once as asked.
got=$(members "$(printf 'only=a.txt&%.0s' $(seq 700))only=a.txt" | grep -c '^a.txt$')
[ "$got" = 701 ] || fail "701 only=a.txt under the limit: $got members"

sleep 0.3  # the server closes its side of curl's connections
[ "$(fds)" = "$base_fds" ] || fail "zcp serve holds $(fds) descriptors, $base_fds before"

# With --dotfiles a dotfile is served; a dot-directory still is not walked.
start_server --dotfiles "$R"
got=$(curl -s "${URL}?format=tar&only=.secret&only=.git" | tar tf - | tr '\n' ' ')
[ "$got" = ".secret " ] || fail "--dotfiles: members '$got', want '.secret'"
finish_cases

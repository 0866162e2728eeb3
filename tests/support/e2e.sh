# Sourced by tests/e2e/*.sh: the binary under test, a scratch directory
# removed on exit, and small assertion helpers. ctest sets ZCP and
# ZCP_SOURCE_DIR; run by hand, they default to the repo's build.
set -euo pipefail

export ZCP_SOURCE_DIR=${ZCP_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ZCP=${ZCP:-$ZCP_SOURCE_DIR/build/zcp}
case "$ZCP" in /*) ;; *) ZCP=$(realpath "$ZCP") ;; esac
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/zcp-e2e-XXXXXX")
# Tests run inside their scratch directory: a relative path (a DEST of "-"
# taken for a file, say) lands there and is removed, never in the work tree.
cd "$SCRATCH"
E2E_CLEANUP=()

e2e_exit() {
  local rc=$?
  for cmd in "${E2E_CLEANUP[@]:-}"; do [ -n "$cmd" ] && eval "$cmd" >/dev/null 2>&1 || true; done
  rm -rf "$SCRATCH"
  exit $rc
}
trap e2e_exit EXIT
trap 'exit 130' INT TERM

on_exit() { E2E_CLEANUP+=("$1"); }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIP: $*" >&2
  exit 77
}

# expect_exit CODE CMD...: runs CMD, stderr to $SCRATCH/stderr, checks the exit code.
expect_exit() {
  local want=$1
  shift
  local got=0
  "$@" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" || got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, want $want; stderr: $(head -c 2000 "$SCRATCH/stderr")"
}

# expect_stderr TEXT: the last expect_exit's stderr contains TEXT.
expect_stderr() {
  grep -qF -- "$1" "$SCRATCH/stderr" || fail "stderr lacks '$1': $(head -c 2000 "$SCRATCH/stderr")"
}

PY=/usr/bin/python3  # Debian's python, which has matplotlib

# start_server ARGS...: runs `zcp serve --listen 127.0.0.1:0 ARGS...` in the
# background (stderr to $SCRATCH/server.log) and waits for its startup line;
# sets SERVER_PID and URL ("http://127.0.0.1:PORT/", "https://..." with
# --tls-*, or "127.0.0.1:PORT" in raw mode) and ADDR ("127.0.0.1:PORT").
# Pass --listen to override.
start_server() {
  local listen=(--listen 127.0.0.1:0)
  for a in "$@"; do [ "$a" = "--listen" ] && listen=(); done
  : >"$SCRATCH/server.log"  # exists before wait_for_server reads it
  "$ZCP" serve "${listen[@]}" "$@" 2>>"$SCRATCH/server.log" &
  SERVER_PID=$!
  on_exit "{ kill -9 $SERVER_PID; wait $SERVER_PID; } 2>/dev/null"
  wait_for_server
  ADDR=${URL#http://}
  ADDR=${ADDR#https://}
  ADDR=${ADDR%/}
}

# wait_for_server: waits (10 s at most) for SERVER_PID's startup line in
# $SCRATCH/server.log and sets URL from it; fails if the server dies first.
wait_for_server() {
  URL=""
  for _ in $(seq 200); do
    URL=$(sed -n 's/^zcp serve: serving .* at \([^ ]*\) (engine.*/\1/p' "$SCRATCH/server.log" | head -1)
    [ -n "$URL" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server died: $(cat "$SCRATCH/server.log")"
    sleep 0.05
  done
  fail "server did not start: $(cat "$SCRATCH/server.log")"
}

# serve NAME ARGS...: one of several servers, each with its own root
# $SCRATCH/NAME, port and log ($SCRATCH/NAME.log); sets URL_<NAME> and
# PID_<NAME>.
serve() {
  local name=$1 log="$SCRATCH/$1.log" pid url
  shift
  mkdir -p "$SCRATCH/$name"
  : >"$log"
  "$ZCP" serve --listen 127.0.0.1:0 "$@" "$SCRATCH/$name" 2>>"$log" &
  pid=$!
  on_exit "{ kill -9 $pid; wait $pid; } 2>/dev/null"
  for _ in $(seq 200); do
    url=$(sed -n 's/^zcp serve: serving .* at \([^ ]*\) (engine.*/\1/p' "$log" | head -1)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || fail "server $name died: $(cat "$log")"
    sleep 0.05
  done
  [ -n "$url" ] || fail "server $name did not start"
  printf -v "URL_$name" '%s' "$url"
  printf -v "PID_$name" '%s' "$pid"
}

# kill_when PID FILE BYTES [SIGNAL]: sends SIGNAL (default KILL) to PID,
# and reaps it, once FILE holds BYTES, or after 10 s: a transfer
# interrupted midway.
kill_when() {
  for _ in $(seq 2000); do
    [ "$(stat -c %s "$2" 2>/dev/null || echo 0)" -ge "$3" ] && break
    sleep 0.005
  done
  kill -"${4:-KILL}" "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# http_status CURL_ARGS...: prints the status code curl saw.
http_status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# make_tree DIR: the awkward tree every transfer test must reproduce.
make_tree() {
  local d=$1
  mkdir -p "$d/sub/deeper" "$d/empty dir" "$d/naïve ü" "$d/日本語"
  head -c 1048583 /dev/urandom >"$d/big.bin"
  : >"$d/empty.txt"
  echo "hello" >"$d/sub/hello.txt"
  echo "spaces" >"$d/a file with spaces.txt"
  echo "ü" >"$d/naïve ü/straße.txt"
  echo "jp" >"$d/日本語/ファイル.txt"
  head -c 70000 /dev/urandom >"$d/sub/deeper/odd-size.dat"
  local long
  long=$(printf 'n%.0s' $(seq 150))
  echo long >"$d/sub/$long.txt"
  chmod 0600 "$d/sub/hello.txt"
  chmod 0755 "$d/sub/deeper/odd-size.dat"
}

# raw_http ADDR BYTES: sends BYTES (printf escapes allowed) on one
# connection, half-closes, prints everything the server sends until it
# closes (at most 10 s). For requests curl would "fix" on the way.
raw_http() {
  $PY - "$1" "$2" <<'PYEOF'
import socket, sys, warnings
warnings.simplefilter("ignore")
host, port = sys.argv[1].rsplit(":", 1)
host = host.strip("[]")
data = sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1")
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
out = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
except socket.timeout:
    pass
sys.stdout.buffer.write(out)
PYEOF
}

# probe ADDR REQUEST [--wait-before-body SECONDS BODY]: one raw request on
# its own connection; prints "STATUS CONTENT_LENGTH BODY_BYTES CLOSED EARLY"
# (see tests/support/http_probe.py).
probe() { $PY "$ZCP_SOURCE_DIR/tests/support/http_probe.py" "$@"; }

# expect_canned WANT ADDR REQUEST: the answer has status WANT, a
# Content-Length equal to the body bytes that came, and a close.
expect_canned() {
  local want=$1 got
  got=$(probe "$2" "$3")
  read -r status length bytes closed _ <<<"$got"
  [ "$status" = "$want" ] || fail "want $want for $(printf %q "$3"), got '$got'"
  [ "$length" = "$bytes" ] || fail "$want: Content-Length $length but $bytes body bytes for $(printf %q "$3")"
  [ "$closed" = 1 ] || fail "$want: connection not closed for $(printf %q "$3")"
}

# keep_going: from here on `fail` reports and counts instead of exiting, so
# a test of many cases names every case that fails; end with `finish_cases`.
keep_going() {
  E2E_FAILS=${E2E_FAILS:-0}
  fail() {
    echo "FAIL: $*" >&2
    E2E_FAILS=$((E2E_FAILS + 1))
  }
}
finish_cases() {
  [ "${E2E_FAILS:-0}" = 0 ] || { echo "$E2E_FAILS check(s) failed" >&2; exit 1; }
  echo ok
}
# stop_going: back to `fail` that exits, with the count so far (for a
# step a later case depends on, such as starting a server).
stop_going() {
  fail() {
    echo "FAIL: $*" >&2
    echo "$((${E2E_FAILS:-0} + 1)) check(s) failed" >&2
    exit 1
  }
}

# make_sync_tree DIR: make_tree plus what a sync must keep: names with a
# newline, a leading dash, 255 bytes; an empty directory; symlinks inside
# the tree (kept as links) and out of it (left out); odd modes; old mtimes.
make_sync_tree() {
  local d=$1
  make_tree "$d"
  local n255
  n255=$(printf 'x%.0s' $(seq 255))
  printf 'nl\n' >"$d/new
line.txt"
  echo dash >"$d/-leading-dash"
  echo "--" >"$d/sub/--help"
  echo 255 >"$d/$n255"
  mkdir -p "$d/empty2/inner"
  ln -s sub/hello.txt "$d/link-in"
  ln -s ../big.bin "$d/sub/link-up"
  ln -s sub "$d/link-dir"
  ln -s /etc/passwd "$d/link-out"
  ln -s ../../outside "$d/sub/link-escape"
  chmod 0640 "$d/-leading-dash"
  chmod 0700 "$d/empty2"
  touch -h -d '2001-02-03 04:05:06' "$d/link-in" "$d/big.bin" "$d/sub/hello.txt"
}

# tree_listing DIR: one line per entry beneath DIR (type, mode, size,
# mtime, link target, path), sorted, with links leaving the tree left out:
# what two trees must share after a sync.
tree_listing() {
  $PY - "$1" <<'PYEOF'
import os, stat, sys
top = sys.argv[1]
out = []
for root, dirs, files in os.walk(top):
    for name in sorted(dirs + files):
        p = os.path.join(root, name)
        rel = os.path.relpath(p, top)
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            t = os.readlink(p)
            depth = rel.count("/")
            ok = not t.startswith("/")
            for part in t.split("/"):
                if part == "..":
                    depth -= 1
                    ok = ok and depth >= 0
                elif part not in ("", "."):
                    depth += 1
            if ok:
                out.append(repr(("l", rel, t)))
        elif stat.S_ISDIR(st.st_mode):
            out.append(repr(("d", rel, oct(st.st_mode & 0o7777), int(st.st_mtime))))
        else:
            out.append(repr(("f", rel, oct(st.st_mode & 0o7777), st.st_size, int(st.st_mtime))))
for line in sorted(out):
    print(line)
PYEOF
}

# same_tree A B: A's and B's listings and file contents agree.
same_tree() {
  diff <(tree_listing "$1") <(tree_listing "$2") >"$SCRATCH/tree.diff" ||
    fail "trees differ: $(head -c 3000 "$SCRATCH/tree.diff")"
  # (an if: "diff || diff | grep && fail" failed two identical trees)
  if ! diff -r --no-dereference "$1" "$2" >/dev/null 2>&1 &&
    diff -r --no-dereference "$1" "$2" 2>&1 | grep -v 'link-out\|link-escape' | grep -q .; then
    fail "contents differ: $(diff -r --no-dereference "$1" "$2" 2>&1 | head -20)"
  fi
  return 0
}

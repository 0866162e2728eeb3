#!/usr/bin/env bash
# zcp get against misbehaving servers (a python fake on loopback, one
# behaviour per path): tar streams that aim outside DEST, bodies shorter or
# longer than announced, wrong ranges on resume and -j, garbage heads,
# stalls. Each ends with its documented exit code and a clear message,
# nothing is written outside DEST, nothing corrupt under DEST's own name
# (DEST.part may stay), and nothing hangs.
source "$(dirname "$0")/../support/e2e.sh"
shopt -s extglob
TAG=$(basename "$SCRATCH")  # unique names for the /tmp paths the tars aim at
EVIL_TMP=("/tmp/abs-evil-$TAG" "/tmp/evil-$TAG")
for p in "${EVIL_TMP[@]}"; do [ ! -e "$p" ] || skip "$p exists already"; done
on_exit "rm -rf ${EVIL_TMP[*]}"

cat >"$SCRATCH/fake.py" <<'PYEOF'
# fake.py PORTFILE TAG: serves on a free loopback port for at most 150 s.
import os, signal, socket, sys, threading, time
sys.path.insert(0, os.path.join(os.environ["ZCP_SOURCE_DIR"], "tests", "support"))
import fake_http
signal.alarm(150)
TAG = sys.argv[2]
SIZE = 256 * 1024  # the "file" of the range scenarios: big enough for -j 2
DATA = bytes((i * 7 + i // 251) % 256 for i in range(SIZE))

member, pax = fake_http.member, fake_http.pax_record
chunked = fake_http.chunked

RANGED = ("wrong-range", "no-content-range", "parallel-wrong-range", "parallel-200")
END = b"\0" * 1024
TARS = {
    "tar-dotdot": member("good.txt", b"good\n") + member("../evil-" + TAG, b"evil\n") + END,
    "tar-abs": member(f"/tmp/abs-evil-{TAG}", b"evil\n") + END,
    "tar-symlink-tmp": member("link", typ=b"2", link=b"/tmp") + member(f"link/evil-{TAG}", b"e\n") + END,
    "tar-symlink-parent": member("up", typ=b"2", link=b"..") + member(f"up/evil-{TAG}", b"e\n") + END,
    "tar-planted-symlink": member(f"link/evil-{TAG}", b"evil\n") + END,
    "tar-planted-part": member("f", b"evil\n") + END,
    "tar-pax-dotdot": member("pax", pax("path", f"../pax-evil-{TAG}"), typ=b"x")
                      + member("innocent", b"evil\n") + END,
    "tar-gnu-longname": member("././@LongLink", f"../gnu-evil-{TAG}\0".encode(), typ=b"L")
                        + member("innocent", b"evil\n") + END,
    "tar-dir-dotdot": member(f"sub/../../evil-dir-{TAG}/", typ=b"5") + END,
    "tar-hardlink": member("hl", typ=b"1", link=b"/etc/passwd") + member("ok.txt", b"ok\n") + END,
    "tar-truncated": member("big.bin", b"x" * 10000)[:2048],
    "tar-bad-checksum": member("ok.txt", b"ok\n")[:148] + b"0000001\0" + member("ok.txt", b"ok\n")[156:] + END,
    "tar-stall": member("a.bin", b"y" * 100000)[:4096],
}

def read_head(conn, buf):
    req, rest = fake_http.read_head(conn, buf)
    if req:
        req = (req[0], req[1].split("?")[0], req[2])
    return req, rest

def ranged(fields, wrong):
    """206 for the Range asked, Content-Range starting at 0 when wrong."""
    spec = fields["range"].split("=")[1]
    first, _, last = spec.partition("-")
    first, last = int(first), int(last) if last else SIZE - 1
    shown = 0 if wrong else first
    body = DATA[first:last + 1]
    cr = f"bytes {shown}-{shown + len(body) - 1}/{SIZE}"
    return (f"HTTP/1.1 206 Partial Content\r\nContent-Range: {cr}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body

def answer(conn, method, path, fields):
    """Writes the scenario's response; returns False to close afterwards."""
    name = path.strip("/")
    ok = b"HTTP/1.1 200 OK\r\n"
    if method == "HEAD" and name not in RANGED:  # get's probe for -j: one stream
        conn.sendall(ok + b"Content-Length: 0\r\n\r\n")
        return True
    if name in TARS:
        data = TARS[name]
        if name == "tar-stall":
            conn.sendall(ok + b"Content-Type: application/x-tar\r\nConnection: close\r\n\r\n" + data)
            time.sleep(20)
        elif len(name) % 2:  # both framings of a tar stream
            conn.sendall(ok + b"Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n"
                         + chunked(data))
        else:
            conn.sendall(ok + b"Content-Type: application/x-tar\r\nConnection: close\r\n\r\n" + data)
        return False
    if name == "len-short":  # announces 100000, sends 1000, closes
        conn.sendall(ok + b"Content-Length: 100000\r\n\r\n" + b"s" * 1000)
        return False
    if name == "chunk-short":  # a chunk cut short by the close
        conn.sendall(ok + b"Transfer-Encoding: chunked\r\n\r\n1000\r\n" + b"c" * 100)
        return False
    if name == "chunk-no-last":  # whole chunks, but no last chunk before the close
        conn.sendall(ok + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        return False
    if name == "excess-close":  # 10 announced, 30 sent, then close
        conn.sendall(ok + b"Content-Length: 10\r\n\r\n0123456789" + b"X" * 20)
        return False
    if name == "excess-keepalive":  # the excess looks like the next response
        # Larger than one head read, so the excess waits in the socket.
        conn.sendall(ok + b"Content-Length: 100000\r\n\r\n" + b"k" * 100000
                     + b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!")
        return True
    if name == "next":
        conn.sendall(ok + b"Content-Length: 5\r\n\r\ngood\n")
        return True
    if name in RANGED:
        if method == "HEAD":
            conn.sendall(ok + f"Content-Length: {SIZE}\r\nAccept-Ranges: bytes\r\n\r\n".encode())
            return True
        opening = fields.get("range") == "bytes=0-"  # get's first request: the whole file
        if name == "parallel-200" and opening:  # takes ranges, then answers one with 200
            conn.sendall(ranged(fields, wrong=False))
        elif "range" not in fields or name == "parallel-200":
            conn.sendall(ok + f"Content-Length: {SIZE}\r\n\r\n".encode() + DATA)
        elif name == "no-content-range":
            conn.sendall(f"HTTP/1.1 206 Partial Content\r\nContent-Length: {SIZE}\r\n\r\n".encode()
                         + DATA)
        else:
            conn.sendall(ranged(fields, wrong=True))
        return True
    garbage = {
        "garbage-empty": b"",
        "garbage-status": b"HTTP/1.1 abc Not A Number\r\nContent-Length: 2\r\n\r\nhi",
        "garbage-ssh": b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
        "garbage-binary": bytes(range(256)) * 4,
        "garbage-http2": b"HTTP/2 200\r\ncontent-length: 2\r\n\r\nhi",
        "garbage-http-09": b"<html>hello</html>\r\n\r\n",
        "garbage-head-eof": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
        "garbage-huge-head": b"HTTP/1.1 200 OK\r\n" + b"X-Junk: " + b"j" * 70000 + b"\r\n\r\n",
        "garbage-cl-overflow": b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nhi",
        "garbage-cl-negative": b"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nhi",
        "garbage-cl-conflict": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi",
        "garbage-te-gzip": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhi",
        "garbage-chunk-size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n",
        "garbage-chunk-overflow": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  b"10000000000000000\r\nhi\r\n0\r\n\r\n",
        "garbage-chunk-no-crlf": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX0\r\n\r\n",
    }
    if name in garbage:
        conn.sendall(garbage[name])
        return False
    if name == "stall-silent":
        time.sleep(20)
    elif name == "stall-head":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-")
        time.sleep(20)
    elif name == "stall-body":
        conn.sendall(ok + b"Content-Length: 10000000\r\n\r\n" + b"b" * 65536)
        time.sleep(20)
    elif name == "stall-chunk":
        conn.sendall(ok + b"Transfer-Encoding: chunked\r\n\r\n10000\r\n" + b"b" * 1000)
        time.sleep(20)
    else:
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    return False

def serve(conn):
    with conn:
        buf = b""
        try:
            while True:
                req, buf = read_head(conn, buf)
                if req is None or not answer(conn, *req):
                    break
        except OSError:
            pass

fake_http.serve_forever(sys.argv[1], serve)
PYEOF
$PY "$SCRATCH/fake.py" "$SCRATCH/port" "$TAG" 2>"$SCRATCH/fake.log" &
FAKE_PID=$!
on_exit "kill $FAKE_PID"
for _ in $(seq 100); do [ -s "$SCRATCH/port" ] && break; sleep 0.05; done
[ -s "$SCRATCH/port" ] || fail "fake server did not start: $(cat "$SCRATCH/fake.log")"
BASE=http://127.0.0.1:$(cat "$SCRATCH/port")
FAILURES=0
bad() {  # a failed check: report it, carry on with the other servers
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

# get CASE WANT [ZCP-GET-ARGS...]: runs `zcp get ARGS` under `timeout 30`
# in a fresh $SCRATCH/c/CASE (DEST is dest there), after eval'ing PREPARE
# when set; checks the exit code (WANT may be a pattern such as "7|8"),
# that an error names the URL, that CASE holds nothing but dest, dest.part
# (and ALLOW), and the /tmp paths. ELAPSED: the seconds it took.
CASES=()
get() {
  local name=$1 want=$2
  shift 2
  CASE=$SCRATCH/c/$name
  CASES+=("$name")
  mkdir -p "$CASE"
  [ -n "${PREPARE:-}" ] && eval "$PREPARE"
  local start=$SECONDS got=0
  (cd "$CASE" && timeout 30 "$ZCP" get -q "$@") >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" || got=$?
  ELAPSED=$((SECONDS - start))
  [ "$got" -ne 124 ] || bad "$name: zcp get hung (killed after 30 s)"
  [[ "$got" == @($want) ]] || bad "$name: exit $got, want $want; stderr: $(head -c 1000 "$SCRATCH/stderr")"
  if [ "$want" != 0 ]; then
    grep -q "zcp get: .*$BASE" "$SCRATCH/stderr" ||
      bad "$name: no message naming the URL: $(head -c 1000 "$SCRATCH/stderr")"
  fi
  local f extra=""
  for f in "$CASE"/* "$CASE"/.*; do
    case ${f##*/} in
    . | .. | dest | dest.part | "${ALLOW:-dest}") ;;
    *) [ -e "$f" ] || [ -L "$f" ] && extra+=" ${f##*/}" ;;
    esac
  done
  [ -z "$extra" ] || bad "$name: wrote outside DEST:$extra"
  for p in "${EVIL_TMP[@]}"; do [ ! -e "$p" ] || bad "$name: wrote $p"; done
}

# expect_in TEXT: the last get's stderr says TEXT.
expect_in() { grep -qF -- "$1" "$SCRATCH/stderr" || bad "$CASE: stderr lacks '$1': $(cat "$SCRATCH/stderr")"; }

# --- (a) tar streams for -r aimed outside DEST (chunked and close-delimited)
get tar-dotdot 8 -r "$BASE/tar-dotdot/" dest
expect_in "'..' in name"
get tar-abs 8 -r "$BASE/tar-abs/" dest
expect_in "absolute name"
[ -z "$(ls -A "$CASE/dest")" ] || bad "tar-abs: extracted something: $(ls -AR "$CASE/dest")"
get tar-pax-dotdot 8 -r "$BASE/tar-pax-dotdot/" dest
get tar-gnu-longname 8 -r "$BASE/tar-gnu-longname/" dest
get tar-dir-dotdot 8 -r "$BASE/tar-dir-dotdot/" dest
# Symlink members are skipped, so a file "through" one is a plain file in
# a plain directory beneath DEST.
get tar-symlink-tmp 0 -r "$BASE/tar-symlink-tmp/" dest
[ -d "$CASE/dest/link" ] && [ ! -L "$CASE/dest/link" ] || bad "tar-symlink-tmp: link is not a plain directory"
[ "$(cat "$CASE/dest/link/evil-$TAG")" = e ] || bad "tar-symlink-tmp: link/evil not beneath DEST"
get tar-symlink-parent 0 -r "$BASE/tar-symlink-parent/" dest
[ -d "$CASE/dest/up" ] && [ ! -L "$CASE/dest/up" ] || bad "tar-symlink-parent: up is not a plain directory"
# A symlink already in DEST is not followed either. A DEST that holds
# files makes -r incremental (issue 15): it asks for the manifest, and a
# tar in its place is refused before anything is written.
PREPARE='mkdir -p "$CASE/dest" && ln -s /tmp "$CASE/dest/link"' \
  get tar-planted-symlink 8 -r "$BASE/tar-planted-symlink/" dest
expect_in "not a zcp manifest"
PREPARE='mkdir -p "$CASE/dest" && echo victim >"$CASE/victim" && ln -s ../victim "$CASE/dest/f.part"' \
  ALLOW=victim get tar-planted-part 8 -r "$BASE/tar-planted-part/" dest
[ "$(cat "$CASE/victim")" = victim ] || bad "tar-planted-part: wrote through a planted f.part symlink"
[ ! -e "$CASE/dest/f" ] || bad "tar-planted-part: f exists"
get tar-hardlink 0 -r "$BASE/tar-hardlink/" dest
[ ! -e "$CASE/dest/hl" ] || bad "tar-hardlink: hard link member extracted"
get tar-truncated 7 -r "$BASE/tar-truncated/" dest
[ -z "$(ls -A "$CASE/dest")" ] || bad "tar-truncated: left $(ls -A "$CASE/dest")"
get tar-bad-checksum 8 -r "$BASE/tar-bad-checksum/" dest
expect_in "bad checksum"

# --- (b) bodies that end early: exit 7, only dest.part
get len-short 7 "$BASE/len-short" dest
[ ! -e "$CASE/dest" ] && [ "$(stat -c %s "$CASE/dest.part")" = 1000 ] || bad "len-short: want only a 1000-byte dest.part"
get len-short-copy 7 --engine copy "$BASE/len-short" dest
[ ! -e "$CASE/dest" ] || bad "len-short-copy: dest exists"
get chunk-short 7 "$BASE/chunk-short" dest
[ ! -e "$CASE/dest" ] || bad "chunk-short: dest exists"
get chunk-no-last 7 "$BASE/chunk-no-last" dest
[ ! -e "$CASE/dest" ] || bad "chunk-no-last: dest exists"

# --- (c) more bytes than announced: exactly the announced bytes land, and
# the excess never passes for the response to the next request.
get excess-close 0 "$BASE/excess-close" dest
[ "$(cat "$CASE/dest")" = 0123456789 ] || bad "excess-close: dest is '$(head -c 100 "$CASE/dest")'"
PREPARE='mkdir "$CASE/dest"' get excess-keepalive 0 -j 1 -o dest "$BASE/excess-keepalive" "$BASE/next"
cmp -s "$CASE/dest/excess-keepalive" <(head -c 100000 /dev/zero | tr '\0' k) ||
  bad "excess-keepalive: first file wrong"
[ "$(cat "$CASE/dest/next")" = good ] ||
  bad "excess-keepalive: the excess bytes were taken for the next response (next = '$(cat "$CASE/dest/next")')"

# --- (d) a 206 for the wrong range: exit 8, dest.part untouched
PARTIAL='head -c 1000 /dev/zero >"$CASE/dest.part"'
PREPARE=$PARTIAL get wrong-range 8 -c "$BASE/wrong-range" dest
expect_in "wrong range"
[ ! -e "$CASE/dest" ] || bad "wrong-range: dest exists"
cmp -s "$CASE/dest.part" <(head -c 1000 /dev/zero) || bad "wrong-range: dest.part changed"
PREPARE=$PARTIAL get no-content-range 8 -c "$BASE/no-content-range" dest
[ ! -e "$CASE/dest" ] || bad "no-content-range: dest exists"
cmp -s "$CASE/dest.part" <(head -c 1000 /dev/zero) || bad "no-content-range: dest.part changed"
get parallel-wrong-range 8 -j 2 "$BASE/parallel-wrong-range" dest
[ ! -e "$CASE/dest" ] || bad "parallel-wrong-range: dest exists"
get parallel-200 8 -j 2 "$BASE/parallel-200" dest
[ ! -e "$CASE/dest" ] || bad "parallel-200: dest exists"

# --- (e) heads that are not HTTP/1.x: exit 8, no dest
for g in status ssh binary http2 http-09 huge-head cl-overflow cl-negative cl-conflict te-gzip \
  chunk-size chunk-overflow chunk-no-crlf; do
  get "garbage-$g" 8 "$BASE/garbage-$g" dest
  [ ! -e "$CASE/dest" ] || bad "garbage-$g: dest exists"
done

# A close before or inside the head: connection lost (7) or a broken reply (8).
for g in empty head-eof; do
  get "garbage-$g" "7|8" "$BASE/garbage-$g" dest
  [ ! -e "$CASE/dest" ] || bad "garbage-$g: dest exists"
done

# --- (f) stalls: --timeout 2 gives up with exit 7 in seconds, not minutes
for s in silent head body chunk; do
  get "stall-$s" 7 --timeout 2 "$BASE/stall-$s" dest
  [ "$ELAPSED" -le 10 ] || bad "stall-$s: took $ELAPSED s with --timeout 2"
  [ ! -e "$CASE/dest" ] || bad "stall-$s: dest exists"
done
expect_in "timed out"
get tar-stall 7 --timeout 2 -r "$BASE/tar-stall/" dest
[ "$ELAPSED" -le 10 ] || bad "tar-stall: took $ELAPSED s with --timeout 2"
[ -z "$(ls -A "$CASE/dest")" ] || bad "tar-stall: left $(ls -A "$CASE/dest")"

# Two levels above DEST: the case directories and nothing else.
[ "$(ls -A "$SCRATCH/c" | LC_ALL=C sort)" = "$(printf '%s\n' "${CASES[@]}" | LC_ALL=C sort)" ] ||
  bad "written beside the case directories: $(ls -A "$SCRATCH/c")"
[ "$FAILURES" -eq 0 ] || fail "$FAILURES check(s) failed (see above)"
echo ok

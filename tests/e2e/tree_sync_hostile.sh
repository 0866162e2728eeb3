#!/usr/bin/env bash
# Hostile peers of the tree sync, both directions. A lying server (its
# manifest or its tar says ../, absolute paths, links out and writes
# through them, huge sizes, or ends early) makes get -r fail or skip,
# never write outside DEST, never leave a .part. A hostile client's tar
# stream to serve --upload (../, absolute names, a link out then a write
# through it, a huge size, a truncated stream) is refused with nothing
# outside the root and no .part; completed files stay.
source "$(dirname "$0")/../support/e2e.sh"
OUT=$SCRATCH/outside
mkdir -p "$OUT"
echo precious >"$OUT/precious"
keep_going

untouched() { [ "$(ls -A "$OUT")" = precious ] || fail "$1: something was written outside: $(ls -A "$OUT")"; }
no_part() { find "$1" -name '*.part' | grep -q . && fail "$2: .part left: $(find "$1" -name '*.part')"; return 0; }

for mode in traversal absolute link-out write-through huge truncated tar-link-out; do
  rm -f "$SCRATCH/fake.port"
  "$PY" "$ZCP_SOURCE_DIR/tests/support/hostile_tree_server.py" "$mode" "$OUT" "$SCRATCH/fake.port" &
  fake=$!
  for _ in $(seq 100); do [ -s "$SCRATCH/fake.port" ] && break; sleep 0.05; done
  dest=$SCRATCH/dest-$mode
  mkdir -p "$dest"
  echo mine >"$dest/mine"  # not empty: the incremental path reads the manifest
  ln -s "$OUT" "$dest/out"  # the user's own link out, for write-through
  [ "$mode" = tar-link-out ] && rm -rf "$dest" # the first copy: one tar stream
  code=0
  "$ZCP" get -r -q --timeout 5 "http://127.0.0.1:$(cat "$SCRATCH/fake.port")/t/" "$dest" 2>"$SCRATCH/err" || code=$?
  kill $fake; wait $fake 2>/dev/null || true
  case $mode in
    tar-link-out)
      [ "$code" = 0 ] || fail "$mode: exit $code: $(cat "$SCRATCH/err")"
      [ -L "$dest/evil" ] && fail "$mode: a link out of the tree was made"
      [ -L "$dest/up" ] && fail "$mode: a ../.. link was made" ;;
    *) [ "$code" != 0 ] || fail "$mode: exit 0"
       [ "$code" -lt 100 ] || fail "$mode: exit $code (crash?)" ;;
  esac
  untouched "$mode"
  no_part "$dest" "$mode"
  [ -e "$dest/big" ] && fail "$mode: a short body landed under its final name"
done

# A hostile manifest stops a push before any byte is sent.
"$PY" "$ZCP_SOURCE_DIR/tests/support/hostile_tree_server.py" traversal "$OUT" "$SCRATCH/fake2.port" &
fake=$!
on_exit "kill $fake"
for _ in $(seq 100); do [ -s "$SCRATCH/fake2.port" ] && break; sleep 0.05; done
mkdir -p "$SCRATCH/push" && echo a >"$SCRATCH/push/a"
expect_exit 8 "$ZCP" put -r -q "$SCRATCH/push" "http://127.0.0.1:$(cat "$SCRATCH/fake2.port")/t/"
expect_stderr "unsafe path"

# Hostile streams to serve --upload.
mkdir -p "$SCRATCH/root/t"
ln -s "$OUT" "$SCRATCH/root/t/out"
stop_going
start_server --upload "$SCRATCH/root"
keep_going
put_tar() {  # put_tar CASE: prints the status
  "$PY" - "$1" "$OUT" <<'PYEOF' | curl -s -o "$SCRATCH/reply" -w '%{http_code}' -T - "${URL}t/?format=tar&delete=1"
import io, sys, tarfile
case, outside = sys.argv[1], sys.argv[2]
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
def add(name, data=b"x\n", kind=None, link=None):
    i = tarfile.TarInfo(name)
    if kind:
        i.type, i.linkname = kind, link
        t.addfile(i)
    else:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
add("good-" + case)
if case == "traversal": add("../escape")
if case == "absolute": add(outside + "/abs")
if case == "link-then-write": add("evil", kind=tarfile.SYMTYPE, link=outside); add("out/pwn")
if case == "delete-outside": add("../precious-del")
members = buf.getvalue()  # before close(): no end blocks yet
t.close()
data = buf.getvalue()
if case == "huge":  # a 1 TiB member whose body ends after 5000 bytes
    i = tarfile.TarInfo("huge"); i.size = 1 << 40
    data = members + i.tobuf(tarfile.PAX_FORMAT) + b"y" * 5000
if case == "truncated":  # the stream stops inside a member
    i = tarfile.TarInfo("cut"); i.size = 1000
    data = members + i.tobuf() + b"z" * 100
sys.stdout.buffer.write(data)
PYEOF
}
for c in traversal absolute link-then-write huge truncated; do
  got=$(put_tar "$c")
  [ "$got" = 400 ] || fail "upload $c: status $got: $(cat "$SCRATCH/reply")"
  [ -f "$SCRATCH/root/t/good-$c" ] || fail "upload $c: the complete file before the bad member is gone"
  grep -q "1 files" "$SCRATCH/reply" || fail "upload $c: the reply does not count what was stored: $(cat "$SCRATCH/reply")"
  untouched "upload $c"
  no_part "$SCRATCH/root" "upload $c"
done
[ -L "$SCRATCH/root/t/evil" ] && fail "upload: a link out was made"
[ -e "$SCRATCH/escape" ] && fail "upload: ../ escaped the root"

# --max-upload bounds a whole tree: the member that passes it is refused (413).
mkdir -p "$SCRATCH/limited" "$SCRATCH/bigtree"
head -c 800 /dev/urandom >"$SCRATCH/bigtree/a"
head -c 800 /dev/urandom >"$SCRATCH/bigtree/b"
stop_going
start_server --upload --max-upload 1000 "$SCRATCH/limited"
keep_going
expect_exit 22 "$ZCP" put -r -q "$SCRATCH/bigtree" "$URL"
expect_stderr "413"
[ -f "$SCRATCH/limited/bigtree/a" ] && [ ! -e "$SCRATCH/limited/bigtree/b" ] || fail "max-upload: want a stored, b refused: $(ls "$SCRATCH/limited/bigtree")"
no_part "$SCRATCH/limited" "max-upload"

# An incremental pull never writes through a symlink planted under a
# temporary name, nor through one planted in DEST's directories.
mkdir -p "$SCRATCH/psrc/sub" "$SCRATCH/pdest/sub"
echo real >"$SCRATCH/psrc/f"
echo real2 >"$SCRATCH/psrc/sub/g"
echo old >"$SCRATCH/pdest/other"
echo victim >"$OUT/victim"
ln -s "$OUT/victim" "$SCRATCH/pdest/f.part"
stop_going
start_server "$SCRATCH/psrc"
keep_going
expect_exit 0 "$ZCP" get -r -q "$URL" "$SCRATCH/pdest"
[ "$(cat "$OUT/victim")" = victim ] || fail "wrote through a planted f.part"
[ "$(cat "$SCRATCH/pdest/f")" = real ] || fail "f not fetched"
rm "$OUT/victim"
untouched "planted .part"
rm -rf "$SCRATCH/pdest/sub" && ln -s "$OUT" "$SCRATCH/pdest/sub"
code=0
"$ZCP" get -r -q "$URL" "$SCRATCH/pdest" 2>"$SCRATCH/err" || code=$?
[ -L "$SCRATCH/pdest/sub" ] && [ "$code" = 0 ] && fail "wrote into a planted directory link"
untouched "planted directory link"
finish_cases

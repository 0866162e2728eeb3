#!/usr/bin/env bash
# A connection dropped in the middle of one file of a tree pull, in crawl
# mode (tests/support/crawl_fault_server.py) and in zcp serve's manifest
# mode (a proxy killed mid-file): the message names that file's URL, not
# the tree's; files already complete stay, no .part is left, and a re-run
# completes the tree.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/crawl_faults.sh"
start_crawl_faults

# Crawl mode: b-big.bin's first GET breaks off halfway.
expect_exit 7 timeout 20 "$ZCP" get -r "$U/cut/" "$SCRATCH/c"
expect_stderr "$U/cut/b-big.bin"
[ "$(cat "$SCRATCH/c/a-ok.txt")" = ok ] || fail "the completed file went"
[ ! -e "$SCRATCH/c/b-big.bin" ] || fail "a broken file under its final name"
find "$SCRATCH/c" -name '*.part*' | grep -q . && fail "a .part was left"
expect_exit 0 timeout 20 "$ZCP" get -r "$U/cut/" "$SCRATCH/c"
[ "$(stat -c %s "$SCRATCH/c/b-big.bin")" = 204800 ] || fail "the re-run did not complete b-big.bin"

# Manifest mode: an incremental pull (DEST holds a file already) through a
# 2 MiB/s proxy that is killed while big.bin is on its way.
mkdir -p "$SCRATCH/src" "$SCRATCH/m"
echo small >"$SCRATCH/src/a-small.txt"
head -c $((8 << 20)) /dev/urandom >"$SCRATCH/src/b-big.bin"
echo old >"$SCRATCH/m/old.txt"
start_server "$SCRATCH/src"
"$PY" "$ZCP_SOURCE_DIR/tests/support/throttle_proxy.py" "$ADDR" $((2 << 20)) "$SCRATCH/proxy.port" &
proxy=$!
on_exit "kill $proxy"
for _ in $(seq 100); do [ -s "$SCRATCH/proxy.port" ] && break; sleep 0.05; done
P="http://127.0.0.1:$(cat "$SCRATCH/proxy.port")/"
"$ZCP" get -r -q "$P" "$SCRATCH/m" 2>"$SCRATCH/err" &
pid=$!
sleep 1.5
{ kill -9 "$proxy"; wait "$proxy"; } 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
[ "$rc" = 7 ] || fail "manifest pull cut: exit $rc, want 7: $(cat "$SCRATCH/err")"
grep -qF "${P}b-big.bin" "$SCRATCH/err" || fail "the message does not name the file's URL: $(cat "$SCRATCH/err")"
cmp -s "$SCRATCH/m/a-small.txt" "$SCRATCH/src/a-small.txt" || fail "the completed file went"
[ ! -e "$SCRATCH/m/b-big.bin" ] || fail "a broken file under its final name"
find "$SCRATCH/m" -name '*.part*' | grep -q . && fail "a .part was left"
expect_exit 0 "$ZCP" get -r "$URL" "$SCRATCH/m"
cmp "$SCRATCH/m/b-big.bin" "$SCRATCH/src/b-big.bin" || fail "the re-run did not complete the tree"
echo ok

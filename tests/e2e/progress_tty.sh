#!/usr/bin/env bash
# The progress line moves: under a pseudo-terminal (script -qfc), a get of
# one stream, four streams, the copy engine, a tree (-r) and a put through
# a proxy slowed to 8 MiB/s redraw at least 4 times a second (distinct
# frames), in IEC units, the tree labelled with its name, not a tar URL.
source "$(dirname "$0")/../support/e2e.sh"
command -v script >/dev/null || skip "no script(1) for a pseudo-terminal"
mkdir -p "$SCRATCH/root/tree/sub" "$SCRATCH/dl"
head -c $((24 << 20)) /dev/urandom >"$SCRATCH/root/f.bin"
head -c $((12 << 20)) /dev/urandom >"$SCRATCH/root/tree/a.bin"
head -c $((12 << 20)) /dev/urandom >"$SCRATCH/root/tree/sub/b.bin"
start_server --upload "$SCRATCH/root"
"$PY" "$ZCP_SOURCE_DIR/tests/support/throttle_proxy.py" "$ADDR" $((8 << 20)) "$SCRATCH/proxy.port" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/proxy.port" ] && break; sleep 0.05; done
SLOW="http://127.0.0.1:$(cat "$SCRATCH/proxy.port")/"

# frames WHAT CMD: runs CMD on a pty, counts distinct progress frames per second.
frames() {
  local what=$1 cmd=$2
  local t0 t1
  t0=$(date +%s.%N)
  script -qefc "$cmd" "$SCRATCH/tty.log" >/dev/null </dev/null || fail "$what: '$cmd' failed: $(tail -c 500 "$SCRATCH/tty.log")"
  t1=$(date +%s.%N)
  local n
  n=$( (tr '\r' '\n' <"$SCRATCH/tty.log" | grep -a 'B/s' | grep -av 'zcp ' || true) | sort -u | wc -l)
  local secs
  secs=$(echo "$t1 - $t0" | bc -l)
  echo "$what: $n frames in $secs s"
  [ "$(echo "$n >= 4 * ($secs - 0.5)" | bc -l)" = 1 ] ||
    fail "$what: $n distinct frames in $secs s (want 4 a second): $(tr '\r' '\n' <"$SCRATCH/tty.log" | head -5)"
  LOG=$(cat -v "$SCRATCH/tty.log")
}
command -v bc >/dev/null || skip "no bc"

frames "get" "$ZCP get ${SLOW}f.bin $SCRATCH/dl/f1"
case "$LOG" in *" MiB of 24.0 MiB"*) ;; *) fail "get: no IEC 'of 24.0 MiB' in the line: ${LOG:0:300}" ;; esac
frames "get -j 4" "$ZCP get -j 4 ${SLOW}f.bin $SCRATCH/dl/f2"
frames "get --engine copy" "$ZCP get --engine copy ${SLOW}f.bin $SCRATCH/dl/f3"
frames "get -r" "$ZCP get -r ${SLOW}tree/ $SCRATCH/dl/tree"
case "$LOG" in *"format=tar"*) fail "get -r: labelled with the tar URL: ${LOG:0:300}" ;; esac
case "$LOG" in *"tree "*) ;; *) fail "get -r: not labelled with the tree's name: ${LOG:0:300}" ;; esac
frames "put" "$ZCP put $SCRATCH/root/f.bin ${SLOW}uploaded.bin"
cmp "$SCRATCH/root/uploaded.bin" "$SCRATCH/root/f.bin" || fail "uploaded file differs"
for f in f1 f2 f3; do cmp "$SCRATCH/dl/$f" "$SCRATCH/root/f.bin" || fail "$f differs"; done
echo ok

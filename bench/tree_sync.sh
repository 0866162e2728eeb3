#!/usr/bin/env bash
# tree_sync.sh: zcp against rsync on three trees, pulled and pushed, into
# tmpfs, on 127.0.0.1. A benchmark, not a test: it prints numbers, it never
# fails on them.
#
# Tools, each copying SRC into its own DEST:
#   pull mode
#   zcp      zcp serve SRC  +  zcp get -r URL DEST
#   rsyncd   rsync --daemon (temp config, module = SRC)  +  rsync -a rsync://127.0.0.1:PORT/src/ DEST/
#   rsync    rsync -a SRC/ DEST/ (two local directories: the second anchor)
#   push mode
#   zcp      zcp serve --upload UP  +  zcp put -r SRC URL/dest/  (DEST = UP/dest/src-TREE)
#   rsyncd   rsync --daemon, module dest (read only = false, DEST)  +  rsync -a SRC/ rsync://127.0.0.1:PORT/dest/
#   rsync    rsync -a SRC/ DEST/, as in pull mode
# Trees: small (10,000 x 4 KiB in 100 directories), big (20 x 100 MiB),
# mixed (2,000 files of 1-64 KiB, 100 of 1 MiB, 8 of 32 MiB, nested).
# Cases, for each tool in turn (order rotated every round, so drift hits
# all alike): first copy into an empty DEST; a re-run with nothing
# changed; a re-run after 1% of the files (at least one) got new contents
# of the same size and a new mtime. DEST is removed after each tool's
# three cases, so one DEST at a time sits in memory.
# Times: the client command's wall time. CPU, per side (issue 15 asks for
# both sides below rsync's): the client's user+system (children included,
# from time(1)) and the server's (zcp serve's threads, or the rsync
# daemon's reaped children, from /proc, read once the daemon has reaped
# the connection's process); local rsync has no server, its two processes
# are both the client's. Every copy is checked with diff -r against SRC.
#
# Usage: bench/tree_sync.sh [-m "pull push"] [-r ROUNDS] [-t "small big mixed"] [-d DIR] [-z ZCP] [-b BASE]
#   -m  modes (both)                      -r  rounds, medians over them (3)
#   -t  trees (all three)                 -d  scratch directory, should be tmpfs (/dev/shm/zcp-tree-bench)
#   -b  another zcp build (client and server), interleaved with the rest:
#       one more table, this build against BASE
# Run time with the defaults: about 5 minutes for both modes (most of it the
# big tree); needs ~5 GiB free in DIR. Markdown on stdout, progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3
MODES="pull push"
TREES="small big mixed"
DIR=/dev/shm/zcp-tree-bench
ZCP=${ZCP:-build/zcp}
BASE=""
while getopts m:r:t:d:z:b: o; do
  case $o in
    m) MODES=$OPTARG ;; r) ROUNDS=$OPTARG ;; t) TREES=$OPTARG ;; d) DIR=$OPTARG ;; z) ZCP=$OPTARG ;;
    b) BASE=$(realpath "$OPTARG") ;;
    *) sed -n 2,35p "$0" >&2; exit 2 ;;
  esac
done
for m in $MODES; do
  case $m in pull | push) ;; *) echo "tree_sync.sh: -m takes pull and/or push, not $m" >&2; exit 2 ;; esac
done
ZCP=$(realpath "$ZCP")
RSYNC=/usr/bin/rsync
[ -x "$RSYNC" ] || { echo "tree_sync.sh: needs Debian's rsync (make deps)" >&2; exit 1; }
rm -rf "$DIR"
mkdir -p "$DIR"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_tree() {  # make_tree NAME DIR
  local d=$2
  mkdir -p "$d"
  case $1 in
    small) /usr/bin/python3 bench/make_tree.py small "$d" ;;
    big)
      for i in $(seq -w 1 20); do head -c 100M /dev/urandom >"$d/big$i.bin"; done ;;
    mixed) /usr/bin/python3 bench/make_tree.py mixed "$d" ;;
  esac
}

# change_one_percent SRC ROUND: every 100th file (at least one), new bytes, same size.
change_one_percent() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import os, sys, time
top, rnd = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(r, f) for r, _, fs in os.walk(top) for f in fs)
step = max(1, len(files) // 100)
picked = files[rnd % step::step][: max(1, len(files) // 100)]
later = time.time() + 10 + rnd
for p in picked:
    size = os.path.getsize(p)
    with open(p, "r+b") as f:
        chunk = os.urandom(min(size, 1 << 20))
        f.write(chunk)  # new bytes at the front, same size
    os.utime(p, (later, later))
PY
}

cpu_of() {  # cpu_of PID: user+system of PID and its reaped children, seconds
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat"
}

# reaped PID: waits (up to 3 s) until PID has no child left, so that the
# rsync daemon's per-connection process, which may outlive the client by
# a moment, is in the daemon's reaped CPU before it is read.
reaped() {
  local kids=/proc/$1/task/$1/children
  for _ in $(seq 300); do
    [ -z "$(cat "$kids" 2>/dev/null)" ] && return 0
    sleep 0.01
  done
  echo "WARNING: pid $1 still has children; its CPU may be short" >&2
}

# timed SERVER_PID CMD...: prints "wall client_cpu server_cpu" (server 0
# for SERVER_PID -).
timed() {
  local spid=$1
  shift
  local s0=0 t0 t1 c
  [ "$spid" != - ] && s0=$(cpu_of "$spid")
  t0=$(date +%s.%N)
  /usr/bin/time -o "$DIR/time.out" -f '%U %S' "$@" >/dev/null 2>&1 || true
  c=$(tail -1 "$DIR/time.out")
  t1=$(date +%s.%N)
  local s1=0
  if [ "$spid" != - ]; then
    reaped "$spid"
    s1=$(cpu_of "$spid")
  fi
  awk -v a="$t0" -v b="$t1" -v c="$c" -v s0="$s0" -v s1="$s1" \
    'BEGIN { split(c, u, " "); printf "%.3f %.3f %.3f\n", b - a, u[1] + u[2], s1 - s0 }'
}

# start_servers MODE SRC: ZCP_URL, ZCP_PID, RSYNCD_URL, RSYNCD_PID. Pull:
# both serve SRC. Push: zcp serve --upload $DIR/up (zcp put -r SRC URL/dest/
# lands in $DIR/up/dest/src-TREE), the daemon's writable module is $DIR/rdest.
# start_zcp BINARY LOG ARGS...: SERVED_PID, SERVED_URL
start_zcp() {
  local bin=$1 log=$2
  shift 2
  : >"$log"
  "$bin" serve --listen 127.0.0.1:0 "$@" 2>>"$log" &
  SERVED_PID=$!
  PIDS+=("$SERVED_PID")
  SERVED_URL=""
  for _ in $(seq 100); do
    SERVED_URL=$(sed -n 's/^zcp serve: serving .* at \([^ ]*\) (engine.*/\1/p' "$log" | head -1)
    [ -n "$SERVED_URL" ] && break
    sleep 0.05
  done
}

start_servers() {
  local zargs=("$2") bargs=("$2")
  [ "$1" = push ] && zargs=(--upload "$DIR/up") bargs=(--upload "$DIR/upb")
  start_zcp "$ZCP" "$DIR/zcp.log" "${zargs[@]}"
  ZCP_PID=$SERVED_PID ZCP_URL=$SERVED_URL
  BASE_PID=""
  if [ -n "$BASE" ]; then
    start_zcp "$BASE" "$DIR/base.log" "${bargs[@]}"
    BASE_PID=$SERVED_PID BASE_URL=$SERVED_URL
  fi
  local port=$((20000 + RANDOM % 20000)) module="src" path="$2" ro=yes
  [ "$1" = push ] && module=dest path=$DIR/rdest ro=false
  cat >"$DIR/rsyncd.conf" <<CONF
pid file = $DIR/rsyncd.pid
use chroot = no
uid = $(id -u)
gid = $(id -g)
[$module]
  path = $path
  read only = $ro
CONF
  "$RSYNC" --daemon --no-detach --address=127.0.0.1 --port="$port" --config="$DIR/rsyncd.conf" &
  RSYNCD_PID=$!
  PIDS+=("$RSYNCD_PID")
  RSYNCD_URL="rsync://127.0.0.1:$port/$module/"
  for _ in $(seq 100); do "$RSYNC" "$RSYNCD_URL" >/dev/null 2>&1 && break; sleep 0.05; done
}

stop_servers() {
  kill "$ZCP_PID" "$RSYNCD_PID" $BASE_PID 2>/dev/null || true
  wait "$ZCP_PID" "$RSYNCD_PID" $BASE_PID 2>/dev/null || true
}

# dest_of MODE TOOL TREE: where TOOL's copy lands.
dest_of() {
  if [ "$1" = push ] && [ "$2" = zcp ]; then
    echo "$DIR/up/dest/src-$3"
  elif [ "$1" = push ] && [ "$2" = base ]; then
    echo "$DIR/upb/dest/src-$3"
  elif [ "$1" = push ] && [ "$2" = rsyncd ]; then
    echo "$DIR/rdest"
  else
    echo "$DIR/dest"
  fi
}

run_tool() {  # run_tool MODE TOOL SRC DEST: one sync, prints "wall client_cpu server_cpu"
  case $1-$2 in
    pull-zcp) timed "$ZCP_PID" "$ZCP" get -r -q "$ZCP_URL" "$4" ;;
    pull-rsyncd) timed "$RSYNCD_PID" "$RSYNC" -a "$RSYNCD_URL" "$4/" ;;
    push-zcp) timed "$ZCP_PID" "$ZCP" put -r -q "$3" "${ZCP_URL}dest/" ;;
    pull-base) timed "$BASE_PID" "$BASE" get -r -q "$BASE_URL" "$4" ;;
    push-base) timed "$BASE_PID" "$BASE" put -r -q "$3" "${BASE_URL}dest/" ;;
    push-rsyncd) timed "$RSYNCD_PID" "$RSYNC" -a "$3/" "$RSYNCD_URL" ;;
    *-rsync) timed - "$RSYNC" -a "$3/" "$4/" ;;
  esac
}

RESULTS=$DIR/results.txt
: >"$RESULTS"
TOOLS=(zcp rsyncd rsync)
[ -n "$BASE" ] && TOOLS+=(base)
NT=${#TOOLS[@]}
for tree in $TREES; do
  echo "== $tree: making the tree" >&2
  src=$DIR/src-$tree
  make_tree "$tree" "$src"
  for mode in $MODES; do
    mkdir -p "$DIR/up" "$DIR/upb" "$DIR/rdest"
    start_servers "$mode" "$src"
    for round in $(seq 1 "$ROUNDS"); do
      for k in $(seq 0 $((NT - 1))); do
        tool=${TOOLS[$(((k + round) % NT))]}
        dest=$(dest_of "$mode" "$tool" "$tree")
        rm -rf "$dest"
        mkdir -p "$dest"
        echo "$mode $tree first $tool $(run_tool "$mode" "$tool" "$src" "$dest")" >>"$RESULTS"
        echo "$mode $tree nochange $tool $(run_tool "$mode" "$tool" "$src" "$dest")" >>"$RESULTS"
        change_one_percent "$src" "$((round * 3 + k))"
        echo "$mode $tree change1 $tool $(run_tool "$mode" "$tool" "$src" "$dest")" >>"$RESULTS"
        if ! diff -r -q "$src" "$dest" >/dev/null; then echo "WARNING: $mode $tool's copy of $tree differs" >&2; fi
        rm -rf "$dest"
        mkdir -p "$DIR/rdest"  # the daemon's module must exist
        echo "   $mode round $round $tool done" >&2
      done
    done
    stop_servers
  done
  rm -rf "$src"
done

/usr/bin/python3 - "$RESULTS" "$MODES" "$BASE" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    mode, tree, case, tool, wall, client, server = line.split()
    rows[(mode, tree, case, tool)].append((float(wall), float(client), float(server)))
def med(key, i):
    v = rows.get(key)
    return statistics.median(x[i] for x in v) if v else float("nan")
for mode in sys.argv[2].split():
    verb = "zcp get -r" if mode == "pull" else "zcp put -r"
    print(f"\n{mode}: {verb} vs the rsync daemon and local rsync -a\n")
    print("| tree | case | zcp s | rsync daemon s | rsync local s | zcp vs daemon "
          "| zcp client CPU s | zcp server CPU s | daemon client CPU s | daemon server CPU s "
          "| local CPU s | runs |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for tree in ("small", "big", "mixed"):
        for case in ("first", "nochange", "change1"):
            k = lambda tool: (mode, tree, case, tool)
            if k("zcp") not in rows:
                continue
            z, d, l = (med(k(t), 0) for t in ("zcp", "rsyncd", "rsync"))
            zc, zs = med(k("zcp"), 1), med(k("zcp"), 2)
            dc, ds = med(k("rsyncd"), 1), med(k("rsyncd"), 2)
            lc = med(k("rsync"), 1)
            print(f"| {tree} | {case} | {z:.3f} | {d:.3f} | {l:.3f} | {d / z:.2f}x faster "
                  f"| {zc:.2f} | {zs:.2f} | {dc:.2f} | {ds:.2f} | {lc:.2f} | {len(rows[k('zcp')])} |")
    if not sys.argv[3]:
        continue
    print(f"\n{mode}: this zcp vs the baseline build {sys.argv[3]}\n")
    print("| tree | case | zcp s | baseline s | zcp client CPU s | zcp server CPU s "
          "| baseline client CPU s | baseline server CPU s | runs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for tree in ("small", "big", "mixed"):
        for case in ("first", "nochange", "change1"):
            k = lambda tool: (mode, tree, case, tool)
            if k("base") not in rows:
                continue
            print(f"| {tree} | {case} | {med(k('zcp'), 0):.3f} | {med(k('base'), 0):.3f} "
                  f"| {med(k('zcp'), 1):.2f} | {med(k('zcp'), 2):.2f} "
                  f"| {med(k('base'), 1):.2f} | {med(k('base'), 2):.2f} | {len(rows[k('base')])} |")
PY

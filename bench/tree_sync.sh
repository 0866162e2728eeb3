#!/usr/bin/env bash
# tree_sync.sh: zcp get -r against rsync on three trees, into tmpfs, on
# 127.0.0.1. A benchmark, not a test: it prints numbers, it never fails on them.
#
# Tools, each pulling SRC into its own DEST:
#   zcp      zcp serve SRC  +  zcp get -r URL DEST
#   rsyncd   rsync --daemon (temp config, module = SRC)  +  rsync -a rsync://127.0.0.1:PORT/src/ DEST/
#   rsync    rsync -a SRC/ DEST/ (two local directories: the second anchor)
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
# daemon's reaped children, from /proc); local rsync has no server, its
# two processes are both the client's.
#
# Usage: bench/tree_sync.sh [-r ROUNDS] [-t "small big mixed"] [-d DIR] [-z ZCP]
#   -r  rounds, medians over them (3)     -t  trees (all three)
#   -d  scratch directory, should be tmpfs (/dev/shm/zcp-tree-bench)
# Run time with the defaults: about 4 minutes (most of it the big tree);
# needs ~5 GiB free in DIR. Markdown on stdout, progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3
TREES="small big mixed"
DIR=/dev/shm/zcp-tree-bench
ZCP=${ZCP:-build/zcp}
while getopts r:t:d:z: o; do
  case $o in
    r) ROUNDS=$OPTARG ;; t) TREES=$OPTARG ;; d) DIR=$OPTARG ;; z) ZCP=$OPTARG ;;
    *) sed -n 2,26p "$0" >&2; exit 2 ;;
  esac
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
    small)
      /usr/bin/python3 - "$d" <<'PY'
import os, sys
top = sys.argv[1]
block = os.urandom(4096 * 64)
for i in range(10000):
    sub = os.path.join(top, "d%02d" % (i % 100))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d" % i), "wb") as f:
        off = (i * 4096) % (len(block) - 4096)
        f.write(block[off:off + 4096])
PY
      ;;
    big)
      for i in $(seq -w 1 20); do head -c 100M /dev/urandom >"$d/big$i.bin"; done ;;
    mixed)
      /usr/bin/python3 - "$d" <<'PY'
import os, random, sys
top = sys.argv[1]
rnd = random.Random(15)
pool = os.urandom(64 << 20)
def put(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    off = rnd.randrange(0, len(pool) - size) if size < len(pool) else 0
    with open(path, "wb") as f:
        f.write(pool[off:off + size])
for i in range(2000):
    put(os.path.join(top, "src%d/mod%d/f%04d.txt" % (i % 10, i % 37, i)), rnd.randint(1024, 65536))
for i in range(100):
    put(os.path.join(top, "assets/img%03d.bin" % i), 1 << 20)
for i in range(8):
    put(os.path.join(top, "blobs/blob%d.bin" % i), 32 << 20)
PY
      ;;
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
  [ "$spid" != - ] && s1=$(cpu_of "$spid")
  awk -v a="$t0" -v b="$t1" -v c="$c" -v s0="$s0" -v s1="$s1" \
    'BEGIN { split(c, u, " "); printf "%.3f %.3f %.3f\n", b - a, u[1] + u[2], s1 - s0 }'
}

start_servers() {  # start_servers SRC: ZCP_URL, ZCP_PID, RSYNCD_URL, RSYNCD_PID
  : >"$DIR/zcp.log"
  "$ZCP" serve --listen 127.0.0.1:0 "$1" 2>>"$DIR/zcp.log" &
  ZCP_PID=$!
  PIDS+=("$ZCP_PID")
  ZCP_URL=""
  for _ in $(seq 100); do
    ZCP_URL=$(sed -n 's/^zcp serve: serving .* at \([^ ]*\) (engine.*/\1/p' "$DIR/zcp.log" | head -1)
    [ -n "$ZCP_URL" ] && break
    sleep 0.05
  done
  local port=$((20000 + RANDOM % 20000))
  cat >"$DIR/rsyncd.conf" <<CONF
pid file = $DIR/rsyncd.pid
use chroot = no
uid = root
gid = root
[src]
  path = $1
  read only = yes
CONF
  "$RSYNC" --daemon --no-detach --address=127.0.0.1 --port="$port" --config="$DIR/rsyncd.conf" &
  RSYNCD_PID=$!
  PIDS+=("$RSYNCD_PID")
  RSYNCD_URL="rsync://127.0.0.1:$port/src/"
  for _ in $(seq 100); do "$RSYNC" "$RSYNCD_URL" >/dev/null 2>&1 && break; sleep 0.05; done
}

stop_servers() {
  kill "$ZCP_PID" "$RSYNCD_PID" 2>/dev/null || true
  wait "$ZCP_PID" "$RSYNCD_PID" 2>/dev/null || true
}

run_tool() {  # run_tool TOOL SRC DEST: one sync, prints "wall client_cpu server_cpu"
  case $1 in
    zcp) timed "$ZCP_PID" "$ZCP" get -r -q "$ZCP_URL" "$3" ;;
    rsyncd) timed "$RSYNCD_PID" "$RSYNC" -a "$RSYNCD_URL" "$3/" ;;
    rsync) timed - "$RSYNC" -a "$2/" "$3/" ;;
  esac
}

RESULTS=$DIR/results.txt
: >"$RESULTS"
TOOLS=(zcp rsyncd rsync)
for tree in $TREES; do
  echo "== $tree: making the tree" >&2
  src=$DIR/src-$tree
  make_tree "$tree" "$src"
  start_servers "$src"
  for round in $(seq 1 "$ROUNDS"); do
    for k in 0 1 2; do
      tool=${TOOLS[$(((k + round) % 3))]}
      dest=$DIR/dest
      rm -rf "$dest"
      mkdir -p "$dest"
      echo "$tree first $tool $(run_tool "$tool" "$src" "$dest")" >>"$RESULTS"
      echo "$tree nochange $tool $(run_tool "$tool" "$src" "$dest")" >>"$RESULTS"
      change_one_percent "$src" "$((round * 3 + k))"
      echo "$tree change1 $tool $(run_tool "$tool" "$src" "$dest")" >>"$RESULTS"
      if ! diff -r -q "$src" "$dest" >/dev/null; then echo "WARNING: $tool's copy of $tree differs" >&2; fi
      rm -rf "$dest"
      echo "   round $round $tool done" >&2
    done
  done
  stop_servers
  rm -rf "$src"
done

/usr/bin/python3 - "$RESULTS" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    tree, case, tool, wall, client, server = line.split()
    rows[(tree, case, tool)].append((float(wall), float(client), float(server)))
def med(tree, case, tool, i):
    v = rows.get((tree, case, tool))
    return statistics.median(x[i] for x in v) if v else float("nan")
print("| tree | case | zcp s | rsync daemon s | rsync local s | zcp vs daemon "
      "| zcp client CPU s | zcp server CPU s | daemon client CPU s | daemon server CPU s "
      "| local CPU s | runs |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for tree in ("small", "big", "mixed"):
    for case in ("first", "nochange", "change1"):
        if (tree, case, "zcp") not in rows:
            continue
        z, d, l = (med(tree, case, t, 0) for t in ("zcp", "rsyncd", "rsync"))
        zc, zs = med(tree, case, "zcp", 1), med(tree, case, "zcp", 2)
        dc, ds = med(tree, case, "rsyncd", 1), med(tree, case, "rsyncd", 2)
        lc = med(tree, case, "rsync", 1)
        print(f"| {tree} | {case} | {z:.3f} | {d:.3f} | {l:.3f} | {d / z:.2f}x faster "
              f"| {zc:.2f} | {zs:.2f} | {dc:.2f} | {ds:.2f} | {lc:.2f} | {len(rows[(tree, case, 'zcp')])} |")
PY

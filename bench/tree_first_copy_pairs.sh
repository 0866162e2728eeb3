#!/bin/bash
# tree_first_copy_pairs.sh [ROUNDS] [BEFORE_ZCP]: interleaved first copies
# of bench/tree_sync.sh's small tree (10,000 x 4 KiB) into tmpfs with
# BEFORE_ZCP (serve + get -r, default /work/main/build/zcp), build/zcp
# -j 1 and build/zcp at its default streams; wall and client CPU medians.
# ORDER="wt-j2 wt-j1 main" changes the order within a round. A benchmark, not a test.
set -u
D=/dev/shm/zcp-first-copy-pairs
rm -rf $D; mkdir -p $D
/usr/bin/python3 "$(dirname "$0")/make_tree.py" small $D/src
start() { "$1" serve --listen 127.0.0.1:0 $D/src >/dev/null 2>$D/$2.log & echo $! >$D/$2.pid
  for _ in $(seq 100); do u=$(sed -n 's/^zcp serve: serving .* at \([^ ]*\) (engine.*/\1/p' $D/$2.log); [ -n "$u" ] && break; sleep 0.05; done; echo $u; }
cd "$(dirname "$0")/.."
MAIN=${2:-/work/main/build/zcp}; WT=$(realpath build/zcp)
UM=$(start $MAIN main); UW=$(start $WT wt)
echo "load before: $(uptime)"
for i in $(seq 1 ${1:-7}); do
  for v in ${ORDER:-main wt-j1 wt-j2}; do
    rm -rf $D/dst
    case $v in
      main) cmd=($MAIN get -r -q $UM $D/dst) ;;
      wt-j1) cmd=($WT get -r -q -j 1 $UW $D/dst) ;;
      wt-j2) cmd=($WT get -r -q $UW $D/dst) ;;
    esac
    /usr/bin/time -f "$v %e %U %S" "${cmd[@]}" 2>>$D/times
    diff -rq $D/src $D/dst >/dev/null || echo "DIFF in $v"
  done
done
echo "load after: $(uptime)"
kill $(cat $D/main.pid) $(cat $D/wt.pid)
python3 - $D/times <<'PY'
import sys, statistics, collections
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    v, e, u, s = line.split(); d[v].append((float(e), float(u)+float(s)))
for v, xs in d.items():
    print(v, "wall", " ".join("%.3f" % e for e, _ in xs), "median %.3f" % statistics.median(e for e, _ in xs),
          "| client cpu median %.3f" % statistics.median(c for _, c in xs))
PY
rm -rf $D

#!/usr/bin/env bash
# tree_builds.sh: the server side of one tree pull, zcp builds side by side.
# One `zcp serve --workers 1 TREE` per LABEL; each round pulls TREE once
# from each (order rotated) with `zcp get -r` (always the CLIENT build) into
# a fresh DEST beside TREE, checked with diff -r; prints per LABEL the
# median wall time, the server's CPU (utime+stime from /proc) and the
# client's. ENV (NAME=VALUE, or - for none) is set for that server only.
# A benchmark, not a test.
#
# Usage: bench/tree_builds.sh TREE ROUNDS LABEL=ENV:BINARY ...
#   CLIENT=build/zcp (default) is the client for every pull.
# Example (docs/BENCHMARKS.md section 5, "tar members by pread"):
#   bench/tree_builds.sh /dev/shm/small 5 before=-:/tmp/zcp-old after=-:build/zcp
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,14p "$0" >&2; exit 2; }
TREE=$(realpath "$1")
ROUNDS=$2
shift 2
CLIENT=$(realpath "${CLIENT:-$(dirname "$0")/../build/zcp}")
W=$(mktemp -d "$(dirname "$TREE")/tree-builds-XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
labels=() urls=()
for spec in "$@"; do
  label=${spec%%=*} rest=${spec#*=}
  envs=${rest%%:*} bin=${rest#*:}
  [ "$envs" = - ] && envs=ZCP_TREE_BUILDS=1
  env "$envs" "$bin" serve --workers 1 --listen 127.0.0.1:0 "$TREE" 2>"$W/$label.log" &
  PIDS+=($!)
  url=""
  for _ in $(seq 100); do
    url=$(sed -n 's/^zcp serve: serving .* at \([^ ]*\) (engine.*/\1/p' "$W/$label.log" | head -1)
    [ -n "$url" ] && break
    sleep 0.05
  done
  labels+=("$label") urls+=("$url")
done
hz=$(getconf CLK_TCK)
cpu() { awk -v hz="$hz" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
n=${#labels[@]}
for r in $(seq "$ROUNDS"); do
  for k in $(seq 0 $((n - 1))); do
    i=$(((k + r) % n))
    rm -rf "$W/dest"
    mkdir "$W/dest"
    s0=$(cpu "${PIDS[$i]}")
    t0=$(date +%s.%N)
    /usr/bin/time -o "$W/time" -f '%U %S' "$CLIENT" get -r -q "${urls[$i]}" "$W/dest"
    t1=$(date +%s.%N)
    s1=$(cpu "${PIDS[$i]}")
    diff -r -q "$TREE" "$W/dest" >/dev/null || echo "WARNING: ${labels[$i]}'s copy differs" >&2
    awk -v l="${labels[$i]}" -v a="$t0" -v b="$t1" -v s0="$s0" -v s1="$s1" -v c="$(tail -1 "$W/time")" \
      'BEGIN { split(c, u, " "); printf "%s %.3f %.3f %.3f\n", l, b - a, s1 - s0, u[1] + u[2] }' >>"$W/results"
  done
done
/usr/bin/python3 - "$W/results" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, wall, server, client = line.split()
    rows[label].append((float(wall), float(server), float(client)))
for label, v in rows.items():
    m = lambda i: statistics.median(x[i] for x in v)
    runs = " ".join("%.2f" % x[1] for x in v)
    print(f"{label:12s} wall {m(0):.3f} s  server CPU {m(1):.3f} s  client CPU {m(2):.3f} s  "
          f"(n={len(v)}; server CPU each run: {runs})")
PY

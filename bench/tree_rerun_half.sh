#!/usr/bin/env bash
# tree_rerun_half.sh: a pull re-run after half of the 10,000 x 4 KiB tree
# changed (every other file: new bytes, same size, new mtime), zcp get -r
# against rsync -a from an rsync daemon, on 127.0.0.1 into tmpfs. Each
# round DEST starts as a copy of the tree before the change; the two
# tools' order alternates; every copy is checked with diff -r. Prints one
# line per run: tool, wall s, client CPU s, server CPU s. A benchmark,
# not a test (issue 15: zcp asked one GET per changed file; now batches).
# BASE=another zcp build adds it as a third tool ("zcp-base", its own
# zcp serve on the same tree), interleaved with the other two.
#
# Usage: bench/tree_rerun_half.sh [ROUNDS (3)]   ZCP=build/zcp DIR=/dev/shm/zcp-half BASE=
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-3}
Z=$(realpath "${ZCP:-build/zcp}")
W=${DIR:-/dev/shm/zcp-half}
rm -rf "$W"
mkdir -p "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
/usr/bin/python3 "$(dirname "$0")/make_tree.py" small "$W/src"
"$Z" serve --listen 127.0.0.1:0 "$W/src" 2>"$W/zcp.log" &
ZP=$!
PIDS+=("$ZP")
url_of() {  # url_of LOG: the URL zcp serve's startup line names
  local u=""
  for _ in $(seq 100); do
    u=$(sed -n 's/^zcp serve: serving .* at \([^ ]*\) (engine.*/\1/p' "$1" | head -1)
    [ -n "$u" ] && break
    sleep 0.05
  done
  echo "$u"
}
URL=$(url_of "$W/zcp.log")
B=""
if [ -n "${BASE:-}" ]; then
  B=$(realpath "$BASE")
  "$B" serve --listen 127.0.0.1:0 "$W/src" 2>"$W/base.log" &
  BP=$!
  PIDS+=("$BP")
  BURL=$(url_of "$W/base.log")
fi
port=$((20000 + RANDOM % 20000))
printf 'pid file = %s\nuse chroot = no\nuid = %s\ngid = %s\n[src]\n  path = %s\n  read only = yes\n' \
  "$W/rsyncd.pid" "$(id -u)" "$(id -g)" "$W/src" >"$W/rsyncd.conf"
/usr/bin/rsync --daemon --no-detach --address=127.0.0.1 --port="$port" --config="$W/rsyncd.conf" &
RP=$!
PIDS+=("$RP")
for _ in $(seq 100); do /usr/bin/rsync "rsync://127.0.0.1:$port/src/" >/dev/null 2>&1 && break; sleep 0.05; done
hz=$(getconf CLK_TCK)
cpu() { awk -v hz="$hz" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat"; }
for r in $(seq "$R"); do
  rm -rf "$W/old"
  cp -a "$W/src" "$W/old"
  /usr/bin/python3 - "$W/src" "$r" <<'PY'
import os, sys, time
top, r = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(a, f) for a, _, fs in os.walk(top) for f in fs)
later = time.time() + 10 + r
for p in files[r % 2::2]:
    with open(p, "r+b") as f:
        f.write(os.urandom(4096))
    os.utime(p, (later, later))
PY
  order="zcp rsyncd"
  [ $((r % 2)) -eq 0 ] && order="rsyncd zcp"
  if [ -n "$B" ]; then
    case $((r % 3)) in
      1) order="zcp zcp-base rsyncd" ;; 2) order="zcp-base rsyncd zcp" ;; 0) order="rsyncd zcp zcp-base" ;;
    esac
  fi
  for tool in $order; do
    rm -rf "$W/dest"
    cp -a "$W/old" "$W/dest"
    if [ "$tool" = zcp ]; then
      sp=$ZP cmd=("$Z" get -r -q "$URL" "$W/dest")
    elif [ "$tool" = zcp-base ]; then
      sp=$BP cmd=("$B" get -r -q "$BURL" "$W/dest")
    else
      sp=$RP cmd=(/usr/bin/rsync -a "rsync://127.0.0.1:$port/src/" "$W/dest/")
    fi
    s0=$(cpu "$sp")
    t0=$(date +%s.%N)
    /usr/bin/time -o "$W/time" -f '%U %S' "${cmd[@]}"
    t1=$(date +%s.%N)
    sleep 0.2  # the daemon reaps its connection's process
    s1=$(cpu "$sp")
    diff -r -q "$W/src" "$W/dest" >/dev/null || echo "WARNING: $tool's copy differs" >&2
    awk -v l="$tool" -v a="$t0" -v b="$t1" -v s0="$s0" -v s1="$s1" -v c="$(tail -1 "$W/time")" \
      'BEGIN { split(c, u, " "); printf "%s %.3f %.2f %.2f\n", l, b - a, u[1] + u[2], s1 - s0 }'
  done
done

#!/usr/bin/env bash
# Where a download to disk waits (issue 11): a file served from tmpfs by
# `zcp serve` is fetched onto a real disk by zcp with 1, 2 and 4 streams and
# by curl, interleaved, `sync` before each run. Beside each wall time it
# prints what the kernel says the run waited on: the growth of
# /proc/pressure/{io,memory} ("some" stall time, ms) and of /proc/vmstat's
# direct reclaim counter, and the client's CPU time and context switches
# (wall time far above CPU time with many voluntary switches: it slept).
#
#   bench/disk_landing.sh [-s SIZE] [-r RUNS] [-d DIR_ON_DISK]
#
# DIR_ON_DISK must be on the disk under test (default /var/tmp/zcp-landing);
# the served copy lives in /dev/shm so the sender never touches the disk.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=2G
RUNS=5
DEST=/var/tmp/zcp-landing
while getopts "s:r:d:" opt; do
  case $opt in
    s) SIZE=$OPTARG ;;
    r) RUNS=$OPTARG ;;
    d) DEST=$OPTARG ;;
    *) echo "usage: $0 [-s SIZE] [-r RUNS] [-d DIR_ON_DISK]" >&2; exit 2 ;;
  esac
done

ZCP=${ZCP:-build/zcp}
PORT=${PORT:-18950}
SRC=$(mktemp -d /dev/shm/zcp-landing.XXXXXX)
mkdir -p "$DEST"
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$SRC" "$DEST"/landing.bin "$DEST"/landing.bin.*
}
trap cleanup EXIT

head -c "$SIZE" /dev/urandom >"$SRC/landing.bin"
"$ZCP" serve -q --listen 127.0.0.1:$PORT "$SRC" &
server=$!
for _ in $(seq 50); do curl -sfI "http://127.0.0.1:$PORT/landing.bin" >/dev/null && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT/landing.bin

# "some" stall time in ms from a PSI file.
psi_ms() { awk '/^some/ { sub("total=", "", $5); print int($5 / 1000) }' "$1"; }
vm() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
# Direct reclaim: pages the writer itself had to scan to find memory.
direct_scan() { echo $(( $(vm pgscan_direct) )); }

run() {  # run NAME CMD...: one measured fetch, its stalls beside it
  local name=$1; shift
  rm -f "$DEST/landing.bin"; sync
  local io0 mem0 scan0 t0 t1
  io0=$(psi_ms /proc/pressure/io); mem0=$(psi_ms /proc/pressure/memory)
  scan0=$(direct_scan)
  t0=$(date +%s%N)
  /usr/bin/time -o "$SRC/time" -f "%U %S %w %c" "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  local user sys vol invol
  read -r user sys vol invol <"$SRC/time"
  cmp -s "$SRC/landing.bin" "$DEST/landing.bin" || { echo "$name: bytes differ" >&2; exit 1; }
  printf '| %s | %.3f | %.2f | %d | %d | %d | %d | %d | %.2f |\n' "$name" \
    "$(echo "($t1 - $t0) / 1000000000" | bc -l)" "$(echo "$user + $sys" | bc -l)" "$vol" "$invol" \
    $(( $(psi_ms /proc/pressure/io) - io0 )) $(( $(psi_ms /proc/pressure/memory) - mem0 )) \
    $(( $(direct_scan) - scan0 )) "$(cut -d' ' -f1 /proc/loadavg)"
}

echo "size $SIZE, $RUNS runs, into $DEST ($(df -T "$DEST" | awk 'NR==2 { print $2 }')), dirty_ratio $(sysctl -n vm.dirty_ratio)"
echo
echo "| client | seconds | client CPU s | voluntary switches | involuntary | io stall ms | memory stall ms | direct-reclaim pages | load avg |"
echo "|---|---|---|---|---|---|---|---|---|"
for _ in $(seq "$RUNS"); do
  run "zcp -j 1" "$ZCP" get -q -j 1 "$URL" -o "$DEST/landing.bin"
  run "zcp -j 2" "$ZCP" get -q -j 2 "$URL" -o "$DEST/landing.bin"
  run "zcp -j 4" "$ZCP" get -q -j 4 "$URL" -o "$DEST/landing.bin"
  run "curl" curl -s -o "$DEST/landing.bin" "$URL"
done

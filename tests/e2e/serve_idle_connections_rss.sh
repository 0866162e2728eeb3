#!/usr/bin/env bash
# What 1000 idle keep-alive connections cost the server in memory, on both
# loops: each connection makes one 4 KiB GET and stays open; the server's
# VmRSS then, minus its VmRSS after a warm-up round (300 connections, then
# closed: the file cache, the io_uring receive-buffer pool and malloc's
# arenas are in use by then), is at most 3 KiB per connection on io_uring
# and on epoll (docs/DESIGN.md "The io_uring loop": about 2.5 KiB, the
# Connection, its parser and buffers; io_uring holds no receive buffer per
# connection, its pool is per worker). Then they close and the server's
# descriptors are back where they were.
source "$(dirname "$0")/../support/e2e.sh"
ulimit -n 8192
mkdir "$SCRATCH/root"
head -c 4096 /dev/urandom >"$SCRATCH/root/f.bin"
CONNS=1000
MAX_PER_CONN_BYTES=3072
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }

for loop in io_uring epoll; do
  start_server --workers 2 --event-loop "$loop" --quiet "$SCRATCH/root"
  grep -q "event loop $loop)" "$SCRATCH/server.log" || skip "$loop unavailable: $(cat "$SCRATCH/server.log")"
  fds_before=$(ls "/proc/$SERVER_PID/fd" | wc -l)
  echo quit | $PY "$ZCP_SOURCE_DIR/tests/support/many_connections.py" "$ADDR" /f.bin 4096 300 0 >"$SCRATCH/warm.out" 2>&1 ||
    fail "$loop warm-up: $(cat "$SCRATCH/warm.out")"
  sleep 0.3
  before=$(rss_kib)

  mkfifo "$SCRATCH/cmd-$loop"
  $PY "$ZCP_SOURCE_DIR/tests/support/many_connections.py" "$ADDR" /f.bin 4096 "$CONNS" 0 \
    <"$SCRATCH/cmd-$loop" >"$SCRATCH/client.out" 2>&1 &
  client=$!
  on_exit "kill $client"
  exec 3>"$SCRATCH/cmd-$loop"
  echo hold >&3
  for _ in $(seq 400); do
    grep -q '^held$' "$SCRATCH/client.out" && break
    kill -0 "$client" 2>/dev/null || fail "$loop client failed: $(cat "$SCRATCH/client.out")"
    sleep 0.05
  done
  grep -q "^ok $CONNS$" "$SCRATCH/client.out" || fail "$loop: not every request answered: $(cat "$SCRATCH/client.out")"
  sleep 0.3
  held=$(rss_kib)
  echo quit >&3
  exec 3>&-
  wait "$client" || fail "$loop client exited $?: $(cat "$SCRATCH/client.out")"
  per_conn=$(((held - before) * 1024 / CONNS))
  echo "$loop: RSS $before KiB after the warm-up, $held KiB with $CONNS idle connections: $per_conn bytes each"
  [ "$per_conn" -le "$MAX_PER_CONN_BYTES" ] ||
    fail "$loop: $per_conn bytes per idle connection ($before -> $held KiB for $CONNS), want <= $MAX_PER_CONN_BYTES"

  for _ in $(seq 100); do
    [ "$(ls "/proc/$SERVER_PID/fd" | wc -l)" -le "$fds_before" ] && break
    sleep 0.05
  done
  fds_after=$(ls "/proc/$SERVER_PID/fd" | wc -l)
  [ "$fds_after" -le "$fds_before" ] || fail "$loop: descriptors $fds_before before, $fds_after after the connections closed"
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || fail "$loop server exited $?: $(cat "$SCRATCH/server.log")"
done
echo ok

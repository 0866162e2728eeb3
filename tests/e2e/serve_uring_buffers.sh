#!/usr/bin/env bash
# The io_uring loop's receive-buffer pool runs dry and nothing stalls or is
# lost: one worker with 2 buffers (the test hook ZCP_TEST_URING_BUFFERS) and
# 200 keep-alive connections. The server is stopped (SIGSTOP) while every
# connection sends a 12 KiB request head, so on SIGCONT all 200 multishot
# RECVs find data at once and nearly all end with ENOBUFS; each must be
# re-armed and every request answered with the whole file. Then the
# connections close and the server's descriptors are back where they were.
source "$(dirname "$0")/../support/e2e.sh"
ulimit -n 4096
mkdir "$SCRATCH/root"
head -c 4096 /dev/urandom >"$SCRATCH/root/c.bin"
ZCP_TEST_URING_BUFFERS=2 start_server --workers 1 --event-loop io_uring --quiet "$SCRATCH/root"
grep -q 'event loop io_uring)' "$SCRATCH/server.log" || skip "io_uring unavailable: $(cat "$SCRATCH/server.log")"
fds_before=$(ls "/proc/$SERVER_PID/fd" | wc -l)

mkfifo "$SCRATCH/cmd"
$PY "$ZCP_SOURCE_DIR/tests/support/many_connections.py" "$ADDR" /c.bin 4096 200 <"$SCRATCH/cmd" >"$SCRATCH/client.out" 2>&1 &
client=$!
on_exit "kill -CONT $SERVER_PID; kill $client"
exec 3>"$SCRATCH/cmd"
rounds_done() { grep -c '^ok 200$' "$SCRATCH/client.out" || true; }
wait_rounds() { # N: until the client has finished N rounds, 20 s at most
  for _ in $(seq 400); do
    [ "$(rounds_done)" -ge "$1" ] && return 0
    kill -0 "$client" 2>/dev/null || fail "client failed: $(cat "$SCRATCH/client.out")"
    sleep 0.05
  done
  fail "round $1 not answered in 20 s (stalled): $(cat "$SCRATCH/client.out")"
}
wait_rounds 1

for round in 2 3; do
  kill -STOP "$SERVER_PID"
  echo round >&3
  sleep 0.5  # every request in the server's socket buffers
  kill -CONT "$SERVER_PID"
  wait_rounds "$round"
done
echo quit >&3
exec 3>&-
wait "$client" || fail "client exited $?: $(cat "$SCRATCH/client.out")"

for _ in $(seq 100); do
  [ "$(ls "/proc/$SERVER_PID/fd" | wc -l)" -le "$fds_before" ] && break
  sleep 0.05
done
fds_after=$(ls "/proc/$SERVER_PID/fd" | wc -l)
[ "$fds_after" -le "$fds_before" ] || fail "server descriptors: $fds_before before, $fds_after after the connections closed"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server exited $?: $(cat "$SCRATCH/server.log")"
echo ok

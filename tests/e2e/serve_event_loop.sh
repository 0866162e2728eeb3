#!/usr/bin/env bash
# --event-loop io_uring (the default): the startup line names the loop in
# use; it serves the same bytes as epoll; where io_uring is unavailable
# (forced with the test hook ZCP_TEST_IO_URING_UNAVAILABLE, as a sysctl
# would need root) or when asked for with TLS the server says why and runs
# epoll; TLS without --event-loop runs epoll without a note; ZCP_EVENT_LOOP
# sets the default; a bad value is a usage error.
source "$(dirname "$0")/../support/e2e.sh"
unset ZCP_EVENT_LOOP
mkdir "$SCRATCH/root"
head -c 4096 /dev/urandom >"$SCRATCH/root/small.bin"
head -c $((3 << 20)) /dev/urandom >"$SCRATCH/root/big.bin"

check_bytes() {
  local f
  for f in small.bin big.bin small.bin; do
    curl -sf "${URL}$f" -o "$SCRATCH/got" || fail "GET $f failed ($1)"
    cmp -s "$SCRATCH/got" "$SCRATCH/root/$f" || fail "$f differs ($1)"
  done
  # Keep-alive: three requests, one connection.
  got=$(curl -s -w "%{num_connects} " -o /dev/null "${URL}small.bin" -o /dev/null "${URL}big.bin" -o /dev/null "${URL}small.bin")
  [ "$(echo $got)" = "1 0 0" ] || fail "keep-alive connections: $got ($1)"
}

start_server --workers 2 --event-loop io_uring "$SCRATCH/root"
grep -q 'event loop io_uring)' "$SCRATCH/server.log" || fail "io_uring not in use: $(cat "$SCRATCH/server.log")"
check_bytes io_uring
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "io_uring server exited $?"

start_server --event-loop epoll "$SCRATCH/root"
grep -q 'event loop epoll)' "$SCRATCH/server.log" || fail "epoll not named: $(cat "$SCRATCH/server.log")"
check_bytes epoll
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true

start_server "$SCRATCH/root"
grep -q 'event loop io_uring)' "$SCRATCH/server.log" || fail "io_uring is not the default: $(cat "$SCRATCH/server.log")"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true

ZCP_EVENT_LOOP=epoll start_server "$SCRATCH/root"
grep -q 'event loop epoll)' "$SCRATCH/server.log" || fail "ZCP_EVENT_LOOP ignored: $(cat "$SCRATCH/server.log")"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true

ZCP_TEST_IO_URING_UNAVAILABLE=1 start_server "$SCRATCH/root"
grep -q '^zcp serve: io_uring unavailable (.*): using epoll$' "$SCRATCH/server.log" ||
  fail "no fallback note by default: $(cat "$SCRATCH/server.log")"
grep -q 'event loop epoll)' "$SCRATCH/server.log" || fail "default fallback is not epoll: $(cat "$SCRATCH/server.log")"
check_bytes default-fallback
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true

start_server --tls-self-signed "$SCRATCH/root"
grep -q 'event loop epoll,' "$SCRATCH/server.log" || fail "TLS default is not epoll: $(cat "$SCRATCH/server.log")"
! grep -q 'io_uring' "$SCRATCH/server.log" || fail "a TLS server by default mentions io_uring: $(cat "$SCRATCH/server.log")"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true

ZCP_TEST_IO_URING_UNAVAILABLE=1 start_server --event-loop io_uring "$SCRATCH/root"
grep -q '^zcp serve: io_uring unavailable (.*): using epoll$' "$SCRATCH/server.log" ||
  fail "no fallback note: $(cat "$SCRATCH/server.log")"
grep -q 'event loop epoll)' "$SCRATCH/server.log" || fail "fallback is not epoll: $(cat "$SCRATCH/server.log")"
check_bytes fallback
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true

start_server --tls-self-signed --event-loop io_uring "$SCRATCH/root"
grep -q '^zcp serve: io_uring is not used with TLS yet: using epoll$' "$SCRATCH/server.log" ||
  fail "no TLS note: $(cat "$SCRATCH/server.log")"
curl -sfk "${URL}small.bin" -o "$SCRATCH/got" && cmp -s "$SCRATCH/got" "$SCRATCH/root/small.bin" ||
  fail "https GET with the TLS fallback failed"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true

expect_exit 2 "$ZCP" serve --event-loop kqueue "$SCRATCH/root"
expect_stderr "event-loop"
echo ok

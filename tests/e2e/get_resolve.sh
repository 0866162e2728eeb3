#!/usr/bin/env bash
# A name with several addresses: zcp get tries them in the resolver's
# order until one connects. "dual" resolves to ::1 first, then 127.0.0.1
# (an /etc/hosts of its own, bind-mounted in a private mount namespace),
# and the server listens on only one of the two.
source "$(dirname "$0")/../support/e2e.sh"
[ "$(id -u)" = 0 ] || skip "a private /etc/hosts needs root"
command -v unshare >/dev/null || skip "no unshare"
printf '::1 dual\n127.0.0.1 dual\n' >"$SCRATCH/hosts"
mkdir -p "$SCRATCH/root"
echo "two addresses, one server" >"$SCRATCH/root/a.txt"
in_ns() { unshare --mount sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$SCRATCH/hosts" "$@"; }
in_ns getent ahosts dual | head -1 | grep -q '^::1 ' || skip "the resolver does not list ::1 first for dual"

for listen in 127.0.0.1:0 '[::1]:0'; do
  start_server --listen "$listen" "$SCRATCH/root"
  port=${ADDR##*:}
  in_ns "$ZCP" get -q "http://dual:$port/a.txt" "$SCRATCH/got.txt" 2>"$SCRATCH/err" ||
    fail "get via dual with the server on $listen: $(cat "$SCRATCH/err")"
  cmp "$SCRATCH/got.txt" "$SCRATCH/root/a.txt" || fail "bytes differ ($listen)"
  rm -f "$SCRATCH/got.txt"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
done
# Nothing listening on either: the error names the last address tried.
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 7 in_ns "$ZCP" get -q "http://dual:$port/a.txt" "$SCRATCH/got.txt"
expect_stderr "127.0.0.1:$port"
echo ok

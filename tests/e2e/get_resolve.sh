#!/usr/bin/env bash
# Name resolution. A name with several addresses: zcp get tries them in the
# resolver's order until one connects ("dual" resolves to ::1 first, then
# 127.0.0.1, from an /etc/hosts of its own bind-mounted in a private mount
# namespace; the server listens on only one of the two). A DNS server that
# never answers costs --timeout, not the resolver's own retries.
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

# A name server that reads queries and never answers, on 127.0.0.1:53 of a
# private network namespace, is the only one in a private resolv.conf.
printf 'nameserver 127.0.0.1\n' >"$SCRATCH/resolv.conf"
cat >"$SCRATCH/silent_dns.py" <<'PYEOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open(sys.argv[1], "w").close()
while True:
    s.recvfrom(4096)
PYEOF
cat >"$SCRATCH/slow_dns.sh" <<'SHEOF'
set -e
ip link set lo up
mount --bind "$1/resolv.conf" /etc/resolv.conf
"$2" "$1/silent_dns.py" "$1/dns.ready" </dev/null >/dev/null 2>&1 &
dns=$!
trap 'kill $dns 2>/dev/null' EXIT
for _ in $(seq 100); do [ -e "$1/dns.ready" ] && break; sleep 0.05; done
[ -e "$1/dns.ready" ] || { echo "silent DNS server did not start"; exit 1; }
start=$(date +%s%N)
rc=0
timeout 30 "$3" get -q --timeout 1 http://nowhere.zcp-test:8080/x "$1/x" 2>"$1/dns.err" || rc=$?
echo "$rc $((($(date +%s%N) - start) / 1000000))"
SHEOF
out=$(timeout 60 unshare --net --mount bash "$SCRATCH/slow_dns.sh" "$SCRATCH" "$PY" "$ZCP") ||
  fail "the DNS namespace failed: $out"
read -r rc ms <<<"$out"
[ "$rc" = 7 ] || fail "a silent DNS server: exit $rc, want 7: $(cat "$SCRATCH/dns.err")"
grep -q "resolve nowhere.zcp-test.*no answer within 1000 ms" "$SCRATCH/dns.err" || fail "message: $(cat "$SCRATCH/dns.err")"
[ "$ms" -lt 5000 ] || fail "a silent DNS server held zcp get for $ms ms (--timeout 1; the resolver alone takes ~20 s)"
echo ok

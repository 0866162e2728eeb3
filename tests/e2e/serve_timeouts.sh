#!/usr/bin/env bash
# Slowloris and idle connections are closed after their timeouts while a
# normal client is served at once; beyond --max-connections new clients get
# a clean 503; a client that disconnects mid-body costs no descriptor.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
echo hi >"$SCRATCH/root/f.txt"
head -c $((64 << 20)) /dev/zero >"$SCRATCH/root/big.bin"
start_server --header-timeout 1 --idle-timeout 2 --max-connections 50 --workers 2 "$SCRATCH/root"

fds() { ls /proc/"$SERVER_PID"/fd | wc -l; }
base=$(fds)
# 40 slowloris clients: a partial head, then nothing.
$PY - "$ADDR" <<'PYEOF' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
socks = []
for _ in range(40):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET /f.txt HTTP/1.1\r\nHost: x\r\nX-a: ")
    socks.append(s)
time.sleep(4)
closed = 0
for s in socks:
    s.settimeout(0.5)
    try:
        if s.recv(100) == b"":
            closed += 1
    except OSError:
        closed += 1
sys.exit(0 if closed == 40 else 1)
PYEOF
SLOW=$!
sleep 0.5
curl -sf --max-time 2 "${URL}f.txt" | grep -q hi || fail "normal client not served beside slowloris"
wait "$SLOW" || fail "slowloris connections were not closed by the header timeout"

# Over the limit: 60 idle connections, some must get 503 and a close.
$PY - "$ADDR" <<'PYEOF' || fail "no clean 503 beyond --max-connections"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
socks = [socket.create_connection((host, int(port))) for _ in range(60)]
refused = 0
for s in socks:
    s.settimeout(0.3)
    try:
        data = s.recv(200)
        if data.startswith(b"HTTP/1.1 503"):
            refused += 1
    except OSError:
        pass
sys.exit(0 if refused >= 10 else 1)
PYEOF
sleep 2.5  # idle timeout closes the rest
[ "$(fds)" -le "$base" ] || fail "descriptors left after idle timeout: $(fds) > $base"

# A client that goes away mid-body: connection closed, one log line.
curl -s --max-time 0.2 --limit-rate 1M -o /dev/null "${URL}big.bin" || true
sleep 0.5
[ "$(fds)" -le "$base" ] || fail "descriptor leaked after client disconnect"
[ "$(grep -c 'big.bin' "$SCRATCH/server.log")" -le 2 ] || fail "log spam: $(grep big.bin "$SCRATCH/server.log")"
curl -sf "${URL}f.txt" | grep -q hi || fail "server unwell afterwards"
echo ok

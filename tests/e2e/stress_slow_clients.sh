#!/usr/bin/env bash
# 500 slow clients at once (250 slowloris sending half a request head, 250
# that ask for a large file and never read) do not keep normal clients
# waiting, and the header and send timeouts close every one of them: the
# clients see EOF or a reset, the server's descriptors return to baseline.
source "$(dirname "$0")/../support/e2e.sh"
ulimit -n 4096 || skip "cannot raise ulimit -n to 4096"  # 500 sockets a side, and more
mkdir "$SCRATCH/root"
echo hello-slow >"$SCRATCH/root/f.txt"
truncate -s 256M "$SCRATCH/root/big.bin"  # sparse: the content does not matter
: >"$SCRATCH/server.log"  # start_server may read it before the child opens it
start_server --header-timeout 2 --send-timeout 3 --workers 2 "$SCRATCH/root"

fds() { ls /proc/"$SERVER_PID"/fd | wc -l; }
base=$(fds)

# The slow clients: connect them all, create $SCRATCH/ready, hold still until
# $SCRATCH/go exists (reading before the server gives up would be progress and
# restart its send timeout), then drain every socket until EOF or a reset
# within 10 s. A reader may receive what sat in the socket buffers, never
# the whole 256 MiB.
timeout 60 $PY - "$ADDR" "$SCRATCH" >"$SCRATCH/slow.out" 2>&1 <<'PYEOF' &
import os, selectors, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
scratch = sys.argv[2]
N, BIG = 250, 256 << 20
socks = []
for i in range(2 * N):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)  # bounds the kernel's buffering
    s.connect((host, int(port)))
    if i < N:
        s.sendall(b"GET /f.txt HTTP/1.1\r\nHost: x\r\nX-slow: ")  # slowloris
    else:
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")  # reader that never reads
    socks.append(s)
open(os.path.join(scratch, "ready"), "w").close()
t0 = time.monotonic()
while not os.path.exists(os.path.join(scratch, "go")) and time.monotonic() < t0 + 30:
    time.sleep(0.05)
sel = selectors.DefaultSelector()
got = {}
for s in socks:
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    got[s] = 0
open_, deadline = set(socks), time.monotonic() + 10
while open_ and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        try:
            data = s.recv(1 << 20)
        except BlockingIOError:
            continue
        except ConnectionError:
            data = b""
        got[s] += len(data)
        if not data:
            sel.unregister(s)
            open_.discard(s)
whole = [s for s in socks[N:] if got[s] >= BIG]
print("after %.1f s: slowloris still open: %d/%d, readers still open: %d/%d, readers given the whole file: %d"
      % (time.monotonic() + 10 - deadline, len(open_ & set(socks[:N])), N, len(open_ & set(socks[N:])), N, len(whole)))
sys.exit(0 if not open_ and not whole else 1)
PYEOF
SLOW=$!
on_exit "kill $SLOW"
for _ in $(seq 200); do
  [ -e "$SCRATCH/ready" ] && break
  kill -0 "$SLOW" 2>/dev/null || fail "slow clients failed: $(cat "$SCRATCH/slow.out")"
  sleep 0.1
done
[ -e "$SCRATCH/ready" ] || fail "slow clients did not connect in 20 s"
ready_at=$EPOCHREALTIME
# Each slow client costs the server a socket, each reader also its open file.
for _ in $(seq 20); do
  [ "$(fds)" -ge $((base + 500)) ] && break
  sleep 0.05
done
[ "$(fds)" -ge $((base + 500)) ] || fail "server holds $(fds) descriptors ($base idle): the 500 are not in"

# Normal clients beside them: 10 in a row, each served, each in under 1 s.
slowest=0
for i in $(seq 10); do
  t=$(curl -s --max-time 2 -o "$SCRATCH/small" -w '%{http_code} %{time_total}' "${URL}f.txt") ||
    fail "normal client $i beside 500 slow ones failed: $t"
  [ "${t%% *}" = 200 ] && [ "$(cat "$SCRATCH/small")" = hello-slow ] || fail "normal client $i got $t"
  awk -v s="${t#* }" 'BEGIN { exit !(s < 1.0) }' || fail "normal client $i took ${t#* } s"
  slowest=$(awk -v a="$slowest" -v b="${t#* }" 'BEGIN { print (b > a ? b : a) }')
done
echo "10 normal clients beside the 500 slow ones: slowest ${slowest} s"
[ "$(fds)" -ge $((base + 500)) ] || fail "the slow clients were dropped before the normal ones ran"

# The timeouts (2 s for the head, 3 s without send progress) close all 500:
# within 10 s the server is back to its idle descriptor count.
for _ in $(seq 100); do
  [ "$(fds)" -le $((base + 2)) ] && break
  sleep 0.1
done
[ "$(fds)" -le $((base + 2)) ] || fail "server still holds $(fds) descriptors ($base idle) 10 s on"
echo "server back to $(fds) descriptors ($base idle) $(awk -v a="$ready_at" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s after the 500 connected"
touch "$SCRATCH/go"
wait "$SLOW" || fail "slow clients not closed: $(cat "$SCRATCH/slow.out")"
cat "$SCRATCH/slow.out"
kill -0 "$SERVER_PID" 2>/dev/null || fail "server died"
curl -sf --max-time 2 "${URL}f.txt" | grep -q hello-slow || fail "server unwell afterwards"
echo ok

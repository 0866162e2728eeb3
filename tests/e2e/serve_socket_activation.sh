#!/usr/bin/env bash
# Socket activation: zcp serve adopts the listening socket systemd passes
# (LISTEN_PID/LISTEN_FDS, fd 3), here from Debian's systemd-socket-activate;
# every worker serves it, and wrong hand-offs are clear errors.
source "$(dirname "$0")/../support/e2e.sh"
command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate (package systemd) not installed"

mkdir -p "$SCRATCH/root"
head -c 3000000 /dev/urandom >"$SCRATCH/root/a.bin"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# --accept is off: one zcp process gets the listening socket itself.
: >"$SCRATCH/server.log"
systemd-socket-activate -l "127.0.0.1:$port" "$ZCP" serve --workers 2 "$SCRATCH/root" \
  2>>"$SCRATCH/server.log" &
SERVER_PID=$!
on_exit "kill -9 $SERVER_PID"
for _ in $(seq 100); do grep -q "^Listening on" "$SCRATCH/server.log" && break; sleep 0.05; done
grep -q "socket activation" "$SCRATCH/server.log" && fail "zcp ran before any connection"
# Nothing runs until the first connection: curl's own connect starts zcp.
pids=()
for i in 1 2 3 4 5 6; do
  curl -sS -m 20 -o "$SCRATCH/got$i" "http://127.0.0.1:$port/a.bin" 2>"$SCRATCH/curl$i.err" &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || fail "download $((i + 1)) through the activated socket failed: $(cat "$SCRATCH/curl$((i + 1)).err") $(cat "$SCRATCH/server.log")"
done
for i in 1 2 3 4 5 6; do cmp -s "$SCRATCH/got$i" "$SCRATCH/root/a.bin" || fail "copy $i differs"; done
grep -q "socket activation" "$SCRATCH/server.log" || fail "startup line does not say socket activation: $(cat "$SCRATCH/server.log")"
grep -q "at http://127.0.0.1:$port/" "$SCRATCH/server.log" || fail "startup line names the wrong address"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "zcp serve exited $? on SIGTERM"

# Two sockets: refused with a reason, exit 2 (systemd-socket-activate execs zcp).
port2=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 10 systemd-socket-activate -l "127.0.0.1:$port" -l "127.0.0.1:$port2" \
  "$ZCP" serve "$SCRATCH/root" 2>"$SCRATCH/stderr" &
pid=$!
for _ in $(seq 100); do grep -q "^Listening on.*as 4" "$SCRATCH/stderr" && break; sleep 0.05; done
curl -s -m 5 -o /dev/null "http://127.0.0.1:$port/" || true
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 2 ] || fail "two sockets: exit $rc, want 2: $(cat "$SCRATCH/stderr")"
expect_stderr "passed 2 sockets"

# A file, not a socket, as fd 3: refused, exit 2.
expect_exit 2 bash -c 'exec 3<"$1"; export LISTEN_FDS=1 LISTEN_PID=$$; exec "$2" serve "$3"' _ \
  "$SCRATCH/root/a.bin" "$ZCP" "$SCRATCH/root"
expect_stderr "fd 3 is not a listening socket"

# LISTEN_PID of another process: not ours, so --listen is bound as usual.
LISTEN_PID=1 LISTEN_FDS=1 start_server "$SCRATCH/root"
[ "$(http_status "${URL}a.bin")" = 200 ] || fail "server ignoring a foreign LISTEN_PID does not serve"
grep -q "socket activation" "$SCRATCH/server.log" && fail "took a foreign LISTEN_PID's socket"
echo "ok"

#!/usr/bin/env bash
# SIGTERM: the server stops accepting, lets a transfer in flight finish,
# then exits 0; a transfer still running at --drain-timeout is cut off.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
head -c $((4 << 20)) /dev/urandom >"$SCRATCH/root/f.bin"
start_server --drain-timeout 20 "$SCRATCH/root"

# ~2 s at 2 MB/s: still running when SIGTERM arrives.
curl -s --limit-rate 2M -o "$SCRATCH/got" "${URL}f.bin" &
CURL=$!
sleep 0.5
kill -TERM "$SERVER_PID"
sleep 0.3
[ "$(http_status --max-time 2 "${URL}f.bin")" = 000 ] || fail "still accepting after SIGTERM"
wait "$CURL" || fail "the transfer in flight failed"
cmp "$SCRATCH/got" "$SCRATCH/root/f.bin" || fail "transfer in flight incomplete"
wait "$SERVER_PID" || fail "server exited $?"
grep -q 'shutting down' "$SCRATCH/server.log" || fail "no shutdown message"

# Drain timeout: a slow reader of a file larger than all socket buffers
# (64 MiB) is cut off after 1 s, and its access-log line says so.
truncate -s 64M "$SCRATCH/root/big.bin"
start_server --drain-timeout 1 "$SCRATCH/root"
curl -s --limit-rate 1M -o "$SCRATCH/slow" "${URL}big.bin" &
CURL=$!
sleep 0.5
kill -TERM "$SERVER_PID"
start=$(date +%s)
wait "$SERVER_PID" || fail "server exited $?"
[ $(($(date +%s) - start)) -le 4 ] || fail "drain timeout not honoured"
wait "$CURL" && fail "cut-off transfer reported success"
# ... and logged, with the bytes it got and why it ended early.
line=$(grep 'GET /big.bin' "$SCRATCH/server.log") || fail "the cut-off transfer has no access-log line"
grep -q 'cut at --drain-timeout' <<<"$line" || fail "the log line does not say it was cut: $line"
sent=$(awk '{print $10}' <<<"$line")
[ "$sent" -gt 0 ] && [ "$sent" -lt $((64 << 20)) ] || fail "logged bytes $sent, not the part sent: $line"
echo ok

#!/usr/bin/env bash
# A real zcp put from b, SIGKILLed mid-upload over a slow link: once the
# server in a notices, nothing exists under the target name, the upload
# directory holds no new entry, and the server has closed its unnamed
# O_TMPFILE (no fd into the directory). It then still takes a later put
# and serves it, byte for byte.
source "$(dirname "$0")/../support/netns.sh"
netns_setup 2
mkdir -p "$SCRATCH/root/in" "$SCRATCH/dl"
echo old >"$SCRATCH/root/in/existing.txt"
head -c $((48 << 20)) /dev/urandom >"$SCRATCH/big.bin"
netns_shape b 100mbit  # ~12 MB/s: 48 MiB take about 4 s
netns_start_server a --upload "$SCRATCH/root"
before=$(ls -A "$SCRATCH/root/in")

# temp_fds / upload_bytes: the server's open temporary files in root/in.
temp_fds() { netns_temp_fds "$SERVER_PID" "$SCRATCH/root/in"; }
upload_bytes() { netns_temp_bytes "$SERVER_PID" "$SCRATCH/root/in"; }

netns_spawn b "$SCRATCH/put.err" "$ZCP" put -q "$SCRATCH/big.bin" "${URL}in/big.bin"
put_pid=$NETNS_PID
for _ in $(seq 2000); do
  [ "$(upload_bytes)" -ge $((8 << 20)) ] && break
  kill -0 "$put_pid" 2>/dev/null || fail "put ended before it could be killed: $(cat "$SCRATCH/put.err")"
  sleep 0.01
done
got=$(upload_bytes)
[ "$got" -ge $((8 << 20)) ] || fail "the server's temporary file never reached 8 MiB (has $got)"
kill -9 "$put_pid"
wait "$put_pid" 2>/dev/null || true
[ "$got" -lt $((48 << 20)) ] || fail "the upload was not interrupted"

# The kernel flushes the dead client's send buffer, then FIN: the server
# sees a short body and drops the temporary file.
for _ in $(seq 1000); do
  [ -z "$(temp_fds)" ] && break
  sleep 0.01
done
[ -z "$(temp_fds)" ] || fail "the server still holds the aborted upload after 10 s: $(temp_fds)"
[ ! -e "$SCRATCH/root/in/big.bin" ] || fail "a partial upload appeared under the target name"
[ "$(ls -A "$SCRATCH/root/in")" = "$before" ] || fail "upload left entries: $(ls -A "$SCRATCH/root/in")"
kill -0 "$SERVER_PID" 2>/dev/null || fail "server died: $(cat "$SCRATCH/server.log")"

# The server goes on: a later put from b lands whole, and b can fetch it.
head -c $((4 << 20)) /dev/urandom >"$SCRATCH/small.bin"
netns_exec b "$ZCP" put -q "$SCRATCH/small.bin" "${URL}in/big.bin" 2>"$SCRATCH/put.err" ||
  fail "later put failed: $(cat "$SCRATCH/put.err")"
[ "$(sha "$SCRATCH/root/in/big.bin")" = "$(sha "$SCRATCH/small.bin")" ] || fail "later upload sha256 differs"
netns_exec b "$ZCP" get -q "${URL}in/big.bin" "$SCRATCH/dl/back.bin" || fail "get after the aborted put"
[ "$(sha "$SCRATCH/dl/back.bin")" = "$(sha "$SCRATCH/small.bin")" ] || fail "fetched sha256 differs"
[ "$(ls -A "$SCRATCH/root/in" | sort | tr '\n' ' ')" = "big.bin existing.txt " ] ||
  fail "unexpected entries: $(ls -A "$SCRATCH/root/in")"
echo ok

#!/usr/bin/env bash
# The server host's zcp dies (SIGKILL) mid-download: zcp get in b fails
# at once with exit 7 and says the connection was lost, keeps DEST.part and
# creates no DEST. A restarted server on the same address serves the rest
# to `zcp get -c` (a 206), and the result is byte for byte the file.
source "$(dirname "$0")/../support/netns.sh"
netns_setup 2
mkdir -p "$SCRATCH/root" "$SCRATCH/dl"
size=$((48 << 20))
head -c "$size" /dev/urandom >"$SCRATCH/root/big.bin"
netns_shape b 100mbit  # ~12 MB/s: 48 MiB take about 4 s
netns_start_server a "$SCRATCH/root"
D="$SCRATCH/dl/big.bin"

netns_spawn b "$SCRATCH/get.err" "$ZCP" get -q --timeout 10 "${URL}big.bin" "$D"
get_pid=$NETNS_PID
netns_wait_size "$D.part" $((8 << 20))
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
t0=$(date +%s%N)
rc=0
wait "$get_pid" || rc=$?
took=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 7 ] || fail "get exited $rc, want 7; stderr: $(cat "$SCRATCH/get.err")"
grep -qi "reset\|closed\|lost" "$SCRATCH/get.err" || fail "no lost connection in the message: $(cat "$SCRATCH/get.err")"
# The kernel closes a dead process's sockets: no need to wait for --timeout.
[ "$took" -le 5000 ] || fail "noticed the dead server after ${took} ms, want well under --timeout 10"
[ ! -e "$D" ] || fail "a partial download got the final name"
[ -e "$D.part" ] || fail "DEST.part not kept"
kept=$(stat -c %s "$D.part")
[ "$kept" -ge $((8 << 20)) ] && [ "$kept" -lt "$size" ] || fail "DEST.part holds $kept bytes"
cmp -n "$kept" "$D.part" "$SCRATCH/root/big.bin" || fail "DEST.part is not a prefix of the file"

netns_start_server a "$SCRATCH/root"
netns_exec b "$ZCP" get -c -q --timeout 10 "${URL}big.bin" "$D" 2>"$SCRATCH/get.err" ||
  fail "resume failed: $(cat "$SCRATCH/get.err")"
[ "$(sha "$D")" = "$(sha "$SCRATCH/root/big.bin")" ] || fail "resumed file sha256 differs"
[ ! -e "$D.part" ] || fail "DEST.part left after success"
grep -q '"GET /big.bin[^"]*" 206 ' "$SCRATCH/server.log" || fail "resume did not use a range: $(cat "$SCRATCH/server.log")"
echo ok

#!/usr/bin/env bash
# A cable pulled mid-download: zcp get in b stops seeing bytes, gives up
# after --timeout with exit 7 and a message saying so, keeps DEST.part and
# creates no DEST. With the link back, `zcp get -c` fetches only the rest
# (a 206) and the result is byte for byte the server's file.
source "$(dirname "$0")/../support/netns.sh"
netns_setup 2
mkdir -p "$SCRATCH/root" "$SCRATCH/dl"
size=$((48 << 20))
head -c "$size" /dev/urandom >"$SCRATCH/root/big.bin"
netns_shape b 100mbit  # ~12 MB/s: 48 MiB take about 4 s
netns_start_server a "$SCRATCH/root"
D="$SCRATCH/dl/big.bin"

netns_spawn b "$SCRATCH/get.err" "$ZCP" get -q --timeout 2 "${URL}big.bin" "$D"
get_pid=$NETNS_PID
netns_wait_size "$D.part" $((8 << 20))
netns_link_down b
t0=$(date +%s%N)
rc=0
wait "$get_pid" || rc=$?
took=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 7 ] || fail "get exited $rc, want 7; stderr: $(cat "$SCRATCH/get.err")"
grep -qi "timed out\|timeout" "$SCRATCH/get.err" || fail "no timeout in the message: $(cat "$SCRATCH/get.err")"
[ "$took" -ge 1500 ] && [ "$took" -le 8000 ] || fail "gave up after ${took} ms, want about 2 s (--timeout 2)"
[ ! -e "$D" ] || fail "a partial download got the final name"
[ -e "$D.part" ] || fail "DEST.part not kept"
kept=$(stat -c %s "$D.part")
[ "$kept" -ge $((8 << 20)) ] && [ "$kept" -lt "$size" ] || fail "DEST.part holds $kept bytes"
cmp -n "$kept" "$D.part" "$SCRATCH/root/big.bin" || fail "DEST.part is not a prefix of the file"

netns_link_up b
netns_exec b "$ZCP" get -c -q --timeout 10 "${URL}big.bin" "$D" 2>"$SCRATCH/get.err" ||
  fail "resume failed: $(cat "$SCRATCH/get.err")"
[ "$(sha "$D")" = "$(sha "$SCRATCH/root/big.bin")" ] || fail "resumed file sha256 differs"
[ ! -e "$D.part" ] || fail "DEST.part left after success"
grep -q '"GET /big.bin[^"]*" 206 ' "$SCRATCH/server.log" || fail "resume did not use a range: $(cat "$SCRATCH/server.log")"
echo ok

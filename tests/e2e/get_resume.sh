#!/usr/bin/env bash
# A client killed with SIGKILL mid-transfer leaves only DEST.part; `-c`
# completes it byte for byte; a file changed on the server meanwhile makes
# -c start over (If-Range) instead of splicing new bytes onto old ones.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root" "$SCRATCH/dl"
head -c $((768 << 20)) /dev/urandom >"$SCRATCH/root/big.bin"
start_server "$SCRATCH/root"
D="$SCRATCH/dl/big.bin"

kill_midway() {  # start a get and SIGKILL it once DEST.part holds 32 MiB or more
  "$ZCP" get -q -j 1 "${URL}big.bin" "$D" &
  local pid=$!
  for _ in $(seq 2000); do
    [ "$(stat -c %s "$D.part" 2>/dev/null || echo 0)" -ge $((32 << 20)) ] && break
    sleep 0.005
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
kill_midway
[ ! -e "$D" ] || fail "a final file appeared although the client was killed"
[ -e "$D.part" ] || fail "no .part kept"
size=$(stat -c %s "$D.part")
[ "$size" -lt $((768 << 20)) ] || fail "the transfer was not interrupted (machine too fast?)"
"$ZCP" get -c -q "${URL}big.bin" "$D" || fail "resume failed"
cmp "$D" "$SCRATCH/root/big.bin" || fail "resumed file differs"
grep -q '" 206 ' "$SCRATCH/server.log" || fail "resume did not use a range request"

# The server's file changes between the attempts: -c must start over.
rm -f "$D"
kill_midway
head -c $((768 << 20)) /dev/urandom >"$SCRATCH/root/big.bin.new"
mv "$SCRATCH/root/big.bin.new" "$SCRATCH/root/big.bin"
"$ZCP" get -c "${URL}big.bin" "$D" 2>"$SCRATCH/err" || fail "resume after change failed"
grep -q "starting over" "$SCRATCH/err" || fail "no notice that it started over"
cmp "$D" "$SCRATCH/root/big.bin" || fail "mixed old and new bytes"
echo ok

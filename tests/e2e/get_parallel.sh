#!/usr/bin/env bash
# -j 4 splits one file into 4 ranges on 4 connections, each spliced into
# its own offset: the result is identical; a server without ranges falls
# back to one stream. No HEAD probe: the first range rides on the opening
# GET (Range: bytes=0-), whose Content-Range gives the size.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root" "$SCRATCH/dl"
head -c $((40 << 20)) /dev/urandom >"$SCRATCH/root/big.bin"
head -c 1000003 /dev/urandom >"$SCRATCH/root/odd.bin"
start_server "$SCRATCH/root"
"$ZCP" get -j 4 --json "${URL}big.bin" "$SCRATCH/dl/big.bin" >"$SCRATCH/j" || fail "get -j 4"
cmp "$SCRATCH/dl/big.bin" "$SCRATCH/root/big.bin" || fail "-j 4 copy differs"
grep -q '"streams":4' "$SCRATCH/j" || fail "did not use 4 streams: $(cat "$SCRATCH/j")"
[ "$(grep -c '"GET /big.bin HTTP/1.1" 206' "$SCRATCH/server.log")" = 4 ] || fail "not 4 range requests"
! grep -q '"HEAD ' "$SCRATCH/server.log" || fail "a HEAD probe before the download: $(cat "$SCRATCH/server.log")"
"$ZCP" get -q "${URL}odd.bin" "$SCRATCH/dl/one.bin" || fail "get (default streams) of 1 MB"
cmp "$SCRATCH/dl/one.bin" "$SCRATCH/root/odd.bin" || fail "default-stream copy differs"
[ "$(grep -c '"GET /odd.bin' "$SCRATCH/server.log")" = 1 ] || fail "1 MB took more than one request"
: >"$SCRATCH/root/empty"  # no byte 0 to range over: 416, then a plain GET
"$ZCP" get -q "${URL}empty" "$SCRATCH/dl/empty" || fail "get of an empty file"
[ -f "$SCRATCH/dl/empty" ] && [ ! -s "$SCRATCH/dl/empty" ] || fail "empty file not landed empty"
[ ! -e "$SCRATCH/dl/empty.part" ] || fail "empty.part left behind"
"$ZCP" get -q -j 3 "${URL}odd.bin" "$SCRATCH/dl/odd.bin" || fail "get -j 3 odd size"
cmp "$SCRATCH/dl/odd.bin" "$SCRATCH/root/odd.bin" || fail "odd-size parallel copy differs"

# python's http.server ignores Range: one stream, same bytes.
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$SCRATCH/root" && exec $PY -m http.server -b 127.0.0.1 "$port") >/dev/null 2>&1 &
PYPID=$!
on_exit "kill $PYPID"
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
"$ZCP" get -j 4 --json "http://127.0.0.1:$port/big.bin" "$SCRATCH/dl/py.bin" >"$SCRATCH/j2" || fail "get -j 4 from python"
cmp "$SCRATCH/dl/py.bin" "$SCRATCH/root/big.bin" || fail "python copy differs"
grep -q '"streams":1' "$SCRATCH/j2" || fail "no fallback to one stream"
echo ok

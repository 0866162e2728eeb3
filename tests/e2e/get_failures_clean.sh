#!/usr/bin/env bash
# Failures leave nothing behind: no empty DEST.part after a refused
# connection, a 404, a redirect answer or a timeout before any body byte;
# -o DIR/ (a name ending in '/') is a directory to create. -c on a DEST
# that is already complete moves no body and says "already complete".
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/photos" "$SCRATCH/dl"
head -c 100000 /dev/urandom >"$SCRATCH/root/f.bin"
start_server "$SCRATCH/root"
cd "$SCRATCH/dl"

no_part() { [ -z "$(ls -A "$SCRATCH/dl")" ] || fail "$1 left: $(ls -A "$SCRATCH/dl")"; }

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_exit 7 "$ZCP" get -q "http://127.0.0.1:$port/x.bin"
no_part "connection refused"
expect_exit 22 "$ZCP" get -q "${URL}missing.bin"
no_part "404"
# 301 to photos/ is followed now (as curl -L): the listing lands, nothing else.
# (A redirect that ends in failure leaves nothing: get_redirects_refusals.)
expect_exit 0 "$ZCP" get -q "${URL}photos" x.bin
grep -qi "<html" x.bin || fail "the followed 301 did not land the listing"
[ ! -e x.bin.part ] || fail "301 followed: x.bin.part left"
rm -f x.bin
no_part "301"
# A server that accepts and never answers.
"$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$SCRATCH/silent.port" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/silent.port" ] && break; sleep 0.05; done
t0=$(date +%s%N)
expect_exit 7 "$ZCP" get -q --timeout 2 "http://127.0.0.1:$(cat "$SCRATCH/silent.port")/x.bin"
ms=$((($(date +%s%N) - t0) / 1000000))
no_part "a timeout"
# One wait of 2 s, not two (HEAD then GET: 4 s); the slack is for a
# sanitizer build's slow start.
[ "$ms" -lt 3500 ] || fail "--timeout 2 waited $ms ms (the whole wait must be bounded)"

# -o dir/ creates the directory.
"$ZCP" get -q "${URL}f.bin" -o "$SCRATCH/new/dir/" || fail "-o new/dir/ failed"
cmp "$SCRATCH/new/dir/f.bin" "$SCRATCH/root/f.bin" || fail "-o dir/: wrong file"

# -c on a complete file: HEAD only, "already complete", nothing rewritten.
"$ZCP" get -q "${URL}f.bin" -o "$SCRATCH/dl/f.bin" || fail "get failed"
ino=$(stat -c %i "$SCRATCH/dl/f.bin")
gets=$(grep -c '"GET /f.bin' "$SCRATCH/server.log" || true)
"$ZCP" get -c "${URL}f.bin" -o "$SCRATCH/dl/f.bin" 2>"$SCRATCH/err" || fail "-c on a complete file failed"
grep -q "already complete" "$SCRATCH/err" || fail "no 'already complete': $(cat "$SCRATCH/err")"
[ "$(grep -c '"GET /f.bin' "$SCRATCH/server.log" || true)" = "$gets" ] || fail "-c fetched the body again"
[ "$(stat -c %i "$SCRATCH/dl/f.bin")" = "$ino" ] || fail "-c replaced a complete file"
[ ! -e "$SCRATCH/dl/f.bin.part" ] || fail "-c left a .part"
# ... but a file that differs from the server's is fetched again.
head -c 100000 /dev/zero >"$SCRATCH/dl/f.bin"
"$ZCP" get -q -c "${URL}f.bin" -o "$SCRATCH/dl/f.bin" || fail "-c on a stale file failed"
cmp "$SCRATCH/dl/f.bin" "$SCRATCH/root/f.bin" || fail "-c kept a stale file"
echo ok

#!/usr/bin/env bash
# zcp get against a server nobody here wrote: Debian's nginx. Plain get,
# -j 4 (nginx answers ranges), and resume after SIGKILL.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/nginx.sh"
mkdir -p "$SCRATCH/www" "$SCRATCH/dl"
head -c $((300 << 20)) /dev/urandom >"$SCRATCH/www/big.bin"
port=$(free_port)
start_nginx "server { listen 127.0.0.1:$port; root $SCRATCH/www; }"
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
U="http://127.0.0.1:$port/big.bin"
sum() { sha256sum "$1" | cut -d' ' -f1; }
want=$(sum "$SCRATCH/www/big.bin")

"$ZCP" get -q -j 1 "$U" "$SCRATCH/dl/one.bin" || fail "get from nginx"
[ "$(sum "$SCRATCH/dl/one.bin")" = "$want" ] || fail "nginx copy differs"
"$ZCP" get -q -j 4 "$U" "$SCRATCH/dl/four.bin" || fail "get -j 4 from nginx"
[ "$(sum "$SCRATCH/dl/four.bin")" = "$want" ] || fail "nginx -j 4 copy differs"
[ "$(grep -c '" 206 ' "$SCRATCH/ngx/access.log")" -ge 4 ] || fail "nginx saw no range requests"

"$ZCP" get -q -j 1 "$U" "$SCRATCH/dl/r.bin" &
kill_when $! "$SCRATCH/dl/r.bin.part" $((16 << 20))
[ ! -e "$SCRATCH/dl/r.bin" ] || fail "final file after SIGKILL"
"$ZCP" get -q -c "$U" "$SCRATCH/dl/r.bin" || fail "resume from nginx"
[ "$(sum "$SCRATCH/dl/r.bin")" = "$want" ] || fail "resumed nginx copy differs"
echo ok

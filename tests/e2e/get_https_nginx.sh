#!/usr/bin/env bash
# zcp get over https from Debian's nginx, with a CA and certificate made
# here by openssl: one stream, -j 4 (ranges), -c after SIGKILL, a host
# name instead of an address; sha-256 of every copy checked, and --json
# says which path the body took (userspace without kernel TLS).
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/nginx.sh"
source "$ZCP_SOURCE_DIR/tests/support/tls_certs.sh"
test_pki "$SCRATCH/pki"
mkdir -p "$SCRATCH/www" "$SCRATCH/dl"
head -c $((300 << 20)) /dev/urandom >"$SCRATCH/www/big.bin"
port=$(free_port)
start_nginx "server { listen 127.0.0.1:$port ssl; root $SCRATCH/www;
  ssl_certificate $SCRATCH/pki/good.pem; ssl_certificate_key $SCRATCH/pki/good.key; }"
wait_port "$port"
U="https://127.0.0.1:$port/big.bin"
T=(--cacert "$SCRATCH/pki/ca.pem")
sum() { sha256sum "$1" | cut -d' ' -f1; }
want=$(sum "$SCRATCH/www/big.bin")
grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp && path=ktls || path=userspace

"$ZCP" get -j 1 --json "${T[@]}" "$U" "$SCRATCH/dl/one.bin" >"$SCRATCH/one.json" || fail "get over https"
[ "$(sum "$SCRATCH/dl/one.bin")" = "$want" ] || fail "https copy differs"
grep -q "\"path\":\"$path\"" "$SCRATCH/one.json" || fail "--json lacks path $path: $(cat "$SCRATCH/one.json")"

"$ZCP" get -q -j 4 "${T[@]}" "$U" "$SCRATCH/dl/four.bin" || fail "get -j 4 over https"
[ "$(sum "$SCRATCH/dl/four.bin")" = "$want" ] || fail "https -j 4 copy differs"
[ "$(grep -c '" 206 ' "$SCRATCH/ngx/access.log")" -ge 4 ] || fail "nginx saw no range requests"

# The host name is checked (and sent as SNI) as well as the address.
"$ZCP" get -q "${T[@]}" "https://localhost:$port/big.bin" "$SCRATCH/dl/name.bin" ||
  fail "get https://localhost"
[ "$(sum "$SCRATCH/dl/name.bin")" = "$want" ] || fail "https://localhost copy differs"

# Interrupted by SIGKILL, resumed with -c.
"$ZCP" get -q -j 1 "${T[@]}" "$U" "$SCRATCH/dl/r.bin" &
kill_when $! "$SCRATCH/dl/r.bin.part" $((16 << 20))
[ ! -e "$SCRATCH/dl/r.bin" ] || fail "final file after SIGKILL"
[ -e "$SCRATCH/dl/r.bin.part" ] || fail "no .part kept after SIGKILL"
"$ZCP" get -q -c "${T[@]}" "$U" "$SCRATCH/dl/r.bin" || fail "resume over https"
[ "$(sum "$SCRATCH/dl/r.bin")" = "$want" ] || fail "resumed https copy differs"
grep -q '" 206 ' "$SCRATCH/ngx/access.log" || fail "the resume sent no range"

# Ctrl-C: the resume command printed carries the trust flags, and works.
rm -f "$SCRATCH/dl/i.bin"
"$ZCP" get -j 1 "${T[@]}" "$U" "$SCRATCH/dl/i.bin" 2>"$SCRATCH/int.err" &
kill_when $! "$SCRATCH/dl/i.bin.part" $((16 << 20)) INT
resume=$(sed -n 's/.*resume with: zcp //p' "$SCRATCH/int.err")
case "$resume" in
  "get -c --cacert "*) ;;
  *) fail "the resume line lacks --cacert: $(cat "$SCRATCH/int.err")" ;;
esac
eval "\"\$ZCP\" $resume" 2>/dev/null || fail "the printed resume command failed: $resume"
[ "$(sum "$SCRATCH/dl/i.bin")" = "$want" ] || fail "copy resumed by the printed command differs"
echo ok

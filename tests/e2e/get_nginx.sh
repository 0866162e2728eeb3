#!/usr/bin/env bash
# zcp get against a server nobody here wrote: Debian's nginx. Plain get,
# -j 4 (nginx answers ranges), and resume after SIGKILL.
source "$(dirname "$0")/../support/e2e.sh"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || skip "nginx not installed"
mkdir -p "$SCRATCH/www" "$SCRATCH/dl" "$SCRATCH/ngx"
head -c $((300 << 20)) /dev/urandom >"$SCRATCH/www/big.bin"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$SCRATCH/ngx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $SCRATCH/ngx/nginx.pid;
error_log $SCRATCH/ngx/error.log;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 256; }
http {
  access_log $SCRATCH/ngx/access.log;
  client_body_temp_path $SCRATCH/ngx/body; proxy_temp_path $SCRATCH/ngx/proxy;
  fastcgi_temp_path $SCRATCH/ngx/fcgi; uwsgi_temp_path $SCRATCH/ngx/uwsgi; scgi_temp_path $SCRATCH/ngx/scgi;
  sendfile on;
  server { listen 127.0.0.1:$port; root $SCRATCH/www; }
}
CONF
/usr/sbin/nginx -c "$SCRATCH/ngx/nginx.conf" -e "$SCRATCH/ngx/error.log" &
NGX=$!
on_exit "kill $NGX"
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
pid=$!
for _ in $(seq 2000); do
  [ "$(stat -c %s "$SCRATCH/dl/r.bin.part" 2>/dev/null || echo 0)" -ge $((16 << 20)) ] && break
  sleep 0.005
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
[ ! -e "$SCRATCH/dl/r.bin" ] || fail "final file after SIGKILL"
"$ZCP" get -q -c "$U" "$SCRATCH/dl/r.bin" || fail "resume from nginx"
[ "$(sum "$SCRATCH/dl/r.bin")" = "$want" ] || fail "resumed nginx copy differs"
echo ok

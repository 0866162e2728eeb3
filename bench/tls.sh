#!/usr/bin/env bash
# The same SIZE file over https and over http, from Debian's nginx (ssl,
# sendfile on) and from zcp serve (--tls-cert/--tls-key, 1 worker), to
# curl and to zcp get, to /dev/null and onto disk (DISK_DIR, default
# /var/tmp, synced before each run), RUNS rounds interleaved; and the
# ceiling one core reaches in `openssl speed -evp aes-128-gcm` /
# aes-256-gcm. Each row: median wall time, the client's and the server's
# CPU seconds per GiB (from /usr/bin/time and the server process's
# /proc/PID/stat, all threads), and the TLS version and suite nginx logged.
#
#   bench/tls.sh [-s SIZE] [-r RUNS]        (default 2G, 5)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=2G
RUNS=5
while getopts "s:r:" opt; do
  case $opt in
    s) SIZE=$OPTARG ;;
    r) RUNS=$OPTARG ;;
    *) echo "usage: $0 [-s SIZE] [-r RUNS]" >&2; exit 2 ;;
  esac
done
ZCP=${ZCP:-build/zcp}
NGINX=/usr/sbin/nginx
W=$(mktemp -d /dev/shm/zcp-tls-bench.XXXXXX)
ngx=
zt= zp= DISK=
cleanup() {
  [ -n "$ngx" ] && kill "$ngx" 2>/dev/null && wait "$ngx" 2>/dev/null
  for p in $zt $zp $zt2; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$W" ${DISK:+"$DISK"}
}
trap cleanup EXIT

# --- the ceiling: one core encrypting 16 KiB blocks ----------------------
speed() {  # speed CIPHER: GB/s at 16384-byte blocks
  openssl speed -evp "$1" -seconds 3 -bytes 16384 2>/dev/null |
    awk -v c="$1" 'tolower($1) == c { v = $NF; sub("k", "", v); printf "%.2f", v * 1000 / 1e9 }'
}
aes128=$(speed aes-128-gcm)
aes256=$(speed aes-256-gcm)

# --- nginx with a certificate made here ------------------------------------
source tests/support/tls_certs.sh
make_test_pki "$W/pki" >/dev/null
mkdir -p "$W/www" "$W/ngx"
head -c "$SIZE" /dev/urandom >"$W/www/big.bin"
bytes=$(stat -c %s "$W/www/big.bin")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tls_port=$(free_port)
plain_port=$(free_port)
cat >"$W/ngx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $W/ngx/nginx.pid;
error_log $W/ngx/error.log;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 256; }
http {
  log_format tls '\$ssl_protocol \$ssl_cipher \$body_bytes_sent';
  access_log $W/ngx/access.log tls;
  client_body_temp_path $W/ngx/body; proxy_temp_path $W/ngx/proxy;
  fastcgi_temp_path $W/ngx/fcgi; uwsgi_temp_path $W/ngx/uwsgi; scgi_temp_path $W/ngx/scgi;
  sendfile on;
  server { listen 127.0.0.1:$tls_port ssl; root $W/www;
    ssl_certificate $W/pki/good.pem; ssl_certificate_key $W/pki/good.key; }
  server { listen 127.0.0.1:$plain_port; root $W/www; }
}
CONF
"$NGINX" -c "$W/ngx/nginx.conf" -e "$W/ngx/error.log" &
ngx=$!
# zcp serve, the same file, https and http, one worker like nginx's one.
zt_port=$(free_port)
zp_port=$(free_port)
"$ZCP" serve -q --workers 1 --listen 127.0.0.1:$zt_port --tls-cert "$W/pki/good.pem" \
  --tls-key "$W/pki/good.key" "$W/www" 2>"$W/zt.log" &
zt=$!
"$ZCP" serve -q --workers 1 --listen 127.0.0.1:$zp_port "$W/www" 2>"$W/zp.log" &
zp=$!
# And zcp at its defaults on this machine: a worker per CPU, and zcp get's
# default streams (2 here) for a big file. curl has one connection, and
# nginx gives one connection one worker, whatever its worker count.
zt2_port=$(free_port)
"$ZCP" serve -q --listen 127.0.0.1:$zt2_port --tls-cert "$W/pki/good.pem" \
  --tls-key "$W/pki/good.key" "$W/www" 2>"$W/zt2.log" &
zt2=$!
DISK=${DISK_DIR:-/var/tmp}/zcp-tls-bench.$$
mkdir -p "$DISK"
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$plain_port/" && break; sleep 0.05; done
worker=$(pgrep -P "$ngx" | head -1)
HTTPS="https://127.0.0.1:$tls_port/big.bin"
HTTP="http://127.0.0.1:$plain_port/big.bin"
CA=(--cacert "$W/pki/ca.pem")

ZT="https://localhost:$zt_port/big.bin"  # good.pem names localhost
ZP="http://127.0.0.1:$zp_port/big.bin"
ZT2="https://localhost:$zt2_port/big.bin"
declare -A cmd server
add() { cmd[$1]=$3; server[$1]=$2; }
add nginx-curl-https ngx "curl -s ${CA[*]} -o /dev/null $HTTPS"
add nginx-zcp-https ngx "$ZCP get -q -j 1 ${CA[*]} $HTTPS /dev/null"
add nginx-curl-http ngx "curl -s -o /dev/null $HTTP"
add nginx-zcp-http ngx "$ZCP get -q -j 1 $HTTP /dev/null"
add zcp-curl-https zt "curl -s ${CA[*]} -o /dev/null $ZT"
add zcp-zcp-https zt "$ZCP get -q -j 1 ${CA[*]} $ZT /dev/null"
add zcp-curl-http zp "curl -s -o /dev/null $ZP"
add zcp-zcp-http zp "$ZCP get -q -j 1 $ZP /dev/null"
add nginx-curl-https-disk ngx "curl -s ${CA[*]} -o $DISK/f $HTTPS"
add zcp-zcp-https-disk zt "$ZCP get -q -j 1 ${CA[*]} $ZT $DISK/f"
add zcp-zcp-http-disk zp "$ZCP get -q -j 1 $ZP $DISK/f"
add zcpN-zcp-https-jdefault zt2 "$ZCP get -q ${CA[*]} $ZT2 /dev/null"
add zcpN-zcp-https-jdefault-disk zt2 "$ZCP get -q ${CA[*]} $ZT2 $DISK/f"
order=(nginx-curl-https nginx-zcp-https zcp-curl-https zcp-zcp-https nginx-curl-http nginx-zcp-http
       zcp-curl-http zcp-zcp-http nginx-curl-https-disk zcp-zcp-https-disk zcp-zcp-http-disk
       zcpN-zcp-https-jdefault zcpN-zcp-https-jdefault-disk)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$zp_port/" && break; sleep 0.05; done
for _ in $(seq 100); do curl -s -k -o /dev/null "https://127.0.0.1:$zt_port/" && break; sleep 0.05; done
for _ in $(seq 100); do curl -s -k -o /dev/null "https://127.0.0.1:$zt2_port/" && break; sleep 0.05; done

pid_of() { case $1 in ngx) echo "$worker" ;; zt) echo "$zt" ;; zp) echo "$zp" ;; zt2) echo "$zt2" ;; esac; }
ticks() { awk '{ print $14 + $15 }' /proc/"$(pid_of "$1")"/stat; }
hz=$(getconf CLK_TCK)
for name in "${order[@]}"; do : >"$W/$name.runs"; done
for _ in $(seq "$RUNS"); do
  for name in "${order[@]}"; do
    : >"$W/ngx/access.log"
    rm -f "$DISK/f"; sync
    s0=$(ticks "${server[$name]}")
    t0=$(date +%s%N)
    /usr/bin/time -o "$W/time" -f "%U %S" ${cmd[$name]}
    t1=$(date +%s%N)
    s1=$(ticks "${server[$name]}")
    read -r u s <"$W/time"
    tls=$(awk '{ print $1, $2 }' "$W/ngx/access.log" | sort -u | tr '\n' ' ')
    echo "$(( (t1 - t0) / 1000000 )) $u $s $(( s1 - s0 )) $tls" >>"$W/$name.runs"
  done
done

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
gib=$(awk -v b="$bytes" 'BEGIN { print b / 2^30 }')
echo "$(date -Is), $(uname -sr), $(nproc) cores, $(openssl version | cut -d' ' -f1-2), $("$NGINX" -v 2>&1 | sed 's/.*: //'), $(curl -V | head -1 | cut -d' ' -f1-2), zcp $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty); kernel tls: $(grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp && echo yes || echo no); load average $(cut -d" " -f1-3 /proc/loadavg)"
echo "one core, openssl speed -evp (16 KiB blocks): aes-128-gcm $aes128 GB/s, aes-256-gcm $aes256 GB/s"
echo "$SIZE to /dev/null, median of $RUNS interleaved runs"
echo
echo "| server-client-scheme[-disk] | median s | client CPU s/GiB | server CPU s/GiB | TLS (nginx's log) |"
echo "|---|---|---|---|---|"
for name in "${order[@]}"; do
  f="$W/$name.runs"
  wall=$(awk '{ print $1 / 1000 }' "$f" | median)
  ccpu=$(awk -v g="$gib" '{ print ($2 + $3) / g }' "$f" | median)
  scpu=$(awk -v g="$gib" -v hz="$hz" '{ print $4 / hz / g }' "$f" | median)
  tls=$(awk '{ $1 = $2 = $3 = $4 = ""; print }' "$f" | sort -u | tr -s ' ' | sed 's/^ //' | paste -sd ';')
  printf '| %s | %.2f | %.2f | %.2f | %s |\n' "$name" "$wall" "$ccpu" "$scpu" "${tls:--}"
done

#!/usr/bin/env bash
# zcp get over https against curl, both from Debian's nginx (ssl, sendfile
# on), SIZE to /dev/null, RUNS rounds interleaved; plain http rows beside
# them, and the ceiling one core reaches in `openssl speed -evp
# aes-128-gcm` / aes-256-gcm. Each row: median wall time, the client's and
# nginx's CPU seconds per GiB (from /usr/bin/time and the worker's
# /proc/PID/stat), and the TLS version and suite nginx logged.
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
cleanup() {
  [ -n "$ngx" ] && kill "$ngx" 2>/dev/null && wait "$ngx" 2>/dev/null
  rm -rf "$W"
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
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$plain_port/" && break; sleep 0.05; done
worker=$(pgrep -P "$ngx" | head -1)
HTTPS="https://127.0.0.1:$tls_port/big.bin"
HTTP="http://127.0.0.1:$plain_port/big.bin"
CA=(--cacert "$W/pki/ca.pem")

declare -A cmd
cmd[curl-https]="curl -s ${CA[*]} -o /dev/null $HTTPS"
cmd[zcp-https]="$ZCP get -q -j 1 ${CA[*]} $HTTPS /dev/null"
cmd[zcp-https-j4]="$ZCP get -q -j 4 ${CA[*]} $HTTPS /dev/null"
cmd[curl-http]="curl -s -o /dev/null $HTTP"
cmd[zcp-http]="$ZCP get -q -j 1 $HTTP /dev/null"
order=(curl-https zcp-https zcp-https-j4 curl-http zcp-http)

ticks() { awk '{ print $14 + $15 }' /proc/"$worker"/stat; }
hz=$(getconf CLK_TCK)
for name in "${order[@]}"; do : >"$W/$name.runs"; done
for _ in $(seq "$RUNS"); do
  for name in "${order[@]}"; do
    : >"$W/ngx/access.log"
    s0=$(ticks)
    t0=$(date +%s%N)
    /usr/bin/time -o "$W/time" -f "%U %S" ${cmd[$name]}
    t1=$(date +%s%N)
    s1=$(ticks)
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
echo "| what | median s | client CPU s/GiB | nginx CPU s/GiB | TLS (nginx's log) |"
echo "|---|---|---|---|---|"
for name in "${order[@]}"; do
  f="$W/$name.runs"
  wall=$(awk '{ print $1 / 1000 }' "$f" | median)
  ccpu=$(awk -v g="$gib" '{ print ($2 + $3) / g }' "$f" | median)
  scpu=$(awk -v g="$gib" -v hz="$hz" '{ print $4 / hz / g }' "$f" | median)
  tls=$(awk '{ $1 = $2 = $3 = $4 = ""; print }' "$f" | sort -u | tr -s ' ' | sed 's/^ //' | paste -sd ';')
  printf '| %s | %.2f | %.2f | %.2f | %s |\n' "$name" "$wall" "$ccpu" "$scpu" "${tls:--}"
done

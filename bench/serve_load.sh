#!/usr/bin/env bash
# serve_load.sh: `zcp serve` against Debian's nginx (sendfile on) on 127.0.0.1,
# both started by this script with the same worker count, side by side in one
# run. A benchmark, not a test: it prints numbers, it never fails on them.
#
# What it measures, for each server:
#   1. wrk --latency -t T -c C -d D on a 4 KiB and a 1 MiB file, servers
#      alternating (zcp first in odd rounds, nginx first in even ones), R
#      rounds: median requests/s, MiB/s, latency p50/p99; non-2xx and socket
#      errors summed over the rounds.
#   2. Slowloris: 500 connections that send a partial request head and then
#      nothing; while they are open, the time `curl` takes to fetch the 1 MiB
#      file (and the same fetch without them, for reference).
#   3. Memory under big transfers: 8 concurrent `curl -o /dev/null` of the big
#      file (4 GiB by default); total RSS of the server's processes (nginx:
#      master + workers) sampled every 0.2 s; peak RSS and wall time.
#
# Usage: bench/serve_load.sh [-d SECS] [-c CONNS] [-t THREADS] [-r ROUNDS]
#                            [-w WORKERS] [-s SIZE] [-f BIGFILE] [-o DIR] [-z ZCP]
#   -d  wrk duration per run in seconds (10)      -c  wrk connections (256)
#   -t  wrk threads (2)                           -r  rounds, medians over them (3)
#   -w  workers for both servers (2)              -s  big file size for head -c (4G)
#   -f  big file to reuse; created there (size -s) if missing and kept.
#       It is hard-linked into the served dir, so it must be on the same
#       filesystem as $TMPDIR (or set TMPDIR). Without -f the big file is
#       created in the scratch dir and deleted at exit.
#   -o  where raw outputs and report.md go (bench/results/serve-<date>)
#   -z  zcp binary (build/zcp, or $ZCP)
# Smoke run:  bench/serve_load.sh -d 3 -r 1 -s 256M
# Full run:   bench/serve_load.sh -f /var/tmp/zcp-4g.bin   on a quiet machine
#
# Run time with the defaults: 2 files x 2 servers x 3 rounds x ~11 s = ~2.2 min
# for wrk plus 8 s of warm-up, ~15 s for slowloris, ~1 min for the 8 x 4 GiB
# downloads, and ~10-30 s to create the 4 GiB file when -f does not name an
# existing one: about 4 minutes. The report (Markdown) goes to stdout and DIR/report.md;
# progress goes to stderr. Needs wrk, nginx (nginx-light), curl, openssl,
# /usr/bin/python3; `make deps` installs them. All traffic is to 127.0.0.1;
# every wait is bounded; both servers are stopped on exit, Ctrl-C included.
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10 CONNS=256 THREADS=2 ROUNDS=3 WORKERS=2 BIG_SIZE=4G BIG_FILE=""
OUT_DIR="" ZCP=${ZCP:-$ROOT_DIR/build/zcp}
NGINX=/usr/sbin/nginx PY=/usr/bin/python3
SLOW_CONNS=500 RSS_CLIENTS=8

usage() { sed -n '/^# Usage:/,/^# Full run:/s/^# \{0,1\}//p' "$0"; }
die() {
  echo "serve_load.sh: $*" >&2
  exit 1
}
log() { echo "[$(date +%T)] $*" >&2; }

while getopts "d:c:t:r:w:s:f:o:z:h" opt; do
  case $opt in
    d) DURATION=$OPTARG ;;
    c) CONNS=$OPTARG ;;
    t) THREADS=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    w) WORKERS=$OPTARG ;;
    s) BIG_SIZE=$OPTARG ;;
    f) BIG_FILE=$OPTARG ;;
    o) OUT_DIR=$OPTARG ;;
    z) ZCP=$OPTARG ;;
    h) usage && exit 0 ;;
    *) usage >&2 && exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2 && exit 2; }
for v in DURATION CONNS THREADS ROUNDS WORKERS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "-${v:0:1}: want a positive integer, got '${!v}'"
done
[[ $BIG_SIZE =~ ^[1-9][0-9]*[KMG]?$ ]] || die "-s: want e.g. 4G or 256M, got '$BIG_SIZE'"
OUT_DIR=${OUT_DIR:-$ROOT_DIR/bench/results/serve-$(date +%Y%m%d-%H%M%S)}

# --- prerequisites -----------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }
need wrk "install Debian's wrk (make deps)"
need curl "install curl (make deps)"
need openssl "install openssl"
need timeout "install coreutils"
[ -x "$NGINX" ] || die "$NGINX not found: install nginx-light (make deps)"
[ -x "$PY" ] || die "$PY not found: install python3"
[ -x "$ZCP" ] || die "$ZCP not found: build it first (make build) or pass -z"
mkdir -p "$OUT_DIR"

# --- cleanup: stop whatever we started, by pid, even on Ctrl-C ---------------
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/zcp-serve-bench-XXXXXX")
ZCP_PID="" NGINX_PID="" NGINX_WORKERS="" BG_PIDS=()

# pid_alive PID: running and not a zombie (a zombie child still passes kill -0).
pid_alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# stop_pid PID SECS [EXTRA_PIDS...]: SIGTERM, up to SECS for it to go, then
# SIGKILL to it and the extra pids (nginx workers orphaned by a killed master).
stop_pid() {
  local pid=$1 secs=$2 i
  shift 2
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  for p in "$@"; do if pid_alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi; done
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${BG_PIDS[@]:-}"; do if [ -n "$p" ]; then kill -TERM "$p" 2>/dev/null || true; fi; done
  stop_pid "$ZCP_PID" 3
  # shellcheck disable=SC2086  # a list of pids
  stop_pid "$NGINX_PID" 3 $NGINX_WORKERS
  cp "$SCRATCH/root/nginx-error.log" "$OUT_DIR/" 2>/dev/null || true
  rm -rf "$SCRATCH"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. the files ------------------------------------------------------------
# AES-CTR over zeros: incompressible, and ~1.5 GB/s where /dev/urandom is slower.
make_random() { # make_random SIZE FILE
  { openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass "pass:zcp-$RANDOM" -in /dev/zero 2>/dev/null || true; } |
    head -c "$1" >"$2.tmp"
  mv "$2.tmp" "$2"
}

WWW=$SCRATCH/www
mkdir -p "$WWW" "$SCRATCH/root"
make_random 4K "$WWW/4k.bin"
make_random 1M "$WWW/1m.bin"
if [ -n "$BIG_FILE" ]; then
  if [ ! -f "$BIG_FILE" ]; then
    log "creating $BIG_FILE ($BIG_SIZE), kept for later runs"
    make_random "$BIG_SIZE" "$BIG_FILE"
  fi
  # zcp resolves paths beneath its root (RESOLVE_BENEATH): no symlink out.
  ln "$BIG_FILE" "$WWW/big.bin" 2>/dev/null ||
    cp --reflink=always "$BIG_FILE" "$WWW/big.bin" 2>/dev/null ||
    die "cannot hard-link $BIG_FILE into $WWW: put it on the same filesystem as \$TMPDIR (${TMPDIR:-/tmp})"
else
  log "creating the big file ($BIG_SIZE) in $SCRATCH"
  make_random "$BIG_SIZE" "$WWW/big.bin"
fi
BIG_BYTES=$(stat -c %s "$WWW/big.bin")
log "warming the page cache"
cat "$WWW/4k.bin" "$WWW/1m.bin" "$WWW/big.bin" >/dev/null

# --- 2. the servers ----------------------------------------------------------
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL PID NAME LOG: up to 10 s for URL to answer 200 while PID lives.
wait_http() {
  local i
  for ((i = 0; i < 100; i++)); do
    pid_alive "$2" || die "$3 died at startup: $(tail -c 2000 "$4")"
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" || true)" = 200 ] && return 0
    sleep 0.1
  done
  die "$3 did not answer $1 within 10 s: $(tail -c 2000 "$4")"
}

start_nginx() {
  local user_line="" port
  [ "$(id -u)" = 0 ] && user_line="user root;"
  for _ in 1 2 3; do
    port=$(free_port)
    cat >"$SCRATCH/root/nginx.conf" <<EOF
# generated by bench/serve_load.sh
$user_line
daemon off;
master_process on;
worker_processes $WORKERS;
pid $SCRATCH/root/nginx.pid;
lock_file $SCRATCH/root/nginx.lock;
error_log $SCRATCH/root/nginx-error.log warn;
events { worker_connections 4096; }
http {
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  access_log off;
  client_body_temp_path $SCRATCH/root/body;
  proxy_temp_path $SCRATCH/root/proxy;
  fastcgi_temp_path $SCRATCH/root/fastcgi;
  uwsgi_temp_path $SCRATCH/root/uwsgi;
  scgi_temp_path $SCRATCH/root/scgi;
  server {
    listen 127.0.0.1:$port;
    root $WWW;
  }
}
EOF
    "$NGINX" -p "$SCRATCH/root/" -c "$SCRATCH/root/nginx.conf" -e "$SCRATCH/root/nginx-error.log" \
      >"$SCRATCH/root/nginx.out" 2>&1 &
    NGINX_PID=$!
    sleep 0.3
    if pid_alive "$NGINX_PID"; then break; fi
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=""
    grep -q "Address already in use" "$SCRATCH/root/nginx-error.log" "$SCRATCH/root/nginx.out" 2>/dev/null ||
      die "nginx failed to start: $(cat "$SCRATCH/root/nginx.out" "$SCRATCH/root/nginx-error.log" 2>/dev/null)"
  done
  [ -n "$NGINX_PID" ] || die "nginx: no free port after 3 tries"
  NGINX_URL="http://127.0.0.1:$port/"
  wait_http "${NGINX_URL}4k.bin" "$NGINX_PID" nginx "$SCRATCH/root/nginx-error.log"
  NGINX_WORKERS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ' || true)
  cp "$SCRATCH/root/nginx.conf" "$OUT_DIR/nginx.conf"
}

start_zcp() {
  local i
  "$ZCP" serve "$WWW" --listen 127.0.0.1:0 --workers "$WORKERS" --quiet 2>"$OUT_DIR/zcp-serve.log" &
  ZCP_PID=$!
  ZCP_URL=""
  for ((i = 0; i < 100; i++)); do
    ZCP_URL=$(sed -n 's/^zcp serve: serving .* at \([^ ]*\) (engine.*/\1/p' "$OUT_DIR/zcp-serve.log" | head -1)
    [ -n "$ZCP_URL" ] && break
    pid_alive "$ZCP_PID" || die "zcp serve died at startup: $(cat "$OUT_DIR/zcp-serve.log")"
    sleep 0.1
  done
  [ -n "$ZCP_URL" ] || die "zcp serve printed no startup line: $(cat "$OUT_DIR/zcp-serve.log")"
  wait_http "${ZCP_URL}4k.bin" "$ZCP_PID" "zcp serve" "$OUT_DIR/zcp-serve.log"
}

server_url() { if [ "$1" = zcp ]; then echo "$ZCP_URL"; else echo "$NGINX_URL"; fi; }
server_pids() { # the server's processes now (nginx: master + workers)
  if [ "$1" = zcp ]; then echo "$ZCP_PID"; else echo "$NGINX_PID" $(pgrep -P "$NGINX_PID"); fi
}
check_alive() {
  pid_alive "$ZCP_PID" || die "zcp serve died ($1): $(tail -c 2000 "$OUT_DIR/zcp-serve.log")"
  pid_alive "$NGINX_PID" || die "nginx died ($1)"
}

log "starting nginx and zcp serve, $WORKERS workers each"
start_nginx
start_zcp
for f in 4k.bin 1m.bin; do # same bytes from both, or the comparison means nothing
  [ "$(curl -s "$ZCP_URL$f" | cksum)" = "$(curl -s "$NGINX_URL$f" | cksum)" ] ||
    die "zcp and nginx serve different bytes for $f"
done

# --- 3. wrk ------------------------------------------------------------------
# parse_wrk FILE: "req/s MiB/s p50_ms p99_ms non2xx sock_errors" (NA if absent).
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
      if (v ~ /[0-9]m$/) return v * 60000; if (v ~ /h$/) return v * 3600000
      if (v ~ /s$/) return v * 1000; return v + 0
    }
    function mib(v) {
      if (v ~ /KB$/) return v / 1024; if (v ~ /MB$/) return v + 0
      if (v ~ /GB$/) return v * 1024; if (v ~ /TB$/) return v * 1048576
      return v / 1048576
    }
    BEGIN { rps = tr = p50 = p99 = "NA"; n2 = se = 0 }
    /^Requests\/sec:/ { rps = $2 }
    /^Transfer\/sec:/ { tr = mib($2) }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { n2 = $NF }
    /Socket errors:/ { gsub(/,/, ""); se = $4 + $6 + $8 + $10 }
    END { print rps, tr, p50, p99, n2, se }' "$1"
}

# run_wrk_bounded OUT ARGS...: wrk ARGS >OUT, at most the duration + 30 s. In
# the background with `wait`, because wrk catches SIGINT and exits 0, and
# bash would then not run the INT trap for a Ctrl-C.
run_wrk_bounded() {
  local out=$1 wpid
  shift
  timeout $((DURATION + 30)) wrk "$@" >"$out" 2>&1 &
  wpid=$!
  BG_PIDS+=("$wpid")
  wait "$wpid" || log "wrk exited $? (see $out)"
}

RUNS=$OUT_DIR/wrk-runs.tsv
printf 'round\tfile\tserver\treq_s\tmib_s\tp50_ms\tp99_ms\tnon2xx\tsock_errors\n' >"$RUNS"
run_wrk() { # run_wrk ROUND FILE SERVER
  local raw=$OUT_DIR/wrk-$2-$3-r$1.txt
  check_alive "before wrk $2 $3 round $1"
  log "round $1/$ROUNDS: wrk $2 -> $3"
  run_wrk_bounded "$raw" --latency -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$(server_url "$3")$2"
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(parse_wrk "$raw" | tr ' ' '\t')" >>"$RUNS"
  sleep 1
}
# Warm-up, 2 s per server and file, not recorded: the first measured run
# should not pay for cold caches and fresh worker state.
for s in zcp nginx; do
  for f in 4k.bin 1m.bin; do
    run_wrk_bounded "$OUT_DIR/wrk-warmup-$f-$s.txt" -t"$THREADS" -c"$CONNS" -d2s "$(server_url "$s")$f"
  done
done
for ((r = 1; r <= ROUNDS; r++)); do
  order="zcp nginx"
  ((r % 2 == 0)) && order="nginx zcp"
  for f in 4k.bin 1m.bin; do
    for s in $order; do run_wrk "$r" "$f" "$s"; done
  done
done
check_alive "after wrk"

# --- 4. slowloris ------------------------------------------------------------
# Opens N connections (at most 15 s for all), sends each a partial request
# head, prints "ready OPEN FAILED", holds until SIGTERM or HOLD seconds, then
# prints how many the server had closed or answered meanwhile.
cat >"$SCRATCH/slowloris.py" <<'PYEOF'
import signal, socket, sys, time
host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
socks, failed = [], 0
open_deadline = time.monotonic() + 15
for i in range(n):
    if stop or time.monotonic() > open_deadline:
        failed += n - i
        break
    try:
        s = socket.create_connection((host, port), timeout=2)
        s.sendall(b"GET /1m.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n")
        socks.append(s)
    except OSError:
        failed += 1
print("ready", len(socks), failed, flush=True)
deadline = time.monotonic() + hold
while not stop and time.monotonic() < deadline:
    time.sleep(0.05)
gone = 0
for s in socks:
    s.setblocking(False)
    try:
        s.recv(65536)  # b"" (closed) or an answer such as 408: the server acted
        gone += 1
    except BlockingIOError:
        pass
    except OSError:
        gone += 1
print("closed_by_server", gone, flush=True)
PYEOF

# curl_1m URL: "seconds http_code bytes" (curl bounded at 30 s).
curl_1m() {
  curl -s -o /dev/null -m 30 -w '%{time_total} %{http_code} %{size_download}' "$1" || true
}

SLOW=$OUT_DIR/slowloris.tsv
printf 'server\tbaseline_s\tbaseline_code\topen\tfailed\tcurl_s\tcode\tbytes\tclosed_by_server\n' >"$SLOW"
slowloris() { # slowloris SERVER
  local url port base during out i ready="" sl_pid
  url=$(server_url "$1")
  port=${url##*:}
  port=${port%/}
  base=$(curl_1m "${url}1m.bin")
  out=$OUT_DIR/slowloris-$1.txt
  log "slowloris: $SLOW_CONNS idle connections -> $1"
  "$PY" "$SCRATCH/slowloris.py" 127.0.0.1 "$port" "$SLOW_CONNS" 60 >"$out" 2>&1 &
  sl_pid=$!
  BG_PIDS+=("$sl_pid")
  for ((i = 0; i < 200; i++)); do # the script gives up opening after 15 s
    ready=$(grep '^ready' "$out" || true)
    [ -n "$ready" ] && break
    pid_alive "$sl_pid" || break
    sleep 0.1
  done
  [ -n "$ready" ] || ready="ready 0 $SLOW_CONNS"
  sleep 0.5 # let the server accept and read the partial heads
  during=$(curl_1m "${url}1m.bin")
  stop_pid "$sl_pid" 5
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$(echo "$base" | cut -d' ' -f1,2 | tr ' ' '\t')" \
    "$(echo "$ready" | cut -d' ' -f2,3 | tr ' ' '\t')" "$(echo "$during" | tr ' ' '\t')" \
    "$(sed -n 's/^closed_by_server //p' "$out")" >>"$SLOW"
}
check_alive "before slowloris"
slowloris zcp
slowloris nginx
check_alive "after slowloris"

# --- 5. RSS under 8 concurrent big downloads ---------------------------------
rss_kib() { # total VmRSS of the given pids, KiB
  local total=0 v p
  for p in "$@"; do
    v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

RSS=$OUT_DIR/rss.tsv
printf 'server\tidle_rss_mib\tpeak_rss_mib\twall_s\tgb_s\tok_downloads\n' >"$RSS"
rss_run() { # rss_run SERVER
  local url pids=() i t0 t1 peak=0 idle cur alive ok=0 samples=$OUT_DIR/rss-samples-$1.tsv
  url=$(server_url "$1")
  # shellcheck disable=SC2046  # a list of pids
  idle=$(rss_kib $(server_pids "$1"))
  log "rss: $RSS_CLIENTS x $BIG_BYTES bytes from $1"
  t0=$(date +%s.%N)
  for ((i = 0; i < RSS_CLIENTS; i++)); do
    curl -s -o /dev/null -m 600 -w '%{http_code} %{size_download} %{time_total}\n' \
      "${url}big.bin" >"$OUT_DIR/rss-curl-$1-$i.txt" 2>&1 &
    pids+=($!)
    BG_PIDS+=($!)
  done
  printf 't_s\trss_kib\n' >"$samples"
  for ((i = 0; i < 3500; i++)); do # 0.2 s samples, 700 s at most (curl -m 600)
    # shellcheck disable=SC2046
    cur=$(rss_kib $(server_pids "$1"))
    ((cur > peak)) && peak=$cur
    awk -v a="$(date +%s.%N)" -v b="$t0" -v r="$cur" 'BEGIN { printf "%.2f\t%d\n", a - b, r }' >>"$samples"
    alive=0
    for p in "${pids[@]}"; do pid_alive "$p" && alive=1 && break; done
    ((alive)) || break
    sleep 0.2
  done
  t1=$(date +%s.%N)
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for ((i = 0; i < RSS_CLIENTS; i++)); do
    read -r code bytes _ <"$OUT_DIR/rss-curl-$1-$i.txt" || true
    [ "${code:-}" = 200 ] && [ "${bytes:-}" = "$BIG_BYTES" ] && ok=$((ok + 1))
  done
  awk -v s="$1" -v i="$idle" -v p="$peak" -v t0="$t0" -v t1="$t1" -v b="$BIG_BYTES" \
    -v n="$RSS_CLIENTS" -v ok="$ok" 'BEGIN {
      w = t1 - t0; printf "%s\t%.1f\t%.1f\t%.2f\t%.2f\t%d/%d\n", s, i / 1024, p / 1024, w, n * b / w / 1e9, ok, n }' >>"$RSS"
}
check_alive "before rss"
rss_run zcp
rss_run nginx
check_alive "after rss"

# --- 6. the report -----------------------------------------------------------
median() { # median of column COL for FILE and SERVER in wrk-runs.tsv
  awk -F'\t' -v f="$1" -v s="$2" -v c="$3" 'NR > 1 && $2 == f && $3 == s && $c != "NA" { v[n++] = $c }
    END {
      if (n == 0) { print "NA"; exit }
      for (i = 1; i < n; i++) for (j = i; j > 0 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
    }' "$RUNS"
}
total() { awk -F'\t' -v f="$1" -v s="$2" -v c="$3" 'NR > 1 && $2 == f && $3 == s { t += $c } END { print t + 0 }' "$RUNS"; }
fmt() { awk -v v="$1" -v p="$2" 'BEGIN { if (v == "NA") print "NA"; else printf "%." p "f\n", v }'; }

report() {
  local f s rps nrps ratio
  echo "# zcp serve vs nginx on loopback"
  echo
  echo "$(date -Is), $(uname -sr), $(nproc) cores, zcp $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT_DIR" diff --quiet 2>/dev/null || echo '+dirty'), $("$NGINX" -v 2>&1 | sed 's/.*: //'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')."
  echo "Both servers: $WORKERS workers, sendfile; nginx: tcp_nopush on, keepalive_requests 100000, access_log off."
  echo "wrk -t$THREADS -c$CONNS -d${DURATION}s --latency, $ROUNDS round(s), medians; errors summed over rounds. Raw outputs: $OUT_DIR"
  echo
  echo "## Throughput and latency (wrk)"
  echo
  echo "| file | server | req/s | MiB/s | p50 ms | p99 ms | non-2xx | socket errors | req/s vs nginx |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for f in 4k.bin 1m.bin; do
    nrps=$(median "$f" nginx 4)
    for s in zcp nginx; do
      rps=$(median "$f" "$s" 4)
      ratio=$(awk -v a="$rps" -v b="$nrps" 'BEGIN { if (a == "NA" || b == "NA" || b == 0) print "NA"; else printf "%.2fx\n", a / b }')
      echo "| $f | $s | $(fmt "$rps" 0) | $(fmt "$(median "$f" "$s" 5)" 1) | $(fmt "$(median "$f" "$s" 6)" 2) | $(fmt "$(median "$f" "$s" 7)" 2) | $(total "$f" "$s" 8) | $(total "$f" "$s" 9) | $ratio |"
    done
  done
  echo
  echo "## Slowloris: $SLOW_CONNS idle connections with a partial request head, then curl the 1 MiB file"
  echo
  echo "| server | curl ms alone | curl ms during | HTTP code, bytes during | idle conns open / failed | closed by server |"
  echo "|---|---:|---:|---|---:|---:|"
  awk -F'\t' 'NR > 1 { printf "| %s | %.1f | %.1f | %s, %s | %s / %s | %s |\n", $1, $2 * 1000, $6 * 1000, $7, $8, $4, $5, ($9 == "" ? "NA" : $9) }' "$SLOW"
  echo
  echo "## Memory: $RSS_CLIENTS concurrent curl -o /dev/null of a $((BIG_BYTES / 1048576)) MiB file"
  echo
  echo "| server | idle RSS MiB | peak RSS MiB | wall s | aggregate GB/s | complete downloads |"
  echo "|---|---:|---:|---:|---:|---:|"
  awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$RSS"
  echo
  if [ -s "$OUT_DIR/zcp-serve.log" ] && [ "$(wc -l <"$OUT_DIR/zcp-serve.log")" -gt 1 ]; then
    echo "zcp serve stderr beyond the startup line ($(($(wc -l <"$OUT_DIR/zcp-serve.log") - 1)) lines), first 5:"
    echo
    sed -n '2,6s/^/    /p' "$OUT_DIR/zcp-serve.log"
  else
    echo "zcp serve printed nothing beyond its startup line."
  fi
}
report | tee "$OUT_DIR/report.md"
log "done: $OUT_DIR"

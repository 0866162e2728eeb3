#!/usr/bin/env bash
# small_files.sh: `zcp serve` against Debian's h2o, lighttpd and nginx on
# 127.0.0.1 with small and medium files (issue 14), every server started by
# this script with the same worker count, its config written to a scratch
# dir. A benchmark, not a test: it prints numbers, it never fails on them.
#
# What it measures, for each server:
#   1. wrk -t T -c C -d D (keep-alive) on a 4 KiB, a 64 KiB and a 1 MiB file,
#      R rounds, the server order rotated every round (interleaved, so drift
#      hits all alike): median requests/s over the rounds.
#   2. Syscalls per request: the server run under `strace -f -c` (all its
#      processes and threads) during one wrk run of S seconds on the 4 KiB
#      file; total calls / requests wrk completed, and the three commonest.
#   3. RSS with 1000 connections: total VmRSS of the server's processes idle,
#      then sampled every 0.2 s during `wrk -c 1000` on the 4 KiB file.
#
# Usage: bench/small_files.sh [-d SECS] [-c CONNS] [-t THREADS] [-r ROUNDS]
#                             [-w WORKERS] [-S SECS] [-s SIZES] [-x SERVERS] [-o DIR] [-z ZCP]
#   -d  wrk duration per run (5)               -c  wrk connections (256)
#   -t  wrk threads (2)                        -r  rounds, medians over them (3)
#   -w  workers/threads of every server (2)    -S  strace run length, 0 skips it (3)
#   -s  file sizes, space-separated (default "4k 64k 1m"; k and m are KiB, MiB)
#   -x  servers, space-separated, from: zcp zcp-uring zcp-epoll zcp-nocache h2o
#       lighttpd nginx canned (default "zcp zcp-epoll h2o lighttpd nginx canned";
#       zcp is zcp serve's defaults (the io_uring loop for plain HTTP),
#       zcp-uring is zcp --event-loop io_uring, zcp-epoll --event-loop epoll,
#       zcp-nocache is zcp --no-file-cache, zcp-copy=SIZE is zcp
#       --copy-below SIZE: the threshold experiment; canned is the reference
#       row bench/canned_ceiling.c: one prebuilt 4 KiB reply per request head,
#       the ceiling of recv + send via epoll, run on the 4 KiB file only and
#       never counted as "best other")
#   -o  where raw outputs and report.md go (bench/results/small-<date>)
#   -z  zcp binary (build/zcp, or $ZCP)
#   Extra arguments for every zcp server: $ZCP_ARGS (e.g. "--copy-below 0").
# Smoke run:  bench/small_files.sh -d 2 -r 1 -S 1
#
# Run time with the defaults: 3 files x 5 servers x 3 rounds x ~6 s (canned on 4 KiB only) = ~4.8
# min, plus ~10 s of strace and ~8 s of RSS per server: about 6 minutes.
# Needs wrk, h2o, lighttpd, nginx (nginx-light), strace, curl, python3;
# `make deps` installs them. Every wait is bounded; every server is stopped
# on exit, Ctrl-C included, and the scratch dir removed.
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=5 CONNS=256 THREADS=2 ROUNDS=3 WORKERS=2 STRACE_SECS=3
SERVERS="zcp zcp-epoll h2o lighttpd nginx canned" SIZES="4k 64k 1m" OUT_DIR="" ZCP=${ZCP:-$ROOT_DIR/build/zcp}
H2O=/usr/bin/h2o LIGHTTPD=/usr/sbin/lighttpd NGINX=/usr/sbin/nginx PY=/usr/bin/python3
RSS_CONNS=1000

usage() { sed -n '/^# Usage:/,/^# Smoke run:/s/^# \{0,1\}//p' "$0"; }
die() {
  echo "small_files.sh: $*" >&2
  exit 1
}
log() { echo "[$(date +%T)] $*" >&2; }

while getopts "d:c:t:r:w:S:s:x:o:z:h" opt; do
  case $opt in
    d) DURATION=$OPTARG ;;
    c) CONNS=$OPTARG ;;
    t) THREADS=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    w) WORKERS=$OPTARG ;;
    S) STRACE_SECS=$OPTARG ;;
    s) SIZES=$OPTARG ;;
    x) SERVERS=$OPTARG ;;
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
[[ $STRACE_SECS =~ ^[0-9]+$ ]] || die "-S: want a number of seconds, got '$STRACE_SECS'"
for s in $SERVERS; do
  case $s in zcp | zcp-uring | zcp-epoll | zcp-nocache | zcp-copy=* | h2o | lighttpd | nginx | canned) ;; *) die "-x: unknown server '$s'" ;; esac
done
OUT_DIR=${OUT_DIR:-$ROOT_DIR/bench/results/small-$(date +%Y%m%d-%H%M%S)}

need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }
need wrk "install Debian's wrk (make deps)"
need curl "install curl (make deps)"
need strace "install strace (make deps)"
[ -x "$PY" ] || die "$PY not found: install python3"
for s in $SERVERS; do
  case $s in
    zcp*) [ -x "$ZCP" ] || die "$ZCP not found: build it first (make build) or pass -z" ;;
    h2o) [ -x "$H2O" ] || die "$H2O not found: install h2o (make deps)" ;;
    lighttpd) [ -x "$LIGHTTPD" ] || die "$LIGHTTPD not found: install lighttpd (make deps)" ;;
    nginx) [ -x "$NGINX" ] || die "$NGINX not found: install nginx-light (make deps)" ;;
    canned) need gcc "install gcc: the canned reference row is built from bench/canned_ceiling.c" ;;
  esac
done
mkdir -p "$OUT_DIR"
# wrk -c 1000 and the servers need more than the usual 1024 descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# --- cleanup: stop whatever we started, by pid, even on Ctrl-C ---------------
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/zcp-small-bench-XXXXXX")
SERVER_PID="" BG_PIDS=()

pid_alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
descendants() { # every process below PID, depth first
  local c
  for c in $(pgrep -P "$1" 2>/dev/null || true); do
    echo "$c"
    descendants "$c"
  done
}
# stop_tree PID: SIGTERM to PID, up to 5 s, then SIGKILL to it and whatever
# it had started (nginx and lighttpd workers, h2o's helpers).
stop_tree() {
  local pid=$1 kids i
  [ -n "$pid" ] || return 0
  kids=$(descendants "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  for p in $pid $kids; do if pid_alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi; done
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${BG_PIDS[@]:-}"; do if [ -n "$p" ]; then kill -TERM "$p" 2>/dev/null || true; fi; done
  stop_tree "$SERVER_PID"
  rm -rf "$SCRATCH"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the files ---------------------------------------------------------------
WWW=$SCRATCH/www
mkdir -p "$WWW"
FILES=""
for z in $SIZES; do
  [[ $z =~ ^[1-9][0-9]*[km]$ ]] || die "-s: want sizes like 4k or 1m, got '$z'"
  n=${z%?}
  case $z in *k) n=$((n * 1024)) ;; *m) n=$((n * 1048576)) ;; esac
  head -c "$n" /dev/urandom >"$WWW/$z.bin"
  FILES="$FILES $z.bin"
done
cat "$WWW"/*.bin >/dev/null
SMALLEST=${SIZES%% *}.bin # strace and RSS runs use the first size
CANNED=$SCRATCH/canned_ceiling
case " $SERVERS " in *" canned "*)
  gcc -O2 -pthread -o "$CANNED" "$ROOT_DIR/bench/canned_ceiling.c" || die "cannot build bench/canned_ceiling.c"
  [[ " $SIZES " == *" 4k "* ]] || die "-x canned: its reply is 4 KiB, so -s must include 4k"
  ;;
esac
# serves SERVER FILE: whether SERVER's numbers for FILE mean anything (the
# canned reply is 4 KiB whatever is asked for).
serves() { [ "$1" != canned ] || [ "$2" = 4k.bin ]; }

# --- the servers: one at a time, each on a fresh port -------------------------
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# write_config SERVER PORT DIR: the peer's config file, printed as its path.
write_config() {
  local s=$1 port=$2 d=$3
  case $s in
    h2o)
      cat >"$d/h2o.conf" <<EOF
# generated by bench/small_files.sh
user: $(id -un)
num-threads: $WORKERS
max-connections: 65536
listen:
  host: 127.0.0.1
  port: $port
pid-file: $d/h2o.pid
error-log: $d/h2o-error.log
hosts:
  default:
    paths:
      /:
        file.dir: $WWW
EOF
      echo "$d/h2o.conf" ;;
    lighttpd)
      cat >"$d/lighttpd.conf" <<EOF
# generated by bench/small_files.sh
server.document-root = "$WWW"
server.bind = "127.0.0.1"
server.port = $port
server.max-worker = $WORKERS
server.max-connections = 8192
server.max-fds = 65536
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 60
server.errorlog = "$d/lighttpd-error.log"
server.pid-file = "$d/lighttpd.pid"
EOF
      echo "$d/lighttpd.conf" ;;
    nginx)
      mkdir -p "$d/nginx"
      cat >"$d/nginx.conf" <<EOF
# generated by bench/small_files.sh
$([ "$(id -u)" = 0 ] && echo "user root;")
daemon off;
master_process on;
worker_processes $WORKERS;
worker_rlimit_nofile 65536;
pid $d/nginx.pid;
lock_file $d/nginx.lock;
error_log $d/nginx-error.log warn;
events { worker_connections 8192; }
http {
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=1000 inactive=20s;
  keepalive_requests 1000000;
  access_log off;
  client_body_temp_path $d/nginx/body;
  proxy_temp_path $d/nginx/proxy;
  fastcgi_temp_path $d/nginx/fastcgi;
  uwsgi_temp_path $d/nginx/uwsgi;
  scgi_temp_path $d/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    root $WWW;
  }
}
EOF
      echo "$d/nginx.conf" ;;
  esac
}

# server_cmd SERVER PORT: the command line that runs SERVER in the foreground.
server_cmd() {
  local d=$SCRATCH/$1
  mkdir -p "$d"
  case $1 in
    zcp) echo "$ZCP serve $WWW --listen 127.0.0.1:$2 --workers $WORKERS --quiet ${ZCP_ARGS:-}" ;;
    zcp-uring) echo "$ZCP serve $WWW --listen 127.0.0.1:$2 --workers $WORKERS --quiet --event-loop io_uring ${ZCP_ARGS:-}" ;;
    zcp-epoll) echo "$ZCP serve $WWW --listen 127.0.0.1:$2 --workers $WORKERS --quiet --event-loop epoll ${ZCP_ARGS:-}" ;;
    canned) echo "$CANNED $2 $WORKERS" ;;
    zcp-nocache) echo "$ZCP serve $WWW --listen 127.0.0.1:$2 --workers $WORKERS --quiet --no-file-cache ${ZCP_ARGS:-}" ;;
    zcp-copy=*) echo "$ZCP serve $WWW --listen 127.0.0.1:$2 --workers $WORKERS --quiet --copy-below ${1#zcp-copy=} ${ZCP_ARGS:-}" ;;
    h2o) echo "$H2O -c $(write_config h2o "$2" "$d")" ;;
    lighttpd) echo "$LIGHTTPD -D -f $(write_config lighttpd "$2" "$d")" ;;
    nginx) echo "$NGINX -p $d/ -c $(write_config nginx "$2" "$d") -e $d/nginx-error.log" ;;
  esac
}

# start_server SERVER [WRAPPER...]: runs it (under WRAPPER, e.g. strace),
# waits up to 10 s for the 4 KiB file, sets SERVER_PID and URL.
start_server() {
  local s=$1 port cmd i
  shift
  port=$(free_port)
  cmd=$(server_cmd "$s" "$port")
  cp "$SCRATCH/$s/"*.conf "$OUT_DIR/" 2>/dev/null || true
  # Its own session: lighttpd's master signals its whole process group
  # when it stops, which would otherwise include this script.
  # shellcheck disable=SC2086  # a command line
  setsid "$@" $cmd >"$OUT_DIR/$s.out" 2>&1 &
  SERVER_PID=$!
  URL="http://127.0.0.1:$port/"
  for ((i = 0; i < 100; i++)); do
    pid_alive "$SERVER_PID" || die "$s died at startup: $(tail -c 2000 "$OUT_DIR/$s.out")"
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "${URL}$SMALLEST" || true)" = 200 ] && return 0
    sleep 0.1
  done
  die "$s did not answer ${URL}$SMALLEST within 10 s: $(tail -c 2000 "$OUT_DIR/$s.out")"
}
stop_server() {
  local i
  if [ "$(cat "/proc/$SERVER_PID/comm" 2>/dev/null)" = strace ]; then
    # Stop the traced server, not strace: strace writes its summary once
    # the last traced process has exited.
    stop_tree "$(pgrep -P "$SERVER_PID" | head -1)"
    for ((i = 0; i < 100; i++)); do pid_alive "$SERVER_PID" || break; sleep 0.1; done
  fi
  stop_tree "$SERVER_PID"
  SERVER_PID=""
}

# The server's processes: the one started and everything below it, without
# strace itself when it is the wrapper.
server_pids() {
  local p
  for p in $SERVER_PID $(descendants "$SERVER_PID"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = strace ] || echo "$p"
  done
}
rss_kib() {
  local total=0 v p
  for p in $(server_pids); do
    v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# CPU time (user + system) of the server's processes, in clock ticks: per
# request it is steadier than req/s on a busy machine, where other work
# takes cores away from server and wrk alike.
cpu_ticks() {
  local total=0 p
  for p in $(server_pids); do
    total=$((total + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
TICKS=$(getconf CLK_TCK)

run_wrk() { # run_wrk OUT ARGS...: bounded, in the background so Ctrl-C works
  local out=$1 wpid
  shift
  timeout 120 wrk "$@" >"$out" 2>&1 &
  wpid=$!
  BG_PIDS+=("$wpid")
  wait "$wpid" || log "wrk exited $? (see $out)"
}
wrk_rps() { awk '/^Requests\/sec:/ { print $2; found = 1 } END { if (!found) print "NA" }' "$1"; }
wrk_requests() { awk '/requests in/ { print $1 }' "$1"; }
wrk_errors() { # non-2xx plus socket errors
  awk '/Non-2xx or 3xx responses:/ { e += $NF } /Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
       END { print e + 0 }' "$1"
}

# --- 1. the same bytes from every server --------------------------------------
for s in $SERVERS; do
  start_server "$s"
  for f in $FILES; do
    if [ "$s" = canned ]; then
      [ "$(curl -s "$URL$f" | wc -c)" = 4096 ] || die "canned does not answer 4096 bytes"
      continue
    fi
    cmp -s <(curl -s "$URL$f") "$WWW/$f" || die "$s serves different bytes for $f"
  done
  stop_server
done

# --- 2. throughput, interleaved -------------------------------------------------
RUNS=$OUT_DIR/wrk-runs.tsv
printf 'round\tfile\tserver\treq_s\terrors\tcpu_us_per_req\n' >"$RUNS"
read -r -a order <<<"$SERVERS"
for ((r = 1; r <= ROUNDS; r++)); do
  for s in "${order[@]}"; do
    start_server "$s"
    for f in $FILES; do
      serves "$s" "$f" || continue
      run_wrk "$OUT_DIR/wrk-warmup.txt" -t"$THREADS" -c"$CONNS" -d1s "$URL$f"
      raw=$OUT_DIR/wrk-$f-$s-r$r.txt
      log "round $r/$ROUNDS: wrk $f -> $s"
      t0=$(cpu_ticks)
      run_wrk "$raw" -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$URL$f"
      t1=$(cpu_ticks)
      cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$TICKS" -v n="$(wrk_requests "$raw")" \
        'BEGIN { if (n > 0) printf "%.2f", (b - a) / hz * 1e6 / n; else print "NA" }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$f" "$s" "$(wrk_rps "$raw")" "$(wrk_errors "$raw")" "$cpu" >>"$RUNS"
    done
    pid_alive "$SERVER_PID" || die "$s died during round $r"
    stop_server
  done
  order=("${order[@]:1}" "${order[0]}") # rotate: each server leads once in turn
done

# --- 3. syscalls per request (strace -f -c) ------------------------------------
SYS=$OUT_DIR/syscalls.tsv
printf 'server\trequests\tcalls\tper_request\ttop\n' >"$SYS"
if ((STRACE_SECS > 0)); then
  for s in $SERVERS; do
    log "strace -f -c: $s, wrk ${STRACE_SECS}s on $SMALLEST"
    start_server "$s" strace -f -c -o "$OUT_DIR/strace-$s.txt"
    raw=$OUT_DIR/wrk-strace-$s.txt
    run_wrk "$raw" -t"$THREADS" -c"$CONNS" -d"${STRACE_SECS}s" "${URL}$SMALLEST"
    stop_server # strace writes its summary when the last traced process exits
    for ((i = 0; i < 50; i++)); do [ -s "$OUT_DIR/strace-$s.txt" ] && break; sleep 0.1; done
    awk -v s="$s" -v n="$(wrk_requests "$raw")" '
      $1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { calls[$NF] = $4 }
      $NF == "total" { total = $4 }
      END {
        k = 0
        for (name in calls) { names[k++] = name }
        for (i = 0; i < k; i++) for (j = i + 1; j < k; j++) if (calls[names[j]] + 0 > calls[names[i]] + 0) { t = names[i]; names[i] = names[j]; names[j] = t }
        top = ""
        for (i = 0; i < k && i < 3; i++) top = top (i ? ", " : "") names[i] sprintf(" %.2f", calls[names[i]] / n)
        printf "%s\t%s\t%s\t%.2f\t%s\n", s, n, total, total / n, top
      }' "$OUT_DIR/strace-$s.txt" >>"$SYS"
  done
fi

# --- 4. RSS with 1000 connections ------------------------------------------------
RSS=$OUT_DIR/rss.tsv
printf 'server\tidle_mib\tpeak_mib\tafter_mib\treq_s\terrors\n' >"$RSS"
for s in $SERVERS; do
  start_server "$s"
  idle=$(rss_kib)
  log "rss: wrk -c $RSS_CONNS -> $s"
  raw=$OUT_DIR/wrk-rss-$s.txt
  timeout 60 wrk -t"$THREADS" -c"$RSS_CONNS" -d"${DURATION}s" "${URL}$SMALLEST" >"$raw" 2>&1 &
  wpid=$!
  BG_PIDS+=("$wpid")
  peak=$idle
  while pid_alive "$wpid"; do
    cur=$(rss_kib)
    ((cur > peak)) && peak=$cur
    sleep 0.2
  done
  wait "$wpid" || true
  after=$(rss_kib)
  awk -v s="$s" -v i="$idle" -v p="$peak" -v a="$after" -v r="$(wrk_rps "$raw")" -v e="$(wrk_errors "$raw")" \
    'BEGIN { printf "%s\t%.1f\t%.1f\t%.1f\t%s\t%s\n", s, i / 1024, p / 1024, a / 1024, r, e }' >>"$RSS"
  stop_server
done

# --- 5. the report ------------------------------------------------------------
median() { # median of column COL (4: req/s) for FILE and SERVER, printed with FMT
  awk -F'\t' -v f="$1" -v s="$2" -v c="${3:-4}" -v fmt="${4:-%.0f}" 'NR > 1 && $2 == f && $3 == s && $c != "NA" { v[n++] = $c }
    END {
      if (n == 0) { print "NA"; exit }
      for (i = 1; i < n; i++) for (j = i; j > 0 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      printf fmt "\n", (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
    }' "$RUNS"
}
runs_of() { awk -F'\t' -v f="$1" -v s="$2" 'NR > 1 && $2 == f && $3 == s { printf "%s%.0f", (n++ ? " " : ""), $4 }' "$RUNS"; }
errors_of() { awk -F'\t' -v f="$1" -v s="$2" 'NR > 1 && $2 == f && $3 == s { e += $5 } END { print e + 0 }' "$RUNS"; }

report() {
  local f s m ref
  echo "# Small files: zcp serve, h2o, lighttpd, nginx on loopback"
  echo
  echo "$(date -Is), $(uname -sr), $(nproc) cores, zcp $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT_DIR" diff --quiet 2>/dev/null || echo '+dirty') ${ZCP_ARGS:-}, h2o $("$H2O" --version 2>/dev/null | head -1 | awk '{print $3}'), $("$LIGHTTPD" -v 2>/dev/null | head -1 | cut -d' ' -f1), $("$NGINX" -v 2>&1 | sed 's/.*: //')."
  echo "Every server: $WORKERS workers/threads, keep-alive, access log off. wrk -t$THREADS -c$CONNS -d${DURATION}s after a 1 s warm-up, $ROUNDS rounds, server order rotated per round; median req/s (the runs in brackets). Raw outputs and configs: $OUT_DIR"
  echo
  local zs=""
  for s in $SERVERS; do case $s in zcp*) zs="$zs $s" ;; esac; done
  echo "| file | $(echo "$SERVERS" | sed 's/ / | /g') |$(for s in $zs; do printf ' %s / best other |' "$s"; done)"
  echo "|---|$(for _ in $SERVERS $zs; do printf -- '---:|'; done)"
  for f in $FILES; do
    printf '| %s |' "$f"
    ref=0
    for s in $SERVERS; do
      m=$(median "$f" "$s")
      printf ' %s (%s)%s |' "$m" "$(runs_of "$f" "$s")" "$([ "$(errors_of "$f" "$s")" = 0 ] || echo ", $(errors_of "$f" "$s") errors")"
      case $s in zcp* | canned) ;; *) [ "$m" != NA ] && ((m > ref)) && ref=$m ;; esac
    done
    for s in $zs; do
      m=$(median "$f" "$s")
      awk -v a="$m" -v b="$ref" 'BEGIN { if (a == "NA" || b == 0) printf " NA |"; else printf " %.2fx |", a / b }'
    done
    echo
  done
  if [[ " $SERVERS " == *" canned "* ]]; then
    echo
    printf 'canned is bench/canned_ceiling.c (one prebuilt 4 KiB reply per request head, recv + send via epoll): a reference, not counted as best other. On 4k.bin:'
    for s in $zs $(for x in $SERVERS; do case $x in zcp* | canned) ;; *) echo "$x" ;; esac; done); do
      awk -v n="$s" -v a="$(median 4k.bin "$s")" -v b="$(median 4k.bin canned)" \
        'BEGIN { if (a == "NA" || b == "NA" || b == 0) printf " %s NA;", n; else printf " %s %.2fx canned;", n, a / b }'
    done
    echo
  fi
  echo
  echo "## Server CPU per request (user + system of all its processes during each wrk run / requests), median µs"
  echo
  echo "| file | $(echo "$SERVERS" | sed 's/ / | /g') |"
  echo "|---|$(for _ in $SERVERS; do printf -- '---:|'; done)"
  for f in $FILES; do
    printf '| %s |' "$f"
    for s in $SERVERS; do printf ' %s |' "$(median "$f" "$s" 6 %.2f)"; done
    echo
  done
  if ((STRACE_SECS > 0)); then
    echo
    echo "## Syscalls per request: strace -f -c on the server, wrk -t$THREADS -c$CONNS -d${STRACE_SECS}s on $SMALLEST"
    echo
    echo "| server | requests | syscalls | per request | commonest, per request |"
    echo "|---|---:|---:|---:|---|"
    awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$SYS"
  fi
  echo
  echo "## RSS (all the server's processes): idle, peak and after wrk -t$THREADS -c$RSS_CONNS -d${DURATION}s on $SMALLEST"
  echo
  echo "| server | idle MiB | peak MiB | after MiB | req/s | errors |"
  echo "|---|---:|---:|---:|---:|---:|"
  awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$RSS"
}
report | tee "$OUT_DIR/report.md"
log "done: $OUT_DIR"

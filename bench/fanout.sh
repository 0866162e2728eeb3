#!/usr/bin/env bash
# fanout.sh: one file to four hosts, four ways, over links shaped like a
# network's. A benchmark, not a test: it prints numbers, it never fails on them.
#
# The bed is tests/support/netns.sh's: sender a and hosts b c d e, each a
# network namespace on one bridge, every link shaped by tbf to RATE both ways.
#   1host      zcp put FILE URLb                    (the floor: one copy)
#   chain4     zcp put FILE URLb URLc URLd URLe     (zcp serve --upload --relay)
#   parallel4  four concurrent `zcp put FILE URLx` from a
#   nctee4     a: nc -N b < FILE; b, c, d: nc -l | tee COPY | nc -N NEXT;
#              e: nc -l > COPY                      (netcat-openbsd)
# Seconds are wall time from the first byte's sender starting to the last
# copy stored: for zcp, the put's exit, which comes after every host
# fsync'd; for nc, every pipeline exited and ran sync(1) on its copy, so
# both mean "on disk". Servers and listeners are up before the clock starts.
# Each run does every mode once, the order rotating from run to run so drift
# hits all alike; a mode that fails is reported and the rest go on. Every
# copy is compared with the source (cmp, untimed), then deleted.
# Relay CPU is that of host c, a middle relay, per GiB it forwarded:
# zcp serve's utime+stime (all threads, /proc/PID/stat) across the chain4
# put; for nctee4, the children times (bash's `times`) of c's nc|tee|nc.
# The same for e, the last host, which only stores, is the reference: most
# of either is the kernel's TCP receive, which any copy pays (on veth the
# sender's softirq work lands on the sending process, too).
#
# Usage: bench/fanout.sh [-r RUNS] [-s SIZE] [-R RATE] [-m MODES] [-z ZCP] [--json FILE]
#   -r  runs, medians over them (3, or $RUNS)
#   -s  file size, numfmt --from=iec syntax (256M, or $SIZE)
#   -R  link rate, tc syntax in bit/s: 200mbit, 1gbit ... (200mbit, or $RATE)
#   -m  modes, comma-separated (1host,chain4,parallel4,nctee4)
#   -z  zcp binary (build/zcp, or $ZCP)
#   --json FILE  also write every run and the summary as JSON to FILE
# Smoke run:  bench/fanout.sh -r 1 -s 32M
#
# Run time with the defaults: each run takes ~11 s for 1host, chain4 and
# nctee4 and ~43 s for parallel4 (a's link carries the file four times),
# plus ~1 s of checks per mode: about 4 minutes for 3 runs. Needs root,
# iproute2 (ip, tc, ss), netcat-openbsd, /usr/bin/python3. The report
# (Markdown) goes to stdout, progress to stderr. The namespaces, and every
# process in them, are removed on exit, Ctrl-C included; every wait is bounded.
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3} SIZE=${SIZE:-256M} RATE=${RATE:-200mbit} MODES=1host,chain4,parallel4,nctee4
ZCP=${ZCP:-$ROOT_DIR/build/zcp} JSON_OUT=""
NC_PORT=9000
HOSTS=(b c d e)

usage() { sed -n '/^# Usage:/,/^# Smoke run:/s/^# \{0,1\}//p' "$0"; }
die() {
  echo "fanout.sh: $*" >&2
  exit 2
}
log() { echo "[$(date +%T)] $*" >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    -r) RUNS=${2:-} ;;
    -s) SIZE=${2:-} ;;
    -R) RATE=${2:-} ;;
    -m) MODES=${2:-} ;;
    -z) ZCP=${2:-} ;;
    --json) JSON_OUT=${2:-} ;;
    -h | --help) usage && exit 0 ;;
    *) usage >&2 && exit 2 ;;
  esac
  [ $# -ge 2 ] || die "$1 needs a value"
  shift 2
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "-r: want a positive integer, got '$RUNS'"
BYTES=$(numfmt --from=iec "$SIZE" 2>/dev/null) || BYTES=0
[ "$BYTES" -gt 0 ] || die "-s: want e.g. 256M or 1G, got '$SIZE'"
[[ $RATE =~ ^([1-9][0-9]*)(bit|kbit|mbit|gbit)$ ]] || die "-R: want e.g. 200mbit or 1gbit, got '$RATE'"
case ${BASH_REMATCH[2]} in
  bit) RATE_BPS=${BASH_REMATCH[1]} ;;
  kbit) RATE_BPS=$((BASH_REMATCH[1] * 1000)) ;;
  mbit) RATE_BPS=$((BASH_REMATCH[1] * 1000000)) ;;
  gbit) RATE_BPS=$((BASH_REMATCH[1] * 1000000000)) ;;
esac
IFS=, read -r -a MODE_LIST <<<"$MODES"
for m in "${MODE_LIST[@]}"; do
  case $m in 1host | chain4 | parallel4 | nctee4) ;; *) die "-m: unknown mode '$m'" ;; esac
done
[ -z "$JSON_OUT" ] || : >"$JSON_OUT" || die "--json: cannot write $JSON_OUT"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for t in ip tc ss nc numfmt; do command -v "$t" >/dev/null || die "$t not found"; done
nc -h 2>&1 | grep -q OpenBSD || die "nc is not netcat-openbsd (apt-get install netcat-openbsd)"
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 not found"
[ -x "$ZCP" ] || die "$ZCP not found: build it first (make build) or pass -z"
ZCP=$(realpath "$ZCP")
# A command may take 8x its transfer time at RATE (parallel4 moves 4 files
# through a's link), plus a minute: then it is stopped and counted failed.
BOUND=$((60 + 8 * BYTES * 8 / RATE_BPS))

# --- the bed: e2e.sh's scratch dir and exit trap, netns.sh's hosts ----------
# Sourced, they remove the namespaces and every process in them on any exit;
# INT and TERM exit through that trap. Long waits are `wait`s on background
# jobs, which a trapped signal interrupts at once.
export ZCP
# shellcheck source=../tests/support/netns.sh
source "$ROOT_DIR/tests/support/netns.sh"
RESULTS=$SCRATCH/results.tsv
: >"$RESULTS"
netns_setup 5
for h in a "${HOSTS[@]}"; do netns_shape "$h" "$RATE"; done
RELAY=()
if "$ZCP" serve --help 2>/dev/null | grep -q -- '--relay'; then
  RELAY=(--relay)
else
  log "this zcp serve has no --relay: chain4 will fail"
fi
declare -A SERVER DEST
for h in "${HOSTS[@]}"; do
  mkdir -p "$SCRATCH/$h"
  netns_start_host_server "$h" --upload "${RELAY[@]}" "$SCRATCH/$h"
  SERVER[$h]=$SERVER_PID
  DEST[$h]=${URL}fanout.bin
done
mkdir -p "$SCRATCH/src"
FILE=$SCRATCH/src/fanout.bin
log "creating a $SIZE random file"
head -c "$BYTES" /dev/urandom >"$FILE"

# --- jobs: background commands in hosts, each bounded by timeout -----------
JOBS=() JOB_NAMES=() ERR=""
# job HOST NAME CMD...: CMD in HOST in the background, stderr to NAME.err.
job() {
  netns_spawn "$1" "$SCRATCH/$2.err" timeout "$BOUND" "${@:3}"
  JOBS+=("$NETNS_PID")
  JOB_NAMES+=("$2")
}
# wait_jobs: waits for every job; on the first failure stops the rest and
# sets ERR ("NAME exited RC: its first FAILED line, or its first line").
# It polls (10 ms): `wait -n` fails with "no such job" for a job that ended
# while it waited for another, and `wait PID` still has that job's status.
wait_jobs() {
  local i rc e
  while [ ${#JOBS[@]} -gt 0 ]; do
    for i in "${!JOBS[@]}"; do
      kill -0 "${JOBS[$i]}" 2>/dev/null && continue
      rc=0
      wait "${JOBS[$i]}" || rc=$?
      if [ "$rc" != 0 ] && [ -z "$ERR" ]; then
        e=$SCRATCH/${JOB_NAMES[$i]}.err
        ERR="${JOB_NAMES[$i]} exited $rc: $({ grep -m 1 FAILED "$e" || head -n 1 "$e"; } | cut -c1-200)"
        kill -TERM "${JOBS[@]}" 2>/dev/null || true
      fi
      unset "JOBS[$i]" "JOB_NAMES[$i]"
    done
    [ ${#JOBS[@]} -eq 0 ] || sleep 0.01
  done
  JOBS=() JOB_NAMES=()
}

stop_jobs() {
  kill -TERM "${JOBS[@]}" 2>/dev/null || true
  wait_jobs
}

now_ns() { date +%s%N; }
# proc_cpu PID: user+system seconds of PID's threads, live and exited.
proc_cpu() {
  sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($12 + $13) / hz }'
}
# times_children FILE: user+system seconds of the second line of bash's `times`.
times_children() {
  awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}
per_gib() { awk -v c="$1" -v b="$BYTES" 'BEGIN { printf "%.3f", c / (b / 1073741824) }'; }

# same COPY...: every COPY is the source, byte for byte; else sets ERR.
same() {
  local f
  for f in "$@"; do
    [ -n "$ERR" ] && return
    cmp -s "$FILE" "$f" || ERR="${f#"$SCRATCH/"}: $( [ -e "$f" ] && echo "differs from the source" || echo missing)"
  done
}

# cpu_delta BEFORE AFTER: AFTER - BEFORE, as CPU seconds per GiB of the file.
cpu_delta() { per_gib "$(awk -v a="$1" -v b="$2" 'BEGIN { print b - a }')"; }

# --- the modes: each sets SECONDS_TAKEN, CPU_C and CPU_E (per GiB), or ERR --
mode_1host() {
  local t0
  t0=$(now_ns)
  job a put-b "$ZCP" put "$FILE" "${DEST[b]}"
  wait_jobs
  SECONDS_TAKEN=$(($(now_ns) - t0))
  same "$SCRATCH/b/fanout.bin"
}

mode_chain4() {
  local t0 c0 e0
  c0=$(proc_cpu "${SERVER[c]}")
  e0=$(proc_cpu "${SERVER[e]}")
  t0=$(now_ns)
  job a put-chain "$ZCP" put "$FILE" "${DEST[b]}" "${DEST[c]}" "${DEST[d]}" "${DEST[e]}"
  wait_jobs
  SECONDS_TAKEN=$(($(now_ns) - t0))
  CPU_C=$(cpu_delta "$c0" "$(proc_cpu "${SERVER[c]}")")
  CPU_E=$(cpu_delta "$e0" "$(proc_cpu "${SERVER[e]}")")
  same "$SCRATCH"/{b,c,d,e}/fanout.bin
}

mode_parallel4() {
  local t0 h
  t0=$(now_ns)
  for h in "${HOSTS[@]}"; do job a "put-$h" "$ZCP" put "$FILE" "${DEST[$h]}"; done
  wait_jobs
  SECONDS_TAKEN=$(($(now_ns) - t0))
  same "$SCRATCH"/{b,c,d,e}/fanout.bin
}

# nc_listening HOST: waits (<= 5 s) until HOST's nc (the last job) listens
# on NC_PORT.
nc_listening() {
  for _ in $(seq 100); do
    [ -n "$(netns_exec "$1" ss -Hltn "sport = :$NC_PORT")" ] && return 0
    kill -0 "${JOBS[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  ERR="nc in $1 is not listening: $(head -n 1 "$SCRATCH/nc-$1.err")"
  return 1
}

mode_nctee4() {
  local t0 h
  declare -A next=([b]=c [c]=d [d]=e)
  # The last host first: each listener is up before its upstream connects.
  # shellcheck disable=SC2016  # expanded by the inner bash
  job e nc-e bash -c 'nc -d -l "$1" >"$2" || exit; times >"$3"; sync "$2"' \
    _ "$NC_PORT" "$SCRATCH/e/nc.bin" "$SCRATCH/nc-e.times"
  nc_listening e || { stop_jobs; return; }
  for h in d c b; do
    # shellcheck disable=SC2016
    job "$h" "nc-$h" bash -c 'nc -d -l "$1" | tee "$2" | nc -N "$3" "$1"
      rc="${PIPESTATUS[*]}"
      times >"$4"
      sync "$2"
      [ "$rc" = "0 0 0" ] || { echo "nc | tee | nc exited $rc" >&2; exit 1; }' \
      _ "$NC_PORT" "$SCRATCH/$h/nc.bin" "$(netns_ip "${next[$h]}")" "$SCRATCH/nc-$h.times"
    nc_listening "$h" || { stop_jobs; return; }
  done
  t0=$(now_ns)
  # shellcheck disable=SC2016
  job a nc-a bash -c 'nc -N "$1" "$2" <"$3"' _ "$(netns_ip b)" "$NC_PORT" "$FILE"
  wait_jobs
  SECONDS_TAKEN=$(($(now_ns) - t0))
  if [ -z "$ERR" ]; then
    CPU_C=$(per_gib "$(times_children "$SCRATCH/nc-c.times")")
    CPU_E=$(per_gib "$(times_children "$SCRATCH/nc-e.times")")
  fi
  same "$SCRATCH"/{b,c,d,e}/nc.bin
}

# run_mode MODE RUN: one timed transfer, one line in results.tsv.
run_mode() {
  SECONDS_TAKEN=0 CPU_C="" CPU_E="" ERR="" JOBS=() JOB_NAMES=()
  "mode_$1"
  local secs
  secs=$(awk -v ns="$SECONDS_TAKEN" 'BEGIN { printf "%.3f", ns / 1e9 }')
  if [ -n "$ERR" ]; then
    log "run $2: $1 FAILED: $ERR"
    printf '%s\t%s\t\t\t\t%s\n' "$1" "$2" "$ERR" >>"$RESULTS"
  else
    log "run $2: $1 ${secs} s${CPU_C:+, CPU s/GiB: relay c ${CPU_C}, last host e ${CPU_E}}"
    printf '%s\t%s\t%s\t%s\t%s\t\n' "$1" "$2" "$secs" "$CPU_C" "$CPU_E" >>"$RESULTS"
  fi
  rm -f "$SCRATCH"/{b,c,d,e}/{fanout,nc}.bin "$SCRATCH"/nc-*.times
}

# --- the runs ----------------------------------------------------------------
log "$RUNS runs of ${MODE_LIST[*]}: $SIZE to 4 hosts, links at $RATE"
n=${#MODE_LIST[@]}
for ((run = 1; run <= RUNS; run++)); do
  for ((k = 0; k < n; k++)); do run_mode "${MODE_LIST[$(((run - 1 + k) % n))]}" "$run"; done
done

# --- the report --------------------------------------------------------------
/usr/bin/python3 - "$RESULTS" "$BYTES" "$RATE" "$RUNS" "$JSON_OUT" "${MODE_LIST[@]}" <<'PYEOF'
import json, statistics, sys
path, size, rate, runs, json_out, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6:]
rows = [line.rstrip("\n").split("\t") for line in open(path) if line.strip()]
out = {"size": size, "rate": rate, "runs": runs, "modes": {}}
for m in modes:
    mine = [r for r in rows if r[0] == m]
    ok = [r for r in mine if not r[5]]
    secs = [float(r[2]) for r in ok]
    cpu = [float(r[3]) for r in ok if r[3]]
    cpu_e = [float(r[4]) for r in ok if r[4]]
    out["modes"][m] = {
        "seconds": secs, "relay_c_cpu_s_per_gib": cpu, "last_e_cpu_s_per_gib": cpu_e,
        "failures": [{"run": int(r[1]), "error": r[5]} for r in mine if r[5]],
        "median": statistics.median(secs) if secs else None,
        "min": min(secs) if secs else None, "max": max(secs) if secs else None,
        "cpu_median": statistics.median(cpu) if cpu else None,
        "cpu_e_median": statistics.median(cpu_e) if cpu_e else None,
    }
mib = size / 2**20
print(f"## fan-out: {mib:.0f} MiB to 4 hosts, every link {rate}, runs: {runs}\n")
print("| mode | median s | min s | max s | MiB/s per copy (median) | CPU s/GiB: relay c | last host e | failed runs |")
print("|---|---|---|---|---|---|---|---|")
for m in modes:
    r = out["modes"][m]
    if r["median"] is None:
        print(f"| {m} | - | - | - | - | - | - | {len(r['failures'])}/{runs} |")
        continue
    cpu = f"{r['cpu_median']:.2f}" if r["cpu_median"] is not None else ""
    cpu_e = f"{r['cpu_e_median']:.2f}" if r["cpu_e_median"] is not None else ""
    print(f"| {m} | {r['median']:.2f} | {r['min']:.2f} | {r['max']:.2f} | {mib / r['median']:.1f} | {cpu} | {cpu_e} | "
          f"{len(r['failures'])}/{runs} |")
med = {m: out["modes"][m]["median"] for m in modes}
summary = {}
print()
if med.get("chain4") and med.get("1host"):
    summary["chain4_over_1host"] = med["chain4"] / med["1host"]
    print(f"- chain4 / 1host: {summary['chain4_over_1host']:.2f}x (1.00 would be four copies for the price of one)")
for other in ("parallel4", "nctee4"):
    if med.get("chain4") and med.get(other):
        beat = med["chain4"] < med[other]
        summary[f"chain4_beats_{other}"] = beat
        print(f"- chain4 {'beat' if beat else 'did not beat'} {other}: {med['chain4']:.2f} s vs {med[other]:.2f} s")
failures = [(m, f) for m in modes for f in out["modes"][m]["failures"]]
if failures:
    print("\nFailures:\n")
    for m, f in failures:
        print(f"- run {f['run']} {m}: {f['error']}")
out["summary"] = summary
if json_out:
    with open(json_out, "w") as fh:
        json.dump(out, fh, indent=1)
PYEOF

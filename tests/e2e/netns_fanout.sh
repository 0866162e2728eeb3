#!/usr/bin/env bash
# Fan-out by relay: `zcp put --token T FILE URLb URLc URLd URLe` in a sends
# the file once, to b; b, c and d (zcp serve --upload --relay) each store a
# copy while they forward the stream to the next host, e just stores. Every
# link is shaped to 200 mbit. Checked, each from the JSON report, the exit
# code and the directories themselves:
#   a. all four copies are byte-identical and a sent the bytes only once;
#   b. a host not running at the start is skipped and reported (exit 7);
#   c. a relay killed mid-transfer: the host before it still stores the
#      whole file, it and the hosts behind it are reported failed and hold
#      nothing (no name, no temporary file); a second put fills them in;
#   d. a wrong token is refused by every host (exit 22), nothing stored.
source "$(dirname "$0")/../support/netns.sh"
netns_setup 5
size=$((64 << 20))  # tbf at 200 mbit moves ~23 MiB/s: about 3 s per put
TOKEN=s3cret
HOSTS=(b c d e)
declare -A PID HOST_URL
for h in a "${HOSTS[@]}"; do netns_shape "$h" 200mbit; done
mkdir -p "$SCRATCH/src"
for h in "${HOSTS[@]}"; do mkdir -p "$SCRATCH/$h"; done
head -c "$size" /dev/urandom >"$SCRATCH/src/a.bin"
# One content, a fresh name per case: what a case stores never hides
# what the next one did not.
ln "$SCRATCH/src/a.bin" "$SCRATCH/src/b.bin"
ln "$SCRATCH/src/a.bin" "$SCRATCH/src/c.bin"
head -c $((1 << 20)) /dev/urandom >"$SCRATCH/src/t.bin"

start() {
  netns_start_host_server "$1" --upload --relay --token "$TOKEN" "$SCRATCH/$1"
  PID[$1]=$SERVER_PID
  HOST_URL[$1]=$URL
}
stop() {
  kill -9 "${PID[$1]}"
  wait "${PID[$1]}" 2>/dev/null || true
}

# put_start [--token X] [--no-json] NAME HOSTS...: zcp put of src/NAME from
# a to /NAME on each HOST, in the background (-> PUT_PID); stdout goes to
# put.out, stderr to put.err.
put_start() {
  local token=$TOKEN json=(--json) urls=() h name
  [ "$1" = --token ] && { token=$2; shift 2; }
  [ "$1" = --no-json ] && { json=(); shift; }
  name=$1
  shift
  for h in "$@"; do urls+=("${HOST_URL[$h]}$name"); done
  netns_spawn a "$SCRATCH/put.err" timeout 60 "$ZCP" put --token "$token" "${json[@]}" \
    "$SCRATCH/src/$name" "${urls[@]}" >"$SCRATCH/put.out"
  PUT_PID=$NETNS_PID
}
# put_wait WANT: the put exits WANT.
put_wait() {
  local rc=0
  wait "$PUT_PID" || rc=$?
  [ "$rc" = "$1" ] || fail "put exited $rc, want $1; stdout: $(cat "$SCRATCH/put.out"); stderr: $(cat "$SCRATCH/put.err")"
}
put() {
  local want=$1
  shift
  put_start "$@"
  put_wait "$want"
}

# check_report NAME BYTES HOST=STATE...: put.out is the JSON report for
# src/NAME with one entry per HOST, in order; STATE is ok (stored BYTES),
# fail (any failure with a reason), or a status code it failed with.
check_report() {
  local args=() h
  for h in "${@:3}"; do args+=("$(netns_ip "${h%%=*}")=${h#*=}"); done
  $PY - "$SCRATCH/put.out" "$SCRATCH/src/$1" "$2" "${args[@]}" <<'PYEOF' || fail "bad report: $(cat "$SCRATCH/put.out")"
import json, sys
doc = json.load(open(sys.argv[1]))
path, size, want = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
assert doc["file"] == path, f"file is {doc['file']!r}, want {path!r}"
assert doc["bytes"] == size, f"bytes is {doc['bytes']}, want {size}"
hosts = doc["hosts"]
assert len(hosts) == len(want), f"{len(hosts)} hosts, want {len(want)}"
for h, w in zip(hosts, want):
    ip, state = w.split("=")
    assert f"//{ip}:" in h["url"], f"entry {h} is not for {ip}"
    if state == "ok":
        assert h["ok"] is True and h["status"] in (200, 201, 204), f"{ip} not stored: {h}"
        assert h["bytes"] == size and h["error"] == "", f"{ip}: {h}"
    else:
        assert h["ok"] is False and h["error"], f"{ip} should have failed with a reason: {h}"
        assert state == "fail" or h["status"] == int(state), f"{ip}: status {h['status']}, want {state}"
PYEOF
}

# check_dir HOST NAMES...: HOST's directory holds exactly NAMES, each a
# complete copy.
check_dir() {
  local h=$1 f
  shift
  [ "$(ls -A "$SCRATCH/$h" | sort | tr '\n' ' ')" = "$(printf '%s ' "$@")" ] ||
    fail "$h holds '$(ls -A "$SCRATCH/$h" | tr '\n' ' ')', want '$*'"
  for f in "$@"; do
    [ "$(sha "$SCRATCH/$h/$f")" = "$(sha "$SCRATCH/src/$f")" ] || fail "$h/$f: sha256 differs"
  done
}

# temp_fds HOST / temp_bytes HOST: HOST's server's open temporary files.
temp_fds() { netns_temp_fds "${PID[$1]}" "$SCRATCH/$1"; }
temp_bytes() { netns_temp_bytes "${PID[$1]}" "$SCRATCH/$1"; }
# no_temp_files HOST: waits (<= 10 s) until HOST's server dropped every
# temporary file of an aborted upload.
no_temp_files() {
  for _ in $(seq 1000); do
    [ -z "$(temp_fds "$1")" ] && return 0
    sleep 0.01
  done
  fail "$1's server still holds an aborted upload after 10 s: $(temp_fds "$1")"
}

tx_bytes() { netns_exec a cat /sys/class/net/eth0/statistics/tx_bytes; }

for h in "${HOSTS[@]}"; do start "$h"; done

# a. All four by chain: every copy whole, and a's link carried the file
# once (four separate puts would be four times the bytes).
tx0=$(tx_bytes)
put 0 a.bin b c d e
sent=$(($(tx_bytes) - tx0))
check_report a.bin "$size" b=ok c=ok d=ok e=ok
for h in "${HOSTS[@]}"; do check_dir "$h" a.bin; done
[ "$sent" -lt $((size * 3 / 2)) ] || fail "a sent $sent bytes for one $size-byte file: not a chain"
# Each host heard from its predecessor in the chain, not from a.
for pair in c=b d=c e=d; do
  grep -q "^$(netns_ip "${pair#*=}") - - \[[^]]*\] \"PUT /a.bin[^\"]*\" 201 " "$SCRATCH/server-${pair%=*}.log" ||
    fail "${pair%=*} was not sent a.bin by ${pair#*=}: $(cat "$SCRATCH/server-${pair%=*}.log")"
done

# b. c is down when the chain is set up: b forwards to d instead.
stop c
put 7 b.bin b c d e
check_report b.bin "$size" b=ok c=fail d=ok e=ok
check_dir b a.bin b.bin
check_dir c a.bin
check_dir d a.bin b.bin
check_dir e a.bin b.bin

# c. c dies (SIGKILL) with the transfer under way. Its unnamed temporary
# file shows how far it got: kill it once it holds 8 MiB (~0.4 s of ~3).
start c
put_start c.bin b c d e
for _ in $(seq 2000); do
  [ "$(temp_bytes c)" -ge $((8 << 20)) ] && break
  kill -0 "$PUT_PID" 2>/dev/null || fail "put ended before c could be killed: $(cat "$SCRATCH/put.err")"
  sleep 0.01
done
got=$(temp_bytes c)
[ "$got" -ge $((8 << 20)) ] || fail "c's temporary file never reached 8 MiB (has $got)"
stop c
[ "$got" -lt "$size" ] || fail "c had the whole file before it was killed"
put_wait 7
check_report c.bin "$size" b=ok c=fail d=fail e=fail
for h in d e; do no_temp_files "$h"; done
check_dir b a.bin b.bin c.bin
check_dir c a.bin
check_dir d a.bin b.bin
check_dir e a.bin b.bin
for h in b d e; do kill -0 "${PID[$h]}" 2>/dev/null || fail "$h's server died: $(cat "$SCRATCH/server-$h.log")"; done
# The rest of the chain, again: both get it; the summary says so.
put 0 --no-json c.bin d e
for h in d e; do
  grep -q "c\.bin -> http://$(netns_ip "$h"):8080/c\.bin: stored (201 created)" "$SCRATCH/put.err" ||
    fail "no 'stored' line for $h: $(cat "$SCRATCH/put.err")"
  check_dir "$h" a.bin b.bin c.bin
done

# d. A wrong token: every host refuses it, none stores anything.
start c
put 22 --token wrong t.bin b c d e
check_report t.bin $((1 << 20)) b=401 c=401 d=401 e=401
check_dir b a.bin b.bin c.bin
check_dir c a.bin
check_dir d a.bin b.bin c.bin
check_dir e a.bin b.bin c.bin
echo ok

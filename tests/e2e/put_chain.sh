#!/usr/bin/env bash
# The fan-out chain on loopback: zcp put FILE URL1 URL2 URL3 sends the file
# once; relays (zcp serve --upload --relay) store it and pass it on. Every
# host ends up with identical bytes, one line per host says so, and hosts
# that are missing, refuse (no --relay, wrong token) or run out of disk are
# reported and skipped while the others still get the file. Servers keep
# no descriptors, threads or temporary files afterwards.
source "$(dirname "$0")/../support/e2e.sh"
head -c $((24 << 20)) /dev/urandom >"$SCRATCH/f.bin"
sum() { sha256sum "$1" | cut -d' ' -f1; }
want=$(sum "$SCRATCH/f.bin")

fds() { ls "/proc/$1/fd" | wc -l; }
tasks() { ls "/proc/$1/task" | wc -l; }

serve a --upload --relay
serve b --upload --relay
serve c --upload --relay
serve plain --upload            # no --relay: may only be last
serve locked --upload --relay --token s3cret
base_fds_b=$(fds "$PID_b")
base_tasks_b=$(tasks "$PID_b")

# 1. Three hosts, one send: identical bytes everywhere, 201 then 204.
"$ZCP" put --json "$SCRATCH/f.bin" "${URL_a}x.bin" "${URL_b}x.bin" "${URL_c}x.bin" >"$SCRATCH/j" ||
  fail "chain put failed: $(cat "$SCRATCH/j")"
for h in a b c; do [ "$(sum "$SCRATCH/$h/x.bin")" = "$want" ] || fail "host $h: bytes differ"; done
$PY - "$SCRATCH/j" "${URL_b}x.bin" <<'PYEOF' || fail "JSON report: $(cat "$SCRATCH/j")"
import json, sys
r = json.load(open(sys.argv[1]))
h = r["hosts"]
assert len(h) == 3 and all(x["ok"] and x["status"] == 201 and x["bytes"] == 24 << 20 for x in h), h
assert h[1]["url"] == sys.argv[2] and r["bytes"] == 24 << 20, r
PYEOF
grep -q '"PUT /x.bin HTTP/1.1" 201 .* relay: 3 of 3 hosts stored' "$SCRATCH/a.log" || fail "a's log: $(cat "$SCRATCH/a.log")"
expect_exit 0 "$ZCP" put "$SCRATCH/f.bin" "${URL_a}x.bin" "${URL_b}" "${URL_c}x.bin"
for u in "${URL_a}" "${URL_c}"; do
  grep -q -- "-> ${u}x.bin: stored (204 replaced)" "$SCRATCH/stderr" || fail "no 204 for $u: $(cat "$SCRATCH/stderr")"
done
grep -q -- "-> ${URL_b}f.bin: stored (201 created)" "$SCRATCH/stderr" || fail "directory URL: $(cat "$SCRATCH/stderr")"
grep -q "3 of 3 hosts stored" "$SCRATCH/stderr" || fail "no summary: $(cat "$SCRATCH/stderr")"

# 2. A host missing at the start is skipped: its successor gets the file.
dead_port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 7 "$ZCP" put "$SCRATCH/f.bin" "${URL_a}m.bin" "http://127.0.0.1:$dead_port/m.bin" "${URL_c}m.bin"
grep -q "127.0.0.1:$dead_port/m.bin: FAILED: unreachable: .*refused" "$SCRATCH/stderr" || fail "missing host: $(cat "$SCRATCH/stderr")"
grep -q "2 of 3 hosts stored" "$SCRATCH/stderr" || fail "summary: $(cat "$SCRATCH/stderr")"
grep -q "to retry the others: zcp put $SCRATCH/f.bin http://127.0.0.1:$dead_port/m.bin\$" "$SCRATCH/stderr" ||
  fail "no retry hint: $(cat "$SCRATCH/stderr")"
[ "$(sum "$SCRATCH/c/m.bin")" = "$want" ] || fail "the host after the missing one lacks the file"
# ... also when it is the first one, which the sender itself skips.
expect_exit 7 "$ZCP" put -q "$SCRATCH/f.bin" "http://127.0.0.1:$dead_port/n.bin" "${URL_b}n.bin" "${URL_c}n.bin"
[ "$(sum "$SCRATCH/b/n.bin")" = "$want" ] && [ "$(sum "$SCRATCH/c/n.bin")" = "$want" ] || fail "skipping the first host"

# 3. A server without --relay refuses to pass a file on (403) and is
#    skipped; as the last host it is fine.
expect_exit 22 "$ZCP" put "$SCRATCH/f.bin" "${URL_a}p.bin" "${URL_plain}p.bin" "${URL_c}p.bin"
grep -q -- "${URL_plain}p.bin: FAILED: refused: HTTP 403.*--relay" "$SCRATCH/stderr" ||
  fail "no 403 for the non-relay host: $(cat "$SCRATCH/stderr")"
[ ! -e "$SCRATCH/plain/p.bin" ] || fail "the refusing host stored the file"
[ "$(sum "$SCRATCH/c/p.bin")" = "$want" ] || fail "host after the refusing one lacks the file"
expect_exit 0 "$ZCP" put -q "$SCRATCH/f.bin" "${URL_a}q.bin" "${URL_plain}q.bin"
[ "$(sum "$SCRATCH/plain/q.bin")" = "$want" ] || fail "plain server as the last host"

# 4. The token is checked at every hop and passed on.
expect_exit 22 "$ZCP" put --token wrong "$SCRATCH/f.bin" "${URL_a}t.bin" "${URL_locked}t.bin" "${URL_b}t.bin"
grep -q "${URL_locked}t.bin: FAILED: refused: HTTP 401" "$SCRATCH/stderr" || fail "wrong token: $(cat "$SCRATCH/stderr")"
[ ! -e "$SCRATCH/locked/t.bin" ] || fail "stored with a wrong token"
expect_exit 0 "$ZCP" put -q --token s3cret "$SCRATCH/f.bin" "${URL_a}t.bin" "${URL_locked}t.bin" "${URL_b}t.bin"
[ "$(sum "$SCRATCH/locked/t.bin")" = "$want" ] || fail "token chain"

# 5. A relay that runs out of disk still passes the file on (507 for itself).
mkdir -p "$SCRATCH/small"
if [ "$(id -u)" != 0 ]; then
  echo "note: not root, the disk-full relay case is skipped" >&2
else
  mount -t tmpfs -o size=4m tmpfs "$SCRATCH/small" || fail "cannot mount a small tmpfs"
  on_exit "umount -l '$SCRATCH/small'"
  "$ZCP" serve --listen 127.0.0.1:0 --upload --relay "$SCRATCH/small" 2>"$SCRATCH/small.log" &
  small_pid=$!
  on_exit "{ kill -9 $small_pid; wait $small_pid; } 2>/dev/null"
  for _ in $(seq 200); do
    url_small=$(sed -n 's/^zcp serve: serving .* at \([^ ]*\) (engine.*/\1/p' "$SCRATCH/small.log" | head -1)
    [ -n "$url_small" ] && break
    sleep 0.05
  done
  expect_exit 22 "$ZCP" put "$SCRATCH/f.bin" "${url_small}d.bin" "${URL_c}d.bin"
  grep -q "${url_small}d.bin: FAILED: .*507" "$SCRATCH/stderr" || fail "disk full relay: $(cat "$SCRATCH/stderr")"
  [ "$(sum "$SCRATCH/c/d.bin")" = "$want" ] || fail "host after the full one lacks the file"
  [ -z "$(ls -A "$SCRATCH/small")" ] || fail "the full relay kept something: $(ls -A "$SCRATCH/small")"
fi

# 6. A host that hangs (SIGSTOP: it accepts nothing, reads nothing) is
#    dropped by the relay before it after 3 s without progress; the hosts
#    before it still store and report, and nobody waits for the sender's
#    --timeout.
serve hung --upload --relay
kill -STOP "$PID_hung"
t0=$(date +%s%N)
expect_exit 7 timeout 60 "$ZCP" put --json "$SCRATCH/f.bin" "${URL_a}h.bin" "${URL_b}h.bin" "${URL_hung}h.bin"
took=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$PID_hung"
$PY - "$SCRATCH/stdout" <<'PYEOF' || fail "hung host report: $(cat "$SCRATCH/stdout")"
import json, sys
h = json.load(open(sys.argv[1]))["hosts"]
assert h[0]["ok"] and h[1]["ok"], h
assert not h[2]["ok"] and h[2]["error"].startswith("connection lost"), h[2]
PYEOF
echo "hung host case: ${took} ms" >&2
[ "$took" -lt 20000 ] || fail "a hung last host held the chain for $took ms"
for h in a b; do [ "$(sum "$SCRATCH/$h/h.bin")" = "$want" ] || fail "host $h before the hung one: bytes differ"; done
[ ! -e "$SCRATCH/hung/h.bin" ] || fail "the hung host has the file"

# 7. Bad Zcp-Forward headers: 400, nothing stored, nothing forwarded.
addr_a=${URL_a#http://}
addr_a=${addr_a%/}
for fwd in 'ftp://x/y' 'http://' 'http://[::1'; do
  got=$(raw_http "$addr_a" "PUT /bad.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nZcp-Forward: $fwd\r\n\r\nx" | head -1 | tr -d '\r')
  [ "$got" = "HTTP/1.1 400 Bad Request" ] || fail "Zcp-Forward '$fwd' answered: $got"
done
many=$(for i in $(seq 65); do printf 'http://127.0.0.1:1/%d ' "$i"; done)
got=$(raw_http "$addr_a" "PUT /bad.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nZcp-Forward: $many\r\n\r\nx" | head -1 | tr -d '\r')
[ "$got" = "HTTP/1.1 400 Bad Request" ] || fail "65 hosts answered: $got"
[ ! -e "$SCRATCH/a/bad.bin" ] || fail "a bad chain request stored a file"

# 8. Shutdown with a relay in flight: an upstream that sent 1 MiB of 64 and
#    stalls holds a relay thread; SIGTERM with --drain-timeout 1 cuts it at
#    the deadline (not after --send-timeout), and neither host keeps a file.
serve drain --upload --relay --drain-timeout 1
addr_drain=${URL_drain#http://}
addr_drain=${addr_drain%/}
$PY - "$addr_drain" "${URL_c}drained.bin" <<'PYEOF' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(("PUT /drained.bin HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\nZcp-Forward: %s\r\n\r\n"
           % (64 << 20, sys.argv[2])).encode())
s.sendall(b"x" * (1 << 20))
time.sleep(30)
PYEOF
stalled=$!
on_exit "kill $stalled 2>/dev/null"
relaying() { [ "$(ls "/proc/$PID_drain/task" | wc -l)" -gt "$(ls "/proc/$PID_a/task" | wc -l)" ]; }
for _ in $(seq 100); do relaying && break; sleep 0.05; done
relaying || fail "no relay thread started for the stalled upload"
sleep 0.5  # the 1 MiB reaches the relay and its next host
t0=$(date +%s%N)
kill -TERM "$PID_drain"
wait "$PID_drain" 2>/dev/null || true
took=$((($(date +%s%N) - t0) / 1000000))
echo "drain with a stalled relay: ${took} ms" >&2
[ "$took" -ge 900 ] && [ "$took" -lt 5000 ] || fail "a server with a stalled relay took $took ms to stop (--drain-timeout 1)"
[ ! -e "$SCRATCH/drain/drained.bin" ] && [ ! -e "$SCRATCH/c/drained.bin" ] || fail "a cut relay left a file"
kill "$stalled" 2>/dev/null || true

# 8b. Zcp-Forward names its hosts by spaces in one header: a second header
#     or a comma list would drop or mangle hosts, so either is a 400.
dup=$(curl -s -o /dev/null -w '%{http_code}' -T "$SCRATCH/f.bin" -H "Zcp-Forward: ${URL_c}d1.bin" \
  -H "Zcp-Forward: ${URL_c}d2.bin" "${URL_b}dup.bin")
[ "$dup" = 400 ] || fail "two Zcp-Forward headers answered $dup"
comma=$(curl -s -o /dev/null -w '%{http_code}' -T "$SCRATCH/f.bin" \
  -H "Zcp-Forward: ${URL_c}q1.bin, ${URL_c}q2.bin" "${URL_b}comma.bin")
[ "$comma" = 400 ] || fail "a comma-joined Zcp-Forward answered $comma"
[ -z "$(ls "$SCRATCH/c" | grep -E '^(d1|d2|q1|q2)')" ] && [ ! -e "$SCRATCH/b/dup.bin" ] &&
  [ ! -e "$SCRATCH/b/comma.bin" ] || fail "a refused Zcp-Forward stored something"

# 9. Nothing left behind: descriptors and threads back to where they were,
#    no temporary files in any root.
for _ in $(seq 50); do
  [ "$(fds "$PID_b")" -le "$base_fds_b" ] && [ "$(tasks "$PID_b")" -le "$base_tasks_b" ] && break
  sleep 0.1
done
[ "$(fds "$PID_b")" -le "$base_fds_b" ] || fail "relay b holds $(fds "$PID_b") fds, had $base_fds_b: $(ls -l "/proc/$PID_b/fd")"
[ "$(tasks "$PID_b")" -le "$base_tasks_b" ] || fail "relay b runs $(tasks "$PID_b") threads, had $base_tasks_b"
stray=$(find "$SCRATCH"/{a,b,c,plain,locked} -name '.zcp-*')
[ -z "$stray" ] || fail "temporary files left: $stray"
echo ok

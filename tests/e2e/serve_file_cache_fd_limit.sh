#!/usr/bin/env bash
# The open-file cache inside a small descriptor budget: a server under
# `ulimit -n 64` serves 300 distinct files round after round (the cache full
# and evicting all the time) with every answer a 200 and the right bytes,
# holds no more descriptors than its cache allows, closes them once idle
# (entries expire after 100 ms), and still takes new
# connections afterwards (the cache's descriptors come out of the budget
# --max-connections is checked against, not on top of it).
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
for i in $(seq 300); do echo "file $i" >"$SCRATCH/root/f$i.txt"; done
head -c 100000 /dev/urandom >"$SCRATCH/root/big.bin"

# The limit is the server's alone: a wrapper lowers it and execs zcp.
cat >"$SCRATCH/zcp-64" <<EOF
#!/bin/sh
ulimit -n 64 || exit 99
exec "$ZCP" "\$@"
EOF
chmod +x "$SCRATCH/zcp-64"
ZCP="$SCRATCH/zcp-64" start_server --workers 2 --quiet "$SCRATCH/root"
grep -Eq '^Max open files +64 +64 ' /proc/"$SERVER_PID"/limits || fail "server not under ulimit -n 64"
fds() { ls /proc/"$SERVER_PID"/fd | wc -l; }
base=$(fds)

# Three rounds over all 300 files on 8 keep-alive connections at once,
# the server's descriptors counted every 10 ms meanwhile.
( while :; do fds; sleep 0.01; done ) >"$SCRATCH/fd-samples" 2>/dev/null &
SAMPLER=$!
on_exit "kill $SAMPLER"
timeout 60 $PY - "$ADDR" >"$SCRATCH/rounds.out" 2>&1 <<'PYEOF' || fail "$(cat "$SCRATCH/rounds.out")"
import http.client, sys, threading
host, port = sys.argv[1].rsplit(":", 1)
bad = []
def client(k):
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    for rnd in range(3):
        for i in range(1 + k, 301, 8):
            conn.request("GET", "/f%d.txt" % i)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200 or body != b"file %d\n" % i:
                bad.append((i, r.status, body[:40]))
        conn.request("GET", "/big.bin")
        r = conn.getresponse()
        if r.status != 200 or len(r.read()) != 100000:
            bad.append(("big", r.status))
threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print("bad:", bad[:5])
sys.exit(1 if bad else 0)
PYEOF

kill "$SAMPLER"
wait "$SAMPLER" 2>/dev/null || true
# ulimit 64: 32 reserved, a quarter of the rest (8) for the caches; beyond
# those, the 8 client sockets (and a file each being sent).
peak=$(sort -n "$SCRATCH/fd-samples" | tail -1)
((peak <= base + 8 + 16)) || fail "server held $peak descriptors during the rounds, $base idle: the cache is not bounded"
# Entries older than 100 ms are closed on the worker's next tick.
sleep 0.5
now=$(fds)
((now == base)) || fail "server holds $now descriptors 0.5 s after the rounds, $base before"
for i in 1 150 300; do
  [ "$(curl -s --max-time 2 "${URL}f$i.txt")" = "file $i" ] || fail "f$i.txt wrong after the rounds"
done
echo "descriptors: $base idle, at most $peak during the rounds, $now after; ok"

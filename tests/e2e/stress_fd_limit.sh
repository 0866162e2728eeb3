#!/usr/bin/env bash
# Out of descriptors: a server under `ulimit -n 64` hit by 200 keep-alive
# clients at once answers each (200, or 503 / a close for those it cannot
# take), leaves none hanging and does not crash; once they are gone every
# client is served and the server holds no more descriptors than before.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
echo hello-fd-limit >"$SCRATCH/root/f.txt"

# The limit is the server's alone: a wrapper lowers it and execs zcp (same
# pid, so start_server's SERVER_PID is the server).
cat >"$SCRATCH/zcp-64" <<EOF
#!/bin/sh
ulimit -n 64 || exit 99
exec "$ZCP" "\$@"
EOF
chmod +x "$SCRATCH/zcp-64"
: >"$SCRATCH/server.log"  # start_server may read it before the child opens it
ZCP="$SCRATCH/zcp-64" start_server --workers 2 "$SCRATCH/root"
grep -Eq '^Max open files +64 +64 ' /proc/"$SERVER_PID"/limits ||
  fail "server not under ulimit -n 64: $(grep 'open files' /proc/"$SERVER_PID"/limits)"

fds() { ls /proc/"$SERVER_PID"/fd | wc -l; }
curl -sf --max-time 2 -o /dev/null "${URL}f.txt" || fail "server not serving before the burst"
sleep 0.2  # let the server see curl's close
base=$(fds)

# 200 clients start at once (connecting within 50 ms), send one keep-alive
# GET and wait up to 5 s for a complete answer; each keeps its connection (as
# browsers do) until all have their outcome, so most find the server out of
# descriptors. Three such rounds. Outcomes: ok (200 and the body), busy
# (503), closed (EOF or reset before any byte); failures: hung (nothing
# within 5 s), bad (anything else, e.g. a 500).
timeout 40 $PY - "$ADDR" >"$SCRATCH/burst.out" <<'PYEOF' || fail "burst script failed: $(cat "$SCRATCH/burst.out")"
import collections, random, socket, sys, threading, time
host, port = sys.argv[1].rsplit(":", 1)
N, ROUNDS, TIMEOUT, JITTER = 200, 3, 5.0, 0.05
BODY = b"hello-fd-limit\n"
results = [None] * N

def one_response(s):
    """Reads one response (head + Content-Length body) or up to EOF."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = s.recv(4096)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body
    except ConnectionError:
        return data  # a reset: judged by what came before it

def classify(data):
    if data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"\r\n\r\n" + BODY):
        return "ok"
    if data.startswith(b"HTTP/1.1 503 "):
        return "busy"
    if data == b"":
        return "closed"
    return "bad: %r" % data[:160]

def client(i):
    try:
        start.wait()
    except threading.BrokenBarrierError:
        pass
    time.sleep(random.random() * JITTER)
    s = None
    try:
        s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        s.sendall(b"GET /f.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        results[i] = classify(one_response(s))
    except socket.timeout:
        results[i] = "hung"
    except ConnectionError:
        results[i] = "closed"  # refused or reset before the request went out
    finished.release()
    all_done.wait(30)
    if s is not None:
        s.close()

def burst():
    global start, finished, all_done
    start = threading.Barrier(N, timeout=20)
    finished = threading.Semaphore(0)
    all_done = threading.Event()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for _ in range(N):
        finished.acquire()
    all_done.set()
    for t in threads:
        t.join()

counts = collections.Counter()
bad = set()
for _ in range(ROUNDS):  # a few rounds: the races they provoke differ
    burst()
    counts.update(r.split(":")[0] for r in results)
    bad.update(r for r in results if r.startswith("bad"))
    if counts["hung"]:
        break  # each hang costs its 5 s: one round of them is proof enough
print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))
for r in sorted(bad)[:3]:
    print(r)
PYEOF

# Judge everything, then report every problem at once.
problems=()
summary=$(head -1 "$SCRATCH/burst.out")
echo "3 bursts of 200: $summary"
case " $summary" in *" hung="*) problems+=("clients left hanging (no answer in 5 s): $summary") ;; esac
case " $summary" in *" bad="*) problems+=("wrong answers: $(tail -n +2 "$SCRATCH/burst.out")") ;; esac
case " $summary" in *" ok="*) ;; *) problems+=("no client served in the burst: $summary") ;; esac
kill -0 "$SERVER_PID" 2>/dev/null || fail "server died in the burst: $(tail -5 "$SCRATCH/server.log")"
# A line per refused connection is fine (600 connections in all); a flood
# means a worker spun on its ready listener without taking anyone.
spam=$(grep -c 'out of file descriptors' "$SCRATCH/server.log" || true)
echo "server log: $spam 'out of file descriptors' lines"
[ "$spam" -le 1000 ] || problems+=("$spam 'out of file descriptors' log lines for 600 connections (a worker spinning on accept)")

# After the burst: 20 clients in a row, all served.
for i in $(seq 20); do
  got=$(curl -s --max-time 2 "${URL}f.txt") || { problems+=("client $i after the burst failed"); break; }
  [ "$got" = hello-fd-limit ] || { problems+=("client $i after the burst got '$got'"); break; }
done

# Descriptors back near the baseline once the curls' connections are closed.
for _ in $(seq 50); do
  [ "$(fds)" -le $((base + 2)) ] && break
  sleep 0.1
done
[ "$(fds)" -le $((base + 2)) ] || problems+=("descriptors not released: $(fds) now, $base before the burst")
kill -0 "$SERVER_PID" 2>/dev/null || fail "server died after the burst"
[ ${#problems[@]} -eq 0 ] || fail "$(printf '\n  %s' "${problems[@]}")"
echo ok

#!/usr/bin/env bash
# The open-file cache under change while keep-alive clients hammer the
# server: a file replaced, truncated, rewritten in place, deleted, made a
# symlink, the symlink swapped to a file outside the root, and (as a
# non-root server) chmod-ed 000. Every request sent more than 100 ms (the
# documented bound, file_cache.h) after a change sees that change; one
# sent within the bound sees the state before it or after; the bytes from
# outside the root never appear at all. Same for a file above --copy-below
# (sent by sendfile from the cached descriptor).
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root" "$SCRATCH/outside"
echo "SECRET-OUTSIDE-THE-ROOT" >"$SCRATCH/outside/secret"

cat >"$SCRATCH/hammer.py" <<'PYEOF'
import http.client, os, sys, threading, time
mode, addr, root, outside = sys.argv[1:5]
host, port = addr.rsplit(":", 1)
BOUND = 0.100  # file_cache.h: an entry is trusted for 100 ms
GAP = 0.35     # between changes: each state is seen for a while past the bound
SECRET = open(os.path.join(outside, "secret"), "rb").read()

def version(tag, size):
    line = (tag * 64)[:63].encode() + b"\n"
    return (line * (size // len(line) + 1))[:size]

f = os.path.join(root, "f.txt")  # below --copy-below: bytes kept in memory
g = os.path.join(root, "g.bin")  # above it: sent from the cached descriptor
timeline = {"/f.txt": [], "/g.bin": []}  # path -> [(time, (status, body))]

def record(path, state):
    timeline[path].append((time.monotonic(), state))

def write(path, data):
    with open(path + ".tmp", "wb") as out:
        out.write(data)
    os.rename(path + ".tmp", path)

results = []  # (path, sent, status, body)
stop = False

def hammer(path):
    conn = None
    while not stop:
        if conn is None:
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
        sent = time.monotonic()
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            results.append((path, sent, r.status, body))
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            results.append((path, sent, "error", repr(e).encode()))
            conn.close()
            conn = None

# The states each path goes through, in order.
if mode == "changes":
    steps_f = [
        lambda: write(f, version("1", 4096)),                        # 200 v1
        lambda: write(f, version("2", 4096)),                        # replaced
        lambda: os.truncate(f, 100),                                 # truncated in place
        lambda: open(f, "r+b").write(version("3", 100)),             # rewritten in place
        lambda: os.unlink(f),                                        # deleted
        lambda: (write(os.path.join(root, "inside.txt"), version("4", 300)),
                 os.symlink("inside.txt", f)),                       # a symlink inside
        lambda: (os.symlink(os.path.join(outside, "secret"), f + ".l"),
                 os.rename(f + ".l", f)),                            # swapped to outside
        lambda: write(f, version("5", 2000)),                        # a file again
    ]
    expect_f = [(200, version("1", 4096)), (200, version("2", 4096)), (200, version("2", 4096)[:100]),
                (200, version("3", 100)), (404, None), (200, version("4", 300)), (403, None),
                (200, version("5", 2000))]
    steps_g = [lambda: write(g, version("a", 100000)), lambda: write(g, version("b", 100000)),
               lambda: write(g, version("c", 70000))]
    expect_g = [(200, version("a", 100000)), (200, version("b", 100000)), (200, version("c", 70000))]
else:  # chmod, for a server that is not root
    steps_f = [lambda: write(f, version("1", 4096)), lambda: os.chmod(f, 0),
               lambda: os.chmod(f, 0o644)]
    expect_f = [(200, version("1", 4096)), (403, None), (200, version("1", 4096))]
    steps_g = [lambda: (write(g, version("a", 100000)), os.chmod(g, 0o644)), lambda: os.chmod(g, 0),
               lambda: os.chmod(g, 0o644)]
    expect_g = [(200, version("a", 100000)), (403, None), (200, version("a", 100000))]

steps_f[0]()
steps_g[0]()
record("/f.txt", expect_f[0])
record("/g.bin", expect_g[0])
threads = [threading.Thread(target=hammer, args=(p,)) for p in ("/f.txt", "/f.txt", "/g.bin", "/g.bin")]
for t in threads:
    t.start()
time.sleep(GAP)
for i in range(1, max(len(steps_f), len(steps_g))):
    for path, steps, expect in (("/f.txt", steps_f, expect_f), ("/g.bin", steps_g, expect_g)):
        if i < len(steps):
            steps[i]()
            record(path, expect[i])  # the time after the change took effect
    time.sleep(GAP)
stop = True
for t in threads:
    t.join()

def matches(state, status, body):
    want_status, want_body = state
    return status == want_status and (want_body is None or body == want_body)

bad, counted = [], {p: 0 for p in timeline}
for path, sent, status, body in results:
    if SECRET.strip() in body:
        bad.append("%s: bytes from outside the root" % path)
        continue
    states = timeline[path]
    # The state current when the request was sent, the one before it while
    # within the bound, and the next (the server may read it after a change
    # that followed the send).
    i = max(k for k, (t, _) in enumerate(states) if t <= sent) if sent >= states[0][0] else 0
    allowed = [states[i][1]]
    if i + 1 < len(states):
        allowed.append(states[i + 1][1])
    if i > 0 and sent - states[i][0] < BOUND:
        allowed.append(states[i - 1][1])
    counted[path] += 1
    if not any(matches(s, status, body) for s in allowed):
        bad.append("%s sent %.3f s after change %d: got %s %d bytes %r..., want one of %s" % (
            path, sent - states[i][0], i, status, len(body), body[:20], [s[0] for s in allowed]))
print("responses:", counted, "bad:", len(bad))
for b in bad[:10]:
    print("BAD", b)
if min(counted.values()) < 100:
    print("BAD: too few responses to mean anything")
    sys.exit(1)
sys.exit(1 if bad else 0)
PYEOF

start_server --workers 2 --quiet "$SCRATCH/root"
timeout 60 $PY "$SCRATCH/hammer.py" changes "$ADDR" "$SCRATCH/root" "$SCRATCH/outside" >"$SCRATCH/changes.out" 2>&1 ||
  fail "changes under the cache: $(cat "$SCRATCH/changes.out")"
cat "$SCRATCH/changes.out"
kill -0 "$SERVER_PID" || fail "server died: $(tail -5 "$SCRATCH/server.log")"

# chmod only shows for a server that permission bits bind: run one as nobody.
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
  echo "chmod case skipped: needs root (to run the server as nobody) and setpriv"
  echo ok
  exit 0
fi
chmod 755 "$SCRATCH"
rm -rf "$SCRATCH/root2" && mkdir -m 755 "$SCRATCH/root2"
cat >"$SCRATCH/zcp-nobody" <<EOF
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups "$ZCP" "\$@"
EOF
chmod +x "$SCRATCH/zcp-nobody"
ZCP="$SCRATCH/zcp-nobody" start_server --workers 2 --quiet "$SCRATCH/root2"
timeout 60 $PY "$SCRATCH/hammer.py" chmod "$ADDR" "$SCRATCH/root2" "$SCRATCH/outside" >"$SCRATCH/chmod.out" 2>&1 ||
  fail "chmod under the cache: $(cat "$SCRATCH/chmod.out")"
cat "$SCRATCH/chmod.out"
echo ok

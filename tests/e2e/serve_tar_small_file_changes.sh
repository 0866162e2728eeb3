#!/usr/bin/env bash
# Small files (read into the tar stream with pread, below 16 KiB) rewritten
# in place, truncated and grown while ?format=tar streams them: every
# stream is either a well-formed archive (200 members, each holding only
# bytes some version had, no more than the largest) or a broken one the
# client sees (curl fails, the header promised bytes the file no longer
# had); the server keeps serving and holds no descriptor more than before.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
for i in $(seq -w 1 200); do head -c 12000 /dev/zero | tr '\0' a >"$SCRATCH/root/f$i"; done
start_server --workers 1 "$SCRATCH/root"
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
curl -sf -o /dev/null "${URL}?format=tar" || fail "first tar failed"
FDS=$(fds)

# The writer: each file in turn truncated to nothing, then 12,000 bytes of
# b or a, or 4,000 of c, written in two halves (a reader can land anywhere).
$PY - "$SCRATCH/root" "$SCRATCH/stop" <<'PY' &
import os, sys, time
root, stop = sys.argv[1:3]
names = sorted(os.listdir(root))
versions = [b"b" * 12000, b"c" * 4000, b"a" * 12000]
n = 0
while not os.path.exists(stop):
    for name in names:
        data = versions[n % 3]
        fd = os.open(os.path.join(root, name), os.O_WRONLY | os.O_TRUNC)
        os.write(fd, data[: len(data) // 2])
        os.write(fd, data[len(data) // 2 :])
        os.close(fd)
        n += 1
PY
WRITER=$!
on_exit "touch $SCRATCH/stop; wait $WRITER"

# 30 streams, each checked by GNU tar and then member by member: at most
# 12,000 bytes, all of them the writer's letters (a read racing a rewrite
# may mix two versions, as with any reader; a framing slip would bring
# zeros or another member's header in).
$PY - "$URL" "$SCRATCH" >"$SCRATCH/runs.out" 2>&1 <<'PY' || fail "$(tail -5 "$SCRATCH/runs.out")"
import io, subprocess, sys, tarfile
url, scratch = sys.argv[1:3]
ok = broken = 0
for run in range(30):
    got = subprocess.run(["curl", "-sf", "--max-time", "10", url + "?format=tar"], capture_output=True)
    if got.returncode != 0:
        broken += 1
        continue
    t = subprocess.run(["tar", "-tvf", "-"], input=got.stdout, capture_output=True)
    if t.returncode != 0 or t.stderr:
        sys.exit("run %d: curl took a malformed archive: %s" % (run, t.stderr[:300]))
    members = tarfile.open(fileobj=io.BytesIO(got.stdout)).getmembers()
    files = [m for m in members if m.isfile()]
    if len(files) != 200:
        sys.exit("run %d: %d members, want 200" % (run, len(files)))
    with tarfile.open(fileobj=io.BytesIO(got.stdout)) as tf:
        for m in files:
            data = tf.extractfile(m).read()
            if len(data) > 12000 or data.strip(b"abc"):
                sys.exit("run %d: %s holds %d bytes, not only the writer's" % (run, m.name, len(data)))
    ok += 1
print("%d well-formed archives, %d broken streams the client saw" % (ok, broken))
sys.exit(0 if ok > 0 else "no stream finished")
PY
cat "$SCRATCH/runs.out"
touch "$SCRATCH/stop"
wait "$WRITER" || fail "writer failed"
kill -0 "$SERVER_PID" || fail "server died: $(tail -5 "$SCRATCH/server.log")"
curl -sf -o /dev/null "${URL}?format=tar" || fail "not serving after the races"
sleep 0.2  # the last connection's close reaches the worker
[ "$(fds)" -le "$FDS" ] || fail "server holds $(fds) descriptors, $FDS before"
echo ok

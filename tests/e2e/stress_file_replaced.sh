#!/usr/bin/env bash
# A file replaced (renamed over, as mv does) or truncated while zcp get
# downloads it, single-stream and in 4 parallel ranges: the download ends
# with the old content, the new content, or an error that leaves only
# DEST.part (or nothing, when no byte had landed), never a mix of versions
# under the final name.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root" "$SCRATCH/masters" "$SCRATCH/dl"
# Random content, so a mix of the two versions cannot hash like either.
head -c $((512 << 20)) /dev/urandom >"$SCRATCH/masters/old"
head -c $((512 << 20)) /dev/urandom >"$SCRATCH/masters/new"
# Flushed now: ext4 flushes a file renamed over another (auto_da_alloc), and
# 512 MiB of dirty pages held up the first rename by a few hundred ms.
sync "$SCRATCH/masters/old" "$SCRATCH/masters/new"
: >"$SCRATCH/server.log"  # start_server may read it before the child opens it
start_server --workers 2 --quiet "$SCRATCH/root"

# Each case: put the old version in place, start `zcp get`, and as soon as
# DEST.part holds TRIGGER bytes (polled every ms) replace or truncate the
# file; then judge the outcome. "appear" acts when DEST.part exists, before
# any byte: the replacement may then beat the request (the new content) or
# fall between HEAD and the ranges (an error).
timeout 120 $PY - "$ZCP" "$URL" "$SCRATCH" >"$SCRATCH/race.out" 2>&1 <<'PYEOF' ||
import hashlib, os, shutil, subprocess, sys, time
zcp, url, scratch = sys.argv[1:4]
MiB = 1 << 20
TRUNC = 100 * MiB  # the truncated version: old's first 100 MiB
root, masters, dl = (os.path.join(scratch, d) for d in ("root", "masters", "dl"))
target = os.path.join(root, "f.bin")

def sha256(path, limit=None):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        left = os.fstat(f.fileno()).st_size if limit is None else limit
        while left > 0:
            block = f.read(min(left, 4 * MiB))
            if not block:
                break
            h.update(block)
            left -= len(block)
    return h.hexdigest()

OLD = sha256(os.path.join(masters, "old"))
NEW = {"replace": sha256(os.path.join(masters, "new")),
       "truncate": sha256(os.path.join(masters, "old"), TRUNC)}
assert OLD not in NEW.values()

def prepare(action):
    if os.path.exists(target):
        os.unlink(target)
    if action == "replace":  # hard links: no copying, and the masters survive
        os.link(os.path.join(masters, "old"), target)
        os.link(os.path.join(masters, "new"), target + ".new")
    else:  # truncation changes the inode itself: a copy
        shutil.copyfile(os.path.join(masters, "old"), target)

def act(action):
    if action == "replace":
        os.rename(target + ".new", target)  # what mv does on one file system
    else:
        os.truncate(target, TRUNC)

def landed(part):
    try:
        return os.stat(part).st_blocks * 512  # -j 4 sizes .part up front: count blocks
    except FileNotFoundError:
        return -1

def run(n, action, streams, trigger):
    prepare(action)
    dest = os.path.join(dl, "got-%d" % n)
    part = dest + ".part"
    t0 = time.monotonic()
    p = subprocess.Popen([zcp, "get", "-q", "-j", str(streams), "--timeout", "10",
                          url + "f.bin", dest], stderr=subprocess.PIPE, text=True)
    mid = False
    while time.monotonic() - t0 < 20:
        if p.poll() is not None:
            break
        if landed(part) >= trigger:
            mid = True
            break
        time.sleep(0.001)
    act(action)
    at = landed(part)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return mid, "hung: zcp get still running 30 s after the %s" % action
    rc = p.returncode
    secs = time.monotonic() - t0
    have_dest, have_part = os.path.exists(dest), os.path.exists(part)
    where = "the end" if not mid else "%d MiB" % (at // MiB) if at >= 0 else "a moment before DEST"
    note = "rc=%d, %.2fs, acted at %s" % (rc, secs, where)
    try:
        if rc < 0:
            return mid, "crash: zcp get killed by signal %d (%s)" % (-rc, err.strip()[-200:])
        if rc != 0:
            if have_dest:
                return mid, "mix: exit %d but DEST exists (%s)" % (rc, note)
            if not have_part:  # issue 11: a .part is kept only when it holds bytes
                return mid, "error (nothing kept: %s)" % note
            return mid, "error (%s: %s)" % (note, err.strip().splitlines()[-1][:120] if err.strip() else "")
        if have_part or not have_dest:
            return mid, "mix: exit 0 but DEST.part=%s DEST=%s (%s)" % (have_part, have_dest, note)
        got = sha256(dest)
        if got == OLD:
            return mid, "old (%s)" % note
        if got == NEW[action]:
            return mid, "new (%s)" % note
        return mid, "mix: DEST is neither version, %d bytes (%s)" % (os.path.getsize(dest), note)
    finally:
        for f in (dest, part):
            if os.path.exists(f):
                os.unlink(f)

CASES = [  # action, streams, act when DEST.part holds this many bytes
    ("replace", 4, 0), ("replace", 4, 1), ("replace", 4, 128 * MiB), ("replace", 4, 384 * MiB),
    ("replace", 1, 0), ("replace", 1, 1), ("replace", 1, 256 * MiB),
    ("truncate", 4, 0), ("truncate", 4, 1), ("truncate", 4, 256 * MiB),
    ("truncate", 1, 1), ("truncate", 1, 256 * MiB),
]
bad = raced = 0
for n, (action, streams, trigger) in enumerate(CASES):
    mid, outcome = run(n, action, streams, trigger)
    raced += mid
    ok = outcome.split(" ")[0].rstrip(":") in ("old", "new", "error")
    bad += not ok
    print("%-8s -j %d at %-9s -> %s%s" % (action, streams,
          "appear" if trigger == 0 else "%d MiB" % (trigger // MiB) if trigger >= MiB else "1st byte",
          "" if ok else "BAD ", outcome))
if raced < len(CASES) // 2:
    print("BAD: only %d of %d actions landed while zcp get was running" % (raced, len(CASES)))
    bad += 1
sys.exit(1 if bad else 0)
PYEOF
  fail "$(cat "$SCRATCH/race.out")"
cat "$SCRATCH/race.out"
kill -0 "$SERVER_PID" 2>/dev/null || fail "server died: $(tail -5 "$SCRATCH/server.log")"
echo small >"$SCRATCH/root/small.txt"
[ "$(curl -s --max-time 2 "${URL}small.txt")" = small ] || fail "server not serving after the races"
echo ok

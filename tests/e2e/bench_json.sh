#!/usr/bin/env bash
# zcp bench runs every default engine pair in separate processes, and its
# JSON carries per-run samples that bench/plot.py turns into a PNG.
source "$(dirname "$0")/../support/e2e.sh"

expect_exit 0 "$ZCP" bench --size 8M --runs 2 --warmup 0 --json --dir "$SCRATCH"
cp "$SCRATCH/stdout" "$SCRATCH/b.json"
$PY - "$SCRATCH/b.json" <<'PYEOF' || fail "bad bench JSON"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["size"] == 8 << 20, r["size"]
names = [p["sender"] for p in r["pairs"]]
assert names == ["copy:8K", "copy:1M", "sendfile", "splice", "mmap"], names
for p in r["pairs"]:
    assert p["receiver"] == "discard:8K", p["receiver"]
    assert len(p["runs"]) == 2
    for run in p["runs"]:
        assert run["bytes"] == 8 << 20
        assert run["seconds"] > 0 and run["send_cpu"] >= 0 and run["recv_cpu"] >= 0
    assert p["seconds"]["min"] <= p["seconds"]["median"] <= p["seconds"]["max"]
assert r["pairs"][0]["speedup"] == 1.0
# copy moves every byte through user space, sendfile and splice none.
assert r["pairs"][0]["runs"][0]["send"]["user_bytes"] == 8 << 20
assert r["pairs"][2]["runs"][0]["send"]["user_bytes"] == 0
PYEOF
# The created file is gone afterwards.
[ -z "$(ls -A "$SCRATCH" | grep zcp-bench || true)" ] || fail "bench left its file behind"

$PY "$ZCP_SOURCE_DIR/bench/plot.py" "$SCRATCH/b.json" "$SCRATCH/b.png" || fail "plot.py failed"
[ "$(head -c 4 "$SCRATCH/b.png" | od -An -c | tr -d ' ')" = '211PNG' ] || fail "not a PNG"
echo "ok"

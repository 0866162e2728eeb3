#!/usr/bin/env bash
# A chain hop that answers 201 before a byte of the body was sent (100
# Continue and the final answer together, tests/support/
# early_answer_server.py) stored nothing: the report says FAILED with 0
# bytes and why, for the sender's own link and behind a relay, instead of
# "stored" with the file's full size (exit 8, a reply that makes no sense);
# the hosts that did store are exact.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/r"
head -c 1000 /dev/urandom >"$SCRATCH/f.bin"
"$PY" "$ZCP_SOURCE_DIR/tests/support/early_answer_server.py" "$SCRATCH/early.port" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/early.port" ] && break; sleep 0.05; done
E="http://127.0.0.1:$(cat "$SCRATCH/early.port")/"
start_server --upload --relay "$SCRATCH/r"

check() {  # check JSON-FILE INDEX-OF-THE-EARLY-HOST
  $PY - "$1" "$2" <<'PY' || fail "report: $(cat "$1")"
import json, sys
h = json.load(open(sys.argv[1]))["hosts"]
e = h[int(sys.argv[2])]
assert not e["ok"] and e["bytes"] == 0 and "before the body was sent" in e["error"], e
assert all(x["ok"] and x["bytes"] == 1000 for i, x in enumerate(h) if i != int(sys.argv[2])), h
PY
}
# Behind a relay: the relay's link to the early host.
expect_exit 8 timeout 20 "$ZCP" put --json "$SCRATCH/f.bin" "${URL}a.bin" "${E}a.bin"
check "$SCRATCH/stdout" 1
cmp -s "$SCRATCH/f.bin" "$SCRATCH/r/a.bin" || fail "the relay's own copy"
# The sender's own link: the early host first, the file goes on to the next.
expect_exit 8 timeout 20 "$ZCP" put --json "$SCRATCH/f.bin" "${E}b.bin" "${URL}b.bin"
check "$SCRATCH/stdout" 0
cmp -s "$SCRATCH/f.bin" "$SCRATCH/r/b.bin" || fail "the host after the early one"
# The text report says the same.
expect_exit 8 timeout 20 "$ZCP" put "$SCRATCH/f.bin" "${URL}c.bin" "${E}c.bin"
expect_stderr "${E}c.bin: FAILED: answered 201 before the body was sent: nothing stored"
expect_stderr "1 of 2 hosts stored"
echo ok

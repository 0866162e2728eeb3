#!/usr/bin/env bash
# A pull re-run's batch (one tar stream of many changed files) cut in the
# middle keeps every file completed before the cut, leaves no partial file
# under a final name nor a .part, and the next run finishes the tree; a
# file that vanishes on the server between the manifest and its batch is
# reported by name while the rest of the batch lands (exit 24, partial,
# as rsync's "file has vanished").
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/src"
for d in 0 1 2; do
  mkdir -p "$SCRATCH/src/d$d"
  for i in $(seq -w 0 19); do head -c 65536 /dev/urandom >"$SCRATCH/src/d$d/f$i.bin"; done
done
start_server "$SCRATCH/src"
SRC_ADDR=$ADDR
expect_exit 0 "$ZCP" get -r -q "$URL" "$SCRATCH/dest"
cp -a "$SCRATCH/dest" "$SCRATCH/old"

# proxy MODE ARG NAME: sets PROXY_URL (tests/support/batch_proxy.py).
proxy() {
  "$PY" "$ZCP_SOURCE_DIR/tests/support/batch_proxy.py" "$SRC_ADDR" "$SCRATCH/$3.port" "$1" "$2" &
  on_exit "kill $!"
  for _ in $(seq 100); do [ -s "$SCRATCH/$3.port" ] && break; sleep 0.05; done
  PROXY_URL="http://127.0.0.1:$(cat "$SCRATCH/$3.port")/"
}

keep_going
# All 60 files change (same size, new bytes and mtime): one batch of ~4 MiB.
for f in "$SCRATCH"/src/d*/f*.bin; do head -c 65536 /dev/urandom >"$f"; touch -d '2031-01-01' "$f"; done

proxy cut $((1536 * 1024)) cut
got=0
"$ZCP" get -r -q "$PROXY_URL" "$SCRATCH/dest" 2>"$SCRATCH/cut.err" || got=$?
[ "$got" != 0 ] || fail "a batch cut at 1.5 MiB of ~4 MiB ended in success"
grep -q "${PROXY_URL}d[0-2]/f[0-9]*\.bin" "$SCRATCH/cut.err" || fail "the cut does not name its file's URL: $(cat "$SCRATCH/cut.err")"
new=0
while IFS= read -r -d '' f; do
  rel=${f#"$SCRATCH/dest/"}
  if cmp -s "$f" "$SCRATCH/src/$rel"; then
    new=$((new + 1))
  else
    cmp -s "$f" "$SCRATCH/old/$rel" || fail "neither old nor new under a final name: $rel"
  fi
done < <(find "$SCRATCH/dest" -type f -print0)
find "$SCRATCH/dest" -name '*.part' | grep -q . && fail "the cut left .part files"
[ "$new" -gt 0 ] && [ "$new" -lt 60 ] || fail "the cut did not land mid-batch ($new of 60 new)"
expect_exit 0 "$ZCP" get -r --json "$URL" "$SCRATCH/dest"
moved=$(sed -n 's/.*"files":\([0-9]*\).*/\1/p' "$SCRATCH/stdout")
[ "$moved" = $((60 - new)) ] || fail "the re-run moved $moved files, $((60 - new)) were left"
same_tree "$SCRATCH/src" "$SCRATCH/dest"

# A file removed on the server after the manifest, before its batch.
for f in "$SCRATCH"/src/d1/f0*.bin; do head -c 65536 /dev/urandom >"$f"; touch -d '2032-01-01' "$f"; done
proxy vanish "$SCRATCH/src/d1/f05.bin" vanish
expect_exit 24 "$ZCP" get -r "$PROXY_URL" "$SCRATCH/dest"
expect_stderr "d1/f05.bin: vanished on the server"
expect_stderr "9 files sent"
expect_stderr "1 FAILED"
for i in 0 1 2 3 4 6 7 8 9; do
  cmp -s "$SCRATCH/src/d1/f0$i.bin" "$SCRATCH/dest/d1/f0$i.bin" || fail "d1/f0$i.bin did not land beside the vanished file"
done
expect_exit 0 "$ZCP" get -r -q --delete "$URL" "$SCRATCH/dest"
same_tree "$SCRATCH/src" "$SCRATCH/dest"
finish_cases

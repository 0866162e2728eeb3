#!/usr/bin/env bash
# A get -r and a put -r killed (SIGKILL) mid-stream leave every completed
# file intact and no partial file under a final name; the re-run moves
# only the rest and ends with the whole tree. The transfers go through a
# 4 MiB/s proxy so the kill lands in the middle.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/src/a" "$SCRATCH/src/b" "$SCRATCH/up"
for i in $(seq 1 24); do head -c $((1 << 20)) /dev/urandom >"$SCRATCH/src/a/f$i.bin"; done
for i in $(seq 1 50); do echo "small $i" >"$SCRATCH/src/b/s$i.txt"; done
start_server --upload "$SCRATCH/up"
UP_ADDR=$ADDR
start_server "$SCRATCH/src"
SRC_ADDR=$ADDR

proxy() {  # proxy TARGET NAME: sets PROXY_URL
  "$PY" "$ZCP_SOURCE_DIR/tests/support/throttle_proxy.py" "$1" $((4 << 20)) "$SCRATCH/$2.port" &
  on_exit "kill $!"
  for _ in $(seq 100); do [ -s "$SCRATCH/$2.port" ] && break; sleep 0.05; done
  PROXY_URL="http://127.0.0.1:$(cat "$SCRATCH/$2.port")/"
}

# Every regular file under a final name in $1 is byte-identical to the source's.
only_complete_files() {
  local n=0
  while IFS= read -r -d '' f; do
    rel=${f#"$1"/}
    case "$rel" in *.part) continue ;; esac
    cmp -s "$f" "$SCRATCH/src/$rel" || fail "partial or wrong file under a final name: $rel"
    n=$((n + 1))
  done < <(find "$1" -type f -print0)
  echo "$n"
}

keep_going
proxy "$SRC_ADDR" pull
"$ZCP" get -r -q "$PROXY_URL" "$SCRATCH/dest" &
pid=$!
sleep 2.5
kill -9 $pid
wait $pid 2>/dev/null || true
kept=$(only_complete_files "$SCRATCH/dest")
[ "$kept" -gt 0 ] && [ "$kept" -lt 74 ] || fail "the kill did not land mid-stream ($kept files kept)"
expect_exit 0 "$ZCP" get -r --json "http://$SRC_ADDR/" "$SCRATCH/dest"
moved=$(sed -n 's/.*"files":\([0-9]*\).*/\1/p' "$SCRATCH/stdout")
[ "$moved" -le $((74 - kept + 1)) ] || fail "pull re-run moved $moved files, $kept were kept"
diff -r "$SCRATCH/src" "$SCRATCH/dest" || fail "pull re-run did not complete the tree"
find "$SCRATCH/dest" -name '*.part' | grep -q . && fail "pull left .part files"

proxy "$UP_ADDR" push
"$ZCP" put -r -q "$SCRATCH/src" "$PROXY_URL" &
pid=$!
sleep 2.5
kill -9 $pid
wait $pid 2>/dev/null || true
# The proxy still drains what the dead client had queued; the server's
# access line says when its stream ended.
for _ in $(seq 200); do grep -q 'PUT /src/?format=tar' "$SCRATCH/server.log" && break; sleep 0.1; done
grep -q 'PUT /src/?format=tar[^ ]* HTTP/1.1" 400' "$SCRATCH/server.log" || fail "the broken push was not seen as one: $(grep PUT "$SCRATCH/server.log")"
kept=$(only_complete_files "$SCRATCH/up/src")
[ "$kept" -gt 0 ] && [ "$kept" -lt 74 ] || fail "the push kill did not land mid-stream ($kept files kept)"
find "$SCRATCH/up" -name '*.part' | grep -q . && fail "a broken push left a .part"
expect_exit 0 "$ZCP" put -r --json "$SCRATCH/src" "http://$UP_ADDR/"
diff -r "$SCRATCH/src" "$SCRATCH/up/src" || fail "push re-run did not complete the tree"
finish_cases

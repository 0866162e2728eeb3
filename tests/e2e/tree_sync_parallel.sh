#!/usr/bin/env bash
# get -r's parallel first copy (?part=K/N on 2+ connections): the awkward
# tree arrives identical (names, contents, modes, mtimes, directory mtimes
# included) and a re-run moves nothing; a server that ignores part= (zcp
# before it) is seen and the copy falls back to one stream; a stream that
# fails stops the others and is reported once; a killed server or client
# leaves only complete files and a re-run completes; hostile part= values
# are a 400; zcp serve's descriptors end where they started.
source "$(dirname "$0")/../support/e2e.sh"
make_sync_tree "$SCRATCH/src"
start_server "$SCRATCH/src"
SRC_URL=$URL
SRC_PID=$SERVER_PID
fds() { ls "/proc/$1/fd" | wc -l; }
base_fds=$(fds "$SRC_PID")
json_field() { sed -n "s/.*\"$1\":\([0-9a-z]*\).*/\1/p" "$SCRATCH/stdout"; }
keep_going

# 1. Two and three streams: the same tree; every file came exactly once.
for j in 2 3; do
  expect_exit 0 "$ZCP" get -r --json -j $j "$SRC_URL" "$SCRATCH/pulled$j"
  [ "$(json_field streams)" = $j ] || fail "-j $j used $(json_field streams) streams: $(cat "$SCRATCH/stdout")"
  [ "$(json_field files)" = 12 ] || fail "-j $j: $(json_field files) files, the tree has 12: $(cat "$SCRATCH/stdout")"
  same_tree "$SCRATCH/src" "$SCRATCH/pulled$j"
  [ "$(readlink "$SCRATCH/pulled$j/link-dir")" = sub ] || fail "-j $j: link-dir's target"
  expect_exit 0 "$ZCP" get -r --json -j $j "$SRC_URL" "$SCRATCH/pulled$j"
  [ "$(json_field files)" = 0 ] || fail "-j $j re-run moved files: $(cat "$SCRATCH/stdout")"
done
# rsync -a's view (-t -p, directories included) agrees: nothing to do
# (but DEST's own mtime: -r leaves DEST as it was made, one stream or many).
if command -v rsync >/dev/null; then
  out=$(rsync -a --dry-run --itemize-changes --exclude link-out --exclude sub/link-escape \
    "$SCRATCH/src/" "$SCRATCH/pulled2/" | grep -v ' \./$' || true)
  [ -z "$out" ] || fail "rsync -a sees differences: $out"
fi
find "$SCRATCH"/pulled* -name '*.part' | grep -q . && fail "a .part was left"

# 2. The parts are disjoint and cover the tree, from curl too.
curl -s "${SRC_URL}?format=tar&links=keep&part=1/2" | tar t | sort >"$SCRATCH/p1"
curl -s "${SRC_URL}?format=tar&links=keep&part=2/2" | tar t | sort >"$SCRATCH/p2"
curl -s "${SRC_URL}?format=tar&links=keep" | tar t | sort >"$SCRATCH/all"
both=$(comm -12 "$SCRATCH/p1" "$SCRATCH/p2" | grep -v '/$' || true)
[ -z "$both" ] || fail "files in both parts: $both"
sort -u "$SCRATCH/p1" "$SCRATCH/p2" | cmp -s - "$SCRATCH/all" || fail "the parts do not make the tree"
curl -s -D "$SCRATCH/head" -o /dev/null "${SRC_URL}?format=tar&part=2/3"
grep -qi '^Zcp-Part: 2/3' "$SCRATCH/head" || fail "no Zcp-Part: $(cat "$SCRATCH/head")"

# 3. Hostile part= values.
for p in 0/0 5/2 -1/2 0/2 1/0 1/65 2/1 1/99999999999999999999 4294967297/4294967298 \
  1/2/3 a/b 1/ /2 1 %2B1/2 1/2x ' 1/2'; do
  got=$(http_status --get --data-urlencode "part=$p" "${SRC_URL}?format=tar")
  [ "$got" = 400 ] || fail "part=$p answered $got, want 400"
done

# 4. A server without part=: one request, one stream, the whole tree.
"$PY" "$ZCP_SOURCE_DIR/tests/support/part_proxy.py" strip "$ADDR" "$SCRATCH/strip.port" "$SCRATCH/strip.log" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/strip.port" ] && break; sleep 0.05; done
OLD_URL="http://127.0.0.1:$(cat "$SCRATCH/strip.port")/"
expect_exit 0 "$ZCP" get -r --json -j 2 "$OLD_URL" "$SCRATCH/fallback"
[ "$(json_field streams)" = 1 ] || fail "fallback used $(json_field streams) streams"
same_tree "$SCRATCH/src" "$SCRATCH/fallback"
[ "$(grep -c 'format=tar' "$SCRATCH/strip.log")" = 1 ] || fail "fallback asked: $(cat "$SCRATCH/strip.log")"

# 5. The last part ends long before the first: the directories' modes and
# mtimes still come out right (set once, after every stream).
"$PY" "$ZCP_SOURCE_DIR/tests/support/part_proxy.py" skew "$ADDR" "$SCRATCH/skew.port" "$SCRATCH/skew.log" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/skew.port" ] && break; sleep 0.05; done
# A read-only directory whose files are in both parts: set early, its 0555
# would refuse the slow stream's files (to anyone but root: the client runs
# as nobody when the test is root).
mkdir -p "$SCRATCH/src/ro"
for i in 1 2 3 4; do head -c 300000 /dev/urandom >"$SCRATCH/src/ro/r$i.bin"; done
chmod 0555 "$SCRATCH/src/ro"
as_user=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  chmod o+x "$SCRATCH"
  mkdir "$SCRATCH/skewed" && chown nobody "$SCRATCH/skewed"
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
expect_exit 0 "${as_user[@]}" "$ZCP" get -r -q -j 2 "http://127.0.0.1:$(cat "$SCRATCH/skew.port")/" "$SCRATCH/skewed"
same_tree "$SCRATCH/src" "$SCRATCH/skewed"

# 6. One stream cut mid-archive: the run fails at once with 7, connection lost (the other stream
# trickles for minutes), names the URL once, leaves only complete files.
mkdir -p "$SCRATCH/src/bulk"
for i in $(seq 1 40); do head -c 200000 /dev/urandom >"$SCRATCH/src/bulk/f$i.bin"; done
"$PY" "$ZCP_SOURCE_DIR/tests/support/part_proxy.py" cut "$ADDR" "$SCRATCH/cut.port" "$SCRATCH/cut.log" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/cut.port" ] && break; sleep 0.05; done
CUT_URL="http://127.0.0.1:$(cat "$SCRATCH/cut.port")/"
t0=$(date +%s)
expect_exit 7 timeout 60 "$ZCP" get -r -q -j 2 "$CUT_URL" "$SCRATCH/cut"
[ $(($(date +%s) - t0)) -le 10 ] || fail "the failed stream did not stop the other ($(($(date +%s) - t0)) s)"
[ "$(grep -c . "$SCRATCH/stderr")" = 1 ] || fail "not one error line: $(cat "$SCRATCH/stderr")"
expect_stderr "$CUT_URL"
only_complete() {  # only_complete DEST: every file there is the source's, byte for byte
  while IFS= read -r -d '' f; do
    cmp -s "$f" "$SCRATCH/src/${f#"$1"/}" || fail "partial or wrong file under a final name: ${f#"$1"/}"
  done < <(find "$1" -type f -print0)
}
only_complete "$SCRATCH/cut"
expect_exit 0 "$ZCP" get -r -q "$SRC_URL" "$SCRATCH/cut"
same_tree "$SCRATCH/src" "$SCRATCH/cut"

# 7. The client killed, then the server killed, in the middle of a
# 2-stream copy through a 4 MiB/s proxy: complete files only; re-runs finish.
proxy() {  # proxy TARGET NAME: sets PROXY_URL
  "$PY" "$ZCP_SOURCE_DIR/tests/support/throttle_proxy.py" "$1" $((4 << 20)) "$SCRATCH/$2.port" &
  on_exit "kill $!"
  for _ in $(seq 100); do [ -s "$SCRATCH/$2.port" ] && break; sleep 0.05; done
  PROXY_URL="http://127.0.0.1:$(cat "$SCRATCH/$2.port")/"
}
for i in $(seq 1 24); do head -c $((1 << 20)) /dev/urandom >"$SCRATCH/src/bulk/m$i.bin"; done
proxy "$ADDR" client_kill
"$ZCP" get -r -q -j 2 "$PROXY_URL" "$SCRATCH/killed" &
pid=$!
sleep 2
kill -9 $pid
wait $pid 2>/dev/null || true
n=$(find "$SCRATCH/killed" -type f | wc -l)
[ "$n" -gt 0 ] && [ "$n" -lt 70 ] || fail "the client kill did not land mid-copy ($n files)"
only_complete "$SCRATCH/killed"
expect_exit 0 "$ZCP" get -r -q "$SRC_URL" "$SCRATCH/killed"
same_tree "$SCRATCH/src" "$SCRATCH/killed"

stop_going
start_server "$SCRATCH/src"
keep_going
proxy "$ADDR" server_kill
"$ZCP" get -r -q -j 2 "$PROXY_URL" "$SCRATCH/orphan" 2>"$SCRATCH/orphan.err" &
pid=$!
sleep 2
kill -9 "$SERVER_PID"
got=0
wait $pid || got=$?
[ "$got" -ne 0 ] || fail "the copy from a killed server succeeded"
n=$(find "$SCRATCH/orphan" -type f | wc -l)
[ "$n" -gt 0 ] && [ "$n" -lt 70 ] || fail "the server kill did not land mid-copy ($n files)"
[ "$(grep -c . "$SCRATCH/orphan.err")" = 1 ] || fail "not one error line: $(cat "$SCRATCH/orphan.err")"
only_complete "$SCRATCH/orphan"
expect_exit 0 "$ZCP" get -r -q "$SRC_URL" "$SCRATCH/orphan"
same_tree "$SCRATCH/src" "$SCRATCH/orphan"
find "$SCRATCH" -name '*.part' | grep -q . && fail "a .part was left"

# 8. The first server's descriptors, after all of the above.
for _ in $(seq 50); do [ "$(fds "$SRC_PID")" -le "$base_fds" ] && break; sleep 0.1; done
[ "$(fds "$SRC_PID")" -le "$base_fds" ] || fail "zcp serve holds $(fds "$SRC_PID") fds, had $base_fds: $(ls -l "/proc/$SRC_PID/fd")"
finish_cases

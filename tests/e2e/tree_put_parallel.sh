#!/usr/bin/env bash
# put -r's parallel first copy (?part=K/N PUTs, then one PUT of the
# directories alone): the awkward tree arrives identical (names, contents,
# modes, mtimes, directory mtimes included) and a re-run sends nothing; a
# server whose 100 Continue names no part (zcp before part=, or one with
# --max-upload) gets one stream with the whole tree; a killed client leaves only complete files
# and a re-run completes; hostile part= values are a 400 before any byte
# is stored; zcp serve's descriptors end where they started.
source "$(dirname "$0")/../support/e2e.sh"
make_sync_tree "$SCRATCH/src"
mkdir -p "$SCRATCH/up"
start_server --upload "$SCRATCH/up"
UP_PID=$SERVER_PID
fds() { ls "/proc/$1/fd" | wc -l; }
base_fds=$(fds "$UP_PID")
json_field() { sed -n "s/.*\"$1\":\([0-9a-z]*\).*/\1/p" "$SCRATCH/stdout"; }
keep_going

# 1. Two and three streams; each file stored once; then nothing to send.
for j in 2 3; do
  cp -a "$SCRATCH/src" "$SCRATCH/tree$j"
  expect_exit 0 "$ZCP" put -r --json -j $j "$SCRATCH/tree$j" "$URL"
  [ "$(json_field streams)" = $j ] || fail "-j $j used $(json_field streams) streams: $(cat "$SCRATCH/stdout")"
  [ "$(json_field files)" = 12 ] || fail "-j $j stored $(json_field files) files, the tree has 12"
  same_tree "$SCRATCH/src" "$SCRATCH/up/tree$j"
  [ "$(grep -c "PUT /tree$j/?format=tar&part=" "$SCRATCH/server.log")" = $j ] || fail "-j $j: $(grep PUT "$SCRATCH/server.log")"
  expect_exit 0 "$ZCP" put -r --json -j $j "$SCRATCH/tree$j" "$URL"
  [ "$(json_field files)" = 0 ] || fail "-j $j re-run sent files: $(cat "$SCRATCH/stdout")"
done
# rsync -a's view agrees (but the target's own mtime, left as it was made).
if command -v rsync >/dev/null; then
  out=$(rsync -a --dry-run --itemize-changes --exclude link-out --exclude sub/link-escape \
    "$SCRATCH/src/" "$SCRATCH/up/tree2/" | grep -v ' \./$' || true)
  [ -z "$out" ] || fail "rsync -a sees differences: $out"
fi

# 2. Hostile part= on a tree PUT: 400, nothing stored.
tar -C "$SCRATCH/src" -cf "$SCRATCH/one.tar" big.bin
for p in 0/0 5/2 -1/2 0/2 1/65 1/99999999999999999999 a/b 1/2/3 ' 1/2'; do
  got=$(curl -s -o /dev/null -w '%{http_code}' -T "$SCRATCH/one.tar" \
    "${URL}hostile/?format=tar&part=$(printf %s "$p" | sed 's/ /%20/g')")
  [ "$got" = 400 ] || fail "PUT part=$p answered $got, want 400"
done
[ ! -e "$SCRATCH/up/hostile/big.bin" ] || fail "a hostile part= PUT stored a file"

# 3. A server without part=: one PUT of the whole tree.
"$PY" "$ZCP_SOURCE_DIR/tests/support/part_proxy.py" strip "$ADDR" "$SCRATCH/strip.port" "$SCRATCH/strip.log" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/strip.port" ] && break; sleep 0.05; done
cp -a "$SCRATCH/src" "$SCRATCH/old"
expect_exit 0 "$ZCP" put -r --json -j 2 "$SCRATCH/old" "http://127.0.0.1:$(cat "$SCRATCH/strip.port")/"
[ "$(json_field streams)" = 1 ] || fail "fallback used $(json_field streams) streams: $(cat "$SCRATCH/stdout")"
same_tree "$SCRATCH/src" "$SCRATCH/up/old"
[ "$(grep -c '^PUT' "$SCRATCH/strip.log")" = 1 ] || fail "fallback sent: $(cat "$SCRATCH/strip.log")"

# A server with --max-upload (a bound on the whole tree) takes no parts.
stop_going
serve limited --upload --max-upload $((4 << 20))
keep_going
cp -a "$SCRATCH/src" "$SCRATCH/capped"
expect_exit 0 "$ZCP" put -r --json -j 2 "$SCRATCH/capped" "$URL_limited"
[ "$(json_field streams)" = 1 ] || fail "--max-upload server: $(json_field streams) streams"
same_tree "$SCRATCH/src" "$SCRATCH/limited/capped"

# 4. The client killed mid-push (4 MiB/s proxy, 2 streams): complete files
# only, no .part; the re-run completes.
mkdir -p "$SCRATCH/big"
for i in $(seq 1 24); do head -c $((1 << 20)) /dev/urandom >"$SCRATCH/big/m$i.bin"; done
for i in $(seq 1 50); do echo "small $i" >"$SCRATCH/big/s$i.txt"; done
"$PY" "$ZCP_SOURCE_DIR/tests/support/throttle_proxy.py" "$ADDR" $((4 << 20)) "$SCRATCH/slow.port" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/slow.port" ] && break; sleep 0.05; done
"$ZCP" put -r -q -j 2 "$SCRATCH/big" "http://127.0.0.1:$(cat "$SCRATCH/slow.port")/" &
pid=$!
sleep 2.5
kill -9 $pid
wait $pid 2>/dev/null || true
# Both parts' PUTs end (the proxy drains what the dead client queued).
for _ in $(seq 200); do [ "$(grep -c 'PUT /big/?format=tar&part=' "$SCRATCH/server.log")" = 2 ] && break; sleep 0.1; done
n=0
while IFS= read -r -d '' f; do
  cmp -s "$f" "$SCRATCH/big/${f#"$SCRATCH/up/big/"}" || fail "partial or wrong file under a final name: $f"
  n=$((n + 1))
done < <(find "$SCRATCH/up/big" -type f -print0)
[ "$n" -gt 0 ] && [ "$n" -lt 74 ] || fail "the kill did not land mid-push ($n files)"
find "$SCRATCH/up" -name '*.part' | grep -q . && fail "a broken push left a .part"
expect_exit 0 "$ZCP" put -r -q "$SCRATCH/big" "$URL"
diff -r "$SCRATCH/big" "$SCRATCH/up/big" || fail "the re-run did not complete the tree"

for _ in $(seq 50); do [ "$(fds "$UP_PID")" -le "$base_fds" ] && break; sleep 0.1; done
[ "$(fds "$UP_PID")" -le "$base_fds" ] || fail "zcp serve holds $(fds "$UP_PID") fds, had $base_fds: $(ls -l "/proc/$UP_PID/fd")"
finish_cases

#!/usr/bin/env bash
# A pull re-run fetches its changed files as tar streams of many members
# (GET DIR/?format=tar&links=keep&only=A&only=B...), not one GET each:
# half of a 1,000-file tree (and the awkward names) changed comes back
# identical in a handful of requests, split where one request-target would
# exceed the server's 8 KiB; zcp serve's descriptors return to baseline.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/src"
make_sync_tree "$SCRATCH/src"
for d in $(seq 0 9); do
  mkdir -p "$SCRATCH/src/dir$d"
  for i in $(seq -w 0 99); do echo "file $d $i" >"$SCRATCH/src/dir$d/file-$i.dat"; done
done
start_server "$SCRATCH/src"
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
requests() { grep -c '"GET /' "$SCRATCH/server.log" || true; }

expect_exit 0 "$ZCP" get -r -q "$URL" "$SCRATCH/dest"
same_tree "$SCRATCH/src" "$SCRATCH/dest"
base_fds=$(fds)

keep_going
# Half the tree changed: same size, other bytes, a later mtime; plus the
# newline name and the big file.
n=0
for f in "$SCRATCH"/src/dir*/file-*[02468].dat; do
  printf 'FILE %s\n' "${f: -10:6}" >"$f.new" && mv "$f.new" "$f"
  touch -d '2030-01-01 00:00:00' "$f"
  n=$((n + 1))
done
printf 'NL\n' >"$SCRATCH/src/new
line.txt"
head -c 1048583 /dev/urandom >"$SCRATCH/src/big.bin"
touch -d '2002-02-03 04:05:06' "$SCRATCH/src/big.bin"
n=$((n + 2))
[ "$n" = 502 ] || fail "the test changed $n files, meant 502"

# --dry-run: the same list, only the manifest asked for.
before=$(requests)
expect_exit 0 "$ZCP" get -r --dry-run "$URL" "$SCRATCH/dest"
[ "$(grep -c '^get ' "$SCRATCH/stdout")" = 502 ] || fail "dry run lists $(grep -c '^get ' "$SCRATCH/stdout") files, want 502"
[ $(($(requests) - before)) = 1 ] || fail "dry run made $(($(requests) - before)) requests, want 1"

before=$(requests)
expect_exit 0 "$ZCP" get -r --json "$URL" "$SCRATCH/dest"
grep -q '"files":502' "$SCRATCH/stdout" || fail "summary: $(cat "$SCRATCH/stdout")"
same_tree "$SCRATCH/src" "$SCRATCH/dest"
made=$(($(requests) - before))
batches=$(tail -n "$made" "$SCRATCH/server.log" | grep -c 'format=tar&links=keep&only=' || true)
# 502 paths of ~22 bytes as "&only=PATH": more than one 8 KiB target, so
# at least two batches; the manifest, the batches, nothing per file.
[ "$batches" -ge 2 ] || fail "$batches batch requests: the list was not split"
[ "$made" -le 6 ] || fail "$made requests for 502 files: $(tail -n "$made" "$SCRATCH/server.log" | cut -c1-200)"
tail -n "$made" "$SCRATCH/server.log" | grep 'only=' | grep -v '" 200 ' && fail "a batch was not answered 200"
find "$SCRATCH/dest" -name '*.part' | grep -q . && fail ".part files left"

# Nothing changed: the manifest alone.
before=$(requests)
expect_exit 0 "$ZCP" get -r --json "$URL" "$SCRATCH/dest"
grep -q '"files":0' "$SCRATCH/stdout" || fail "a second re-run moved files: $(cat "$SCRATCH/stdout")"
[ $(($(requests) - before)) = 1 ] || fail "a re-run with nothing changed made $(($(requests) - before)) requests"

# One changed file still comes as a plain GET of its own (below kBatchFrom).
echo "one more" >"$SCRATCH/src/dir3/file-51.dat"
before=$(requests)
expect_exit 0 "$ZCP" get -r -q "$URL" "$SCRATCH/dest"
tail -n 1 "$SCRATCH/server.log" | grep -q '"GET /dir3/file-51.dat HTTP/1.1" 200' ||
  fail "one changed file: $(tail -n 2 "$SCRATCH/server.log" | cut -c1-200)"
same_tree "$SCRATCH/src" "$SCRATCH/dest"

# --fsync through the batches too (the extractor's fsync per member).
for f in "$SCRATCH"/src/dir5/file-1*.dat; do echo "fsynced" >>"$f"; done
if command -v strace >/dev/null; then
  strace -f -qq -e trace=fsync -o "$SCRATCH/strace" "$ZCP" get -r -q --fsync "$URL" "$SCRATCH/dest" ||
    fail "get -r --fsync failed"
  [ "$(grep -c '^[0-9]* *fsync(' "$SCRATCH/strace")" -ge 10 ] || fail "--fsync: $(grep -c fsync "$SCRATCH/strace") fsyncs for 10 files"
else
  expect_exit 0 "$ZCP" get -r -q --fsync "$URL" "$SCRATCH/dest"
fi
same_tree "$SCRATCH/src" "$SCRATCH/dest"

sleep 0.3  # the server closes its side of the last keep-alive connection
[ "$(fds)" = "$base_fds" ] || fail "zcp serve holds $(fds) descriptors, $base_fds before"
finish_cases

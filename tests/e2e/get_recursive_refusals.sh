#!/usr/bin/env bash
# get -r that the server refuses leaves nothing behind and says why: a 404
# creates no directory; a URL that names a file says "not a directory".
# The summary counts in words that agree with their numbers.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/one" "$SCRATCH/dl"
head -c 1000 /dev/urandom >"$SCRATCH/root/a.bin"
echo hi >"$SCRATCH/root/one/only.txt"
mkdir -p "$SCRATCH/root/one/sub"
echo there >"$SCRATCH/root/one/sub/x.txt"
start_server "$SCRATCH/root"
cd "$SCRATCH/dl"

expect_exit 22 "$ZCP" get -r -q "${URL}missing/"
[ -z "$(ls -A)" ] || fail "a 404 left: $(ls -A)"
expect_exit 22 "$ZCP" get -r -q "${URL}missing/" "$SCRATCH/dl/named"
[ ! -e "$SCRATCH/dl/named" ] || fail "a 404 created DEST"

for u in "a.bin" "a.bin/"; do
  expect_exit 22 "$ZCP" get -r -q "${URL}$u"
  expect_stderr "not a directory"
  [ -z "$(ls -A)" ] || fail "-r of a file ($u) left: $(ls -A)"
done

expect_exit 0 "$ZCP" get -r "${URL}one/"
expect_stderr "2 files sent, 0 skipped, 0 deleted, 1 directory"
cmp -s one/only.txt "$SCRATCH/root/one/only.txt" || fail "tree not fetched"
echo "ok"

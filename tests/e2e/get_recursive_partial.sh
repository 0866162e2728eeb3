#!/usr/bin/env bash
# zcp get -r in crawl mode against a tree that fails in parts (tests/
# support/crawl_fault_server.py): a file answering 404 or 403 and a
# sub-directory whose listing is refused do not stop the mirror; each is
# named with its URL and status, the summary counts them, the exit code is
# 24 (partial), and --delete is not applied. A name listed as a file and
# as a directory keeps the directory and says so.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/crawl_faults.sh"
start_crawl_faults

expect_exit 24 timeout 20 "$ZCP" get -r "$U/t/" "$SCRATCH/dest"
expect_stderr "$U/t/gone.txt: server answered 404"
expect_stderr "$U/t/secret.txt: server answered 403"
expect_stderr "$U/t/locked/: server answered 403"
expect_stderr "$U/t/: lists both a file and a directory named 'dup'"
expect_stderr "4 FAILED"
[ "$(cat "$SCRATCH/dest/a.txt")" = a ] || fail "a.txt did not arrive"
[ "$(cat "$SCRATCH/dest/sub/b.txt")" = b ] || fail "sub/b.txt did not arrive"
[ "$(cat "$SCRATCH/dest/dup/c.txt")" = c ] || fail "dup/ was not mirrored as the directory"
[ ! -e "$SCRATCH/dest/gone.txt" ] && [ ! -e "$SCRATCH/dest/secret.txt" ] || fail "a refused file landed"
find "$SCRATCH/dest" -name '*.part*' | grep -q . && fail "a .part was left: $(find "$SCRATCH/dest")"

# Again with --delete: a partial mirror removes nothing; --json counts it.
echo extra >"$SCRATCH/dest/extra.txt"
expect_exit 24 timeout 20 "$ZCP" get -r --delete --json "$U/t/" "$SCRATCH/dest"
expect_stderr "--delete not applied"
[ -e "$SCRATCH/dest/extra.txt" ] || fail "--delete ran after a partial listing"
grep -q '"failed":4' "$SCRATCH/stdout" || fail "--json lacks the failures: $(cat "$SCRATCH/stdout")"
# A whole tree (sub/ alone) is exit 0 and deletes what it lacks.
echo extra >"$SCRATCH/sub-extra"
mkdir "$SCRATCH/s" && cp "$SCRATCH/sub-extra" "$SCRATCH/s/x.txt"
expect_exit 0 timeout 20 "$ZCP" get -r --delete "$U/t/sub/" "$SCRATCH/s"
[ ! -e "$SCRATCH/s/x.txt" ] && [ "$(cat "$SCRATCH/s/b.txt")" = b ] || fail "a whole mirror's --delete"
echo ok

#!/usr/bin/env bash
# A listing that trickles in (a byte every 0.3 s, under --timeout 1) does
# not hold the crawl without end: each listing must arrive within 4 x
# --timeout; the run fails naming the URL, exit 7, no DEST.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/crawl_faults.sh"
start_crawl_faults
start=$(date +%s)
expect_exit 7 timeout 60 "$ZCP" get -r --timeout 1 "$U/slow/" "$SCRATCH/d"
took=$(($(date +%s) - start))
[ "$took" -le 8 ] || fail "the trickling listing held the crawl $took s (bound 4 s)"
expect_stderr "$U/slow/"
expect_stderr "listing not complete after 4 s"
[ ! -e "$SCRATCH/d" ] || fail "a failed crawl left DEST"
echo ok

#!/usr/bin/env bash
# Bad command lines get a clear message and exit code 2, never a crash.
source "$(dirname "$0")/../support/e2e.sh"

expect_exit 2 "$ZCP" bench --send nope
expect_stderr "unknown send engine 'nope'"
expect_exit 2 "$ZCP" bench --recv discard:8Q
expect_stderr "bad size suffix"
expect_exit 2 "$ZCP" bench --size 0
expect_stderr "--size must be more than 0"
expect_exit 2 "$ZCP" bench --size banana
expect_stderr "bad size 'banana'"
expect_exit 2 "$ZCP" bench --file /nonexistent/zcp.bin
expect_stderr "/nonexistent/zcp.bin"
expect_exit 2 "$ZCP" bench --runs 0
expect_exit 2 "$ZCP" frobnicate
expect_exit 2 "$ZCP"
expect_exit 0 "$ZCP" --help
grep -q "bench" "$SCRATCH/stdout" || fail "--help does not list bench"
expect_exit 0 "$ZCP" bench --help
grep -q "discard-splice" "$SCRATCH/stdout" || fail "bench --help does not list the engines"
# A send-only file path that is a directory is refused, not sent.
expect_exit 2 "$ZCP" bench --file /tmp
echo "ok"

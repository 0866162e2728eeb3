#!/usr/bin/env bash
# Bad start-up input: clear messages, exit code 2 for usage, 1 for failures.
source "$(dirname "$0")/../support/e2e.sh"
expect_exit 2 "$ZCP" serve /nonexistent/dir
expect_stderr "/nonexistent/dir"
expect_exit 2 "$ZCP" serve --engine teleport "$SCRATCH"
expect_stderr "unknown send engine 'teleport'"
expect_exit 2 "$ZCP" serve --listen 127.0.0.1 "$SCRATCH"
expect_stderr "missing port"
expect_exit 2 "$ZCP" serve --listen '::1:80' "$SCRATCH"
expect_stderr "brackets"
start_server "$SCRATCH"
# SO_REUSEPORT would let a second server silently join the first one's
# port; zcp checks the port is free first.
expect_exit 1 "$ZCP" serve --listen "$ADDR" --workers 1 "$SCRATCH"
expect_stderr "bind $ADDR: Address already in use"
expect_exit 0 "$ZCP" serve --help
grep -q -- "--raw" "$SCRATCH/stdout" || fail "serve --help lacks --raw"
echo ok

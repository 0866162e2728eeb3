#!/usr/bin/env bash
# Command-line mistakes get a message that names the subcommand and the fix,
# and exit 2.
source "$(dirname "$0")/../support/e2e.sh"

expect_exit 2 "$ZCP" frob
expect_stderr "zcp: unknown command 'frob'"
grep -q "A subcommand is required" "$SCRATCH/stderr" && fail "CLI11's generic message"

# Peer-free, but still escaped: a control byte in the word cannot reach the terminal.
expect_exit 2 "$ZCP" $'fr\x1b[2Job'
grep -q $'\x1b' "$SCRATCH/stderr" && fail "raw ESC echoed"

expect_exit 2 "$ZCP" serve --listen ::1:18532 "$SCRATCH"
expect_stderr "write '[::1]:18532'"

expect_exit 2 "$ZCP" serve "$SCRATCH/missing"
expect_stderr "zcp serve: DIR: Directory does not exist"
expect_stderr "Run 'zcp serve --help'"

expect_exit 2 "$ZCP" get --no-such-flag http://127.0.0.1:1/
expect_stderr "zcp get: The following argument was not expected: --no-such-flag"

expect_exit 0 "$ZCP" --version
expect_exit 0 "$ZCP" get --help
echo "ok"

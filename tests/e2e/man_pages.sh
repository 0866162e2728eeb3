#!/usr/bin/env bash
# The man pages (docs/man/*.1, plain roff) lint clean with mandoc and groff,
# and each subcommand's page documents exactly the options its --help lists.
source "$(dirname "$0")/../support/e2e.sh"
command -v mandoc >/dev/null || skip "mandoc not installed (scripts/install-deps.sh installs it)"
man=$ZCP_SOURCE_DIR/docs/man

for page in "$man"/*.1; do
  out=$(mandoc -T lint -W warning "$page" 2>&1) || true
  [ -z "$out" ] || fail "mandoc -T lint $(basename "$page"): $out"
  warnings=$(groff -ww -z -man "$page" 2>&1)
  [ -z "$warnings" ] || fail "groff -ww $(basename "$page"): $warnings"
done

# Long options as --help prints them (the Options: section) and as the page
# documents them (\-\-name in its OPTIONS section).
help_options() { "$ZCP" "$@" --help | sed -n '/^Options:/,/^Subcommands:/p' | grep -oE -- '^ +(-[a-zA-Z0-9],)?--[a-z0-9][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort -u; }
page_options() { sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" | awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }' | grep -oE -- '\\-\\-[a-z0-9][a-z0-9\\-]*' | sed 's/\\//g' | sort -u; }

for cmd in serve get put bench; do
  page=$man/zcp-$cmd.1
  [ -f "$page" ] || fail "no man page for zcp $cmd"
  d=$(diff <(help_options "$cmd") <(page_options "$page")) ||
    fail "zcp $cmd: --help (<) and zcp-$cmd.1 (>) list different options: $d"
done
d=$(diff <(help_options) <(page_options "$man/zcp.1")) || fail "zcp: --help (<) vs zcp.1 (>): $d"

# Every page renders, as a user's `man` would.
for page in "$man"/*.1; do
  MANWIDTH=80 man -l "$page" >"$SCRATCH/rendered" 2>/dev/null || fail "man -l $(basename "$page") failed"
  grep -q "NAME" "$SCRATCH/rendered" || fail "$(basename "$page") renders no NAME section"
done
echo "ok"

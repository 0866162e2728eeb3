#!/usr/bin/env bash
# A file stored by PUT is served at once, not up to 100 ms later: every
# upload tells the workers' open-file caches to forget what they hold, so a
# GET right after the PUT gets the new bytes whichever worker answers it.
source "$(dirname "$0")/../support/e2e.sh"
mkdir "$SCRATCH/root"
start_server --workers 2 --quiet --upload "$SCRATCH/root"
for i in $(seq 30); do
  printf 'version %d\n' "$i" >"$SCRATCH/v"
  # Warm both workers' caches with the current version first.
  for _ in 1 2 3 4; do curl -s -o /dev/null "${URL}f.txt"; done
  [ "$(http_status -T "$SCRATCH/v" "${URL}f.txt")" = 201 ] || [ "$(http_status "${URL}f.txt")" = 200 ] ||
    fail "PUT $i refused"
  got=$(curl -s "${URL}f.txt")
  [ "$got" = "version $i" ] || fail "GET right after PUT $i: '$got'"
done
echo ok

#!/usr/bin/env bash
# zcp get -r against a hostile listing server (tests/support/
# hostile_listing_server.py): hrefs with "..", absolute paths, other hosts,
# %2F and %00 tricks are skipped with a message, a self-listing directory
# ends at 64 levels, a listing over 8 MiB is refused before DEST exists;
# nothing is written outside DEST.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/nginx.sh"
port=$(free_port)
$PY "$ZCP_SOURCE_DIR/tests/support/hostile_listing_server.py" "$port" 2>"$SCRATCH/requests.log" &
SRV=$!
on_exit "kill $SRV"
wait_port "$port"
mkdir -p "$SCRATCH/box"
cd "$SCRATCH/box"
before=$(find "$SCRATCH" -path "$SCRATCH/box/dest" -prune -o -print | grep -v 'requests.log\|/stdout\|/stderr' | sort)

timeout 20 "$ZCP" get -r "http://127.0.0.1:$port/t/" dest 2>"$SCRATCH/err" || fail "crawl of a hostile listing: $(cat "$SCRATCH/err")"
grep -q "127.0.0.1:$port/t/: skipped 8 link(s) leading outside the tree" "$SCRATCH/err" ||
  fail "no message about the skipped links: $(cat "$SCRATCH/err")"
grep -q "more than 64 directories deep" "$SCRATCH/err" || fail "no message about the loop: $(cat "$SCRATCH/err")"
[ "$(cat dest/good.txt)" = good ] || fail "the good file did not arrive"
depth=$(find dest -type d | awk -F/ '{print NF}' | sort -n | tail -1)
[ "$depth" -le 66 ] || fail "the loop went $depth levels deep"
[ "$(grep -c 'GET /t/loop' "$SCRATCH/requests.log")" -le 64 ] || fail "the loop was listed more than 64 times"
grep -v 'GET /t/' "$SCRATCH/requests.log" | grep -q GET && fail "asked outside /t/: $(grep -v 'GET /t/' "$SCRATCH/requests.log")"
after=$(find "$SCRATCH" -path "$SCRATCH/box/dest" -prune -o -print | grep -v 'requests.log\|/stdout\|/stderr\|/err$' | sort)
[ "$before" = "$after" ] || fail "written outside DEST: $(diff <(echo "$before") <(echo "$after"))"
find dest -name x -o -name passwd -o -name escape | grep -q . && fail "a hostile name landed"

expect_exit 8 timeout 20 "$ZCP" get -r "http://127.0.0.1:$port/huge/" huge
expect_stderr "127.0.0.1:$port/huge/"
expect_stderr "larger than 8 MiB"
[ ! -e huge ] || fail "a refused listing left DEST behind"
echo ok

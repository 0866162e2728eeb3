#!/usr/bin/env bash
# zcp get -r against Debian's nginx serving a tree with branching symlink
# loops (a/x -> . and a/y -> .: each level doubles): a listing identical
# to an ancestor's is a loop, not followed, said once; the run ends in
# seconds with the tree once (no x/, y/), a handful of requests, and
# --delete is not applied (the loop's directories were not listed).
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/nginx.sh"
T="$SCRATCH/www/t"
mkdir -p "$T/a/b"
echo top >"$T/top.txt"
echo f >"$T/a/f.txt"
echo deep >"$T/a/b/deep.txt"
ln -s . "$T/a/x"
ln -s . "$T/a/y"
ln -s .. "$T/a/b/up"
port=$(free_port)
start_nginx "server { listen 127.0.0.1:$port; root $SCRATCH/www; autoindex on; }"
wait_port "$port"

start=$(date +%s)
expect_exit 0 timeout 60 "$ZCP" get -r "http://127.0.0.1:$port/t/" "$SCRATCH/d"
took=$(($(date +%s) - start))
[ "$took" -le 10 ] || fail "the loops took $took s"
expect_stderr "(a link loop?): not followed"
[ "$(grep -c 'link loop' "$SCRATCH/stderr")" = 1 ] || fail "the loop was named more than once: $(cat "$SCRATCH/stderr")"
got=$(cd "$SCRATCH/d" && find . | sort | tr '\n' ' ')
[ "$got" = ". ./a ./a/b ./a/b/deep.txt ./a/f.txt ./top.txt " ] || fail "not the tree once: $got"
listings=$(grep -c 'GET /t/[^ ]*/ HTTP' "$SCRATCH/ngx/access.log" || true)
[ "$listings" -le 8 ] || fail "$listings listing requests for a 3-directory tree"

# --delete: not applied, since the loop's directories were left unlisted.
echo extra >"$SCRATCH/d/extra.txt"
expect_exit 0 timeout 60 "$ZCP" get -r --delete "http://127.0.0.1:$port/t/" "$SCRATCH/d"
expect_stderr "--delete not applied"
[ -e "$SCRATCH/d/extra.txt" ] || fail "--delete ran beside a skipped loop"
echo ok

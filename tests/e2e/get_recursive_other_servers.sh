#!/usr/bin/env bash
# zcp get -r crawls the directory listings of lighttpd (mod_dirlisting,
# sizes like "1.2K" that say nothing exact) and python's http.server (a
# bare <ul> of links, no sizes): the same tree arrives, and a re-run asks
# each file If-Modified-Since and fetches nothing.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/nginx.sh"
[ -x /usr/sbin/lighttpd ] || skip "lighttpd not installed"
T="$SCRATCH/www/tree"
mkdir -p "$T/sub dir/deeper" "$T/empty dir"
echo hello >"$T/hello.txt"
: >"$T/empty file"
head -c 5000 /dev/urandom >"$T/sub dir/5k.bin"
echo hash >"$T/a#b %c"
echo uni >"$T/sub dir/deeper/ünï.txt"
find "$T" -type f -exec touch -d '2020-01-02 03:04:05' {} +  # lighttpd keeps no validators for a file of this second

port=$(free_port)
mkdir -p "$SCRATCH/lt"
cat >"$SCRATCH/lt/lighttpd.conf" <<CONF
server.document-root = "$SCRATCH/www"
server.bind = "127.0.0.1"
server.port = $port
server.modules = ("mod_dirlisting", "mod_accesslog")
dir-listing.activate = "enable"
# Without a mimetype table lighttpd sends no Last-Modified (nothing to ask
# If-Modified-Since with).
mimetype.assign = ("" => "application/octet-stream")
accesslog.filename = "$SCRATCH/lt/access.log"
server.errorlog = "$SCRATCH/lt/error.log"
CONF
/usr/sbin/lighttpd -D -f "$SCRATCH/lt/lighttpd.conf" &
LT=$!
on_exit "kill $LT"
wait_port "$port"
"$ZCP" get -r "http://127.0.0.1:$port/tree/" "$SCRATCH/lt-copy" 2>"$SCRATCH/err" || fail "get -r from lighttpd: $(cat "$SCRATCH/err")"
grep -q "is not zcp serve" "$SCRATCH/err" || fail "no crawl notice: $(cat "$SCRATCH/err")"
diff -r "$T" "$SCRATCH/lt-copy" || fail "lighttpd crawl differs"
[ -d "$SCRATCH/lt-copy/empty dir" ] || fail "empty directory missing"
"$ZCP" get -r --json "http://127.0.0.1:$port/tree/" "$SCRATCH/lt-copy" >"$SCRATCH/again.json" 2>/dev/null || fail "re-run"
grep -q '"files":0' "$SCRATCH/again.json" && grep -q '"skipped":5' "$SCRATCH/again.json" ||
  fail "lighttpd re-run fetched: $(cat "$SCRATCH/again.json")"

pport=$(free_port)
$PY -m http.server --bind 127.0.0.1 --directory "$SCRATCH/www" "$pport" >"$SCRATCH/py.log" 2>&1 &
PYS=$!
on_exit "kill $PYS"
wait_port "$pport"
"$ZCP" get -r -q "http://127.0.0.1:$pport/tree/" "$SCRATCH/py-copy" || fail "get -r from python http.server"
diff -r "$T" "$SCRATCH/py-copy" || fail "http.server crawl differs"
"$ZCP" get -r --json "http://127.0.0.1:$pport/tree/" "$SCRATCH/py-copy" >"$SCRATCH/again.json" 2>/dev/null || fail "re-run"
grep -q '"files":0' "$SCRATCH/again.json" || fail "http.server re-run fetched: $(cat "$SCRATCH/again.json")"
echo ok

#!/usr/bin/env bash
# zcp get -r against Debian's nginx (not zcp serve): its autoindex listings
# are crawled, in HTML, in JSON and over https. Odd names (spaces, UTF-8,
# '#', '%', '?', '&', ':'), nested and empty directories, empty files;
# diff -r equal and mtimes from Last-Modified. A re-run asks
# If-Modified-Since and gets only 304s; after one file changes only it
# comes again; --dry-run, --delete, and a 404 / 403 listing that leaves no
# DEST behind.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/nginx.sh"
source "$ZCP_SOURCE_DIR/tests/support/tls_certs.sh"
test_pki "$SCRATCH/pki"
T="$SCRATCH/www/tree"
mkdir -p "$T/sub dir/deeper/deepest" "$T/empty dir" "$T/café" "$SCRATCH/www/noindex"
echo hello >"$T/hello.txt"
: >"$T/empty file"
head -c 300000 /dev/urandom >"$T/sub dir/big.bin"
echo hash >"$T/a#b"
echo pct >"$T/100%"
echo q >"$T/why?.txt"
echo amp >"$T/a&b <c>"
echo colon >"$T/x:y"
echo uni >"$T/café/ünï cödé.txt"
echo deep >"$T/sub dir/deeper/deepest/leaf"
: >"$T/sub dir/deeper/empty"
touch -d '2001-02-03 04:05:06' "$T/hello.txt"
p1=$(free_port) p2=$(free_port) p3=$(free_port)
start_nginx "
  server { listen 127.0.0.1:$p1; root $SCRATCH/www; autoindex on; location /noindex/ { autoindex off; } }
  server { listen 127.0.0.1:$p2; root $SCRATCH/www; autoindex on; autoindex_format json; }
  server { listen 127.0.0.1:$p3 ssl; root $SCRATCH/www; autoindex on;
    ssl_certificate $SCRATCH/pki/good.pem; ssl_certificate_key $SCRATCH/pki/good.key; }"
wait_port "$p1"; wait_port "$p2"; wait_port "$p3"
LOG="$SCRATCH/ngx/access.log"
files=$(find "$T" -type f | wc -l)
file_gets() { grep -v ' 301 \|/ HTTP/1.1"\|?format=' "$LOG" || true; }  # requests for files, not listings

# 1. HTML autoindex: a first copy.
"$ZCP" get -r "http://127.0.0.1:$p1/tree/" "$SCRATCH/html" 2>"$SCRATCH/err" || fail "get -r from nginx: $(cat "$SCRATCH/err")"
grep -q "is not zcp serve: mirroring its directory listings" "$SCRATCH/err" || fail "no crawl notice: $(cat "$SCRATCH/err")"
diff -r "$T" "$SCRATCH/html" || fail "HTML crawl differs"
[ -d "$SCRATCH/html/empty dir" ] || fail "empty directory missing"
[ "$(stat -c %Y "$SCRATCH/html/hello.txt")" = "$(stat -c %Y "$T/hello.txt")" ] || fail "mtime not from Last-Modified"
grep -q "$files files sent, 0 skipped" "$SCRATCH/err" || fail "summary: $(cat "$SCRATCH/err")"

# 2. Again: every file asked If-Modified-Since, every answer 304.
: >"$LOG"
"$ZCP" get -r --json "http://127.0.0.1:$p1/tree/" "$SCRATCH/html" >"$SCRATCH/again.json" 2>"$SCRATCH/err" ||
  fail "re-run: $(cat "$SCRATCH/err")"
grep -q "\"files\":0" "$SCRATCH/again.json" && grep -q "\"skipped\":$files" "$SCRATCH/again.json" ||
  fail "re-run fetched something: $(cat "$SCRATCH/again.json")"
[ "$(file_gets | grep -c '" 304 ')" = "$files" ] || fail "not $files 304s: $(file_gets)"
file_gets | grep -q '" 200 ' && fail "re-run got a 200 for a file: $(file_gets)"

# 3. One file changes: only it comes again; --dry-run said so first.
echo "hello, changed" >"$T/sub dir/deeper/deepest/leaf"
"$ZCP" get -r -n "http://127.0.0.1:$p1/tree/" "$SCRATCH/html" >"$SCRATCH/dry" 2>/dev/null || fail "--dry-run"
[ "$(cat "$SCRATCH/dry")" = "get sub dir/deeper/deepest/leaf" ] || fail "--dry-run listed: $(cat "$SCRATCH/dry")"
: >"$LOG"
"$ZCP" get -r -q "http://127.0.0.1:$p1/tree/" "$SCRATCH/html" || fail "run after a change"
[ "$(file_gets | grep -c '" 200 ')" = 1 ] && file_gets | grep '" 200 ' | grep -q deepest/leaf ||
  fail "not just the changed file: $(file_gets)"
diff -r "$T" "$SCRATCH/html" || fail "changed file not mirrored"

# 4. --delete removes what the listings lack (beneath DEST only).
echo extra >"$SCRATCH/html/sub dir/extra"
ln -s /etc "$SCRATCH/html/link-out"
"$ZCP" get -r -q --delete "http://127.0.0.1:$p1/tree/" "$SCRATCH/html" || fail "--delete"
[ ! -e "$SCRATCH/html/sub dir/extra" ] && [ ! -L "$SCRATCH/html/link-out" ] || fail "--delete kept extras"
[ -e /etc/passwd ] || fail "--delete followed a link"
diff -r "$T" "$SCRATCH/html" || fail "--delete changed more"

# 5. JSON autoindex, and https with --cacert.
"$ZCP" get -r -q "http://127.0.0.1:$p2/tree/" "$SCRATCH/json" || fail "get -r from nginx's JSON autoindex"
diff -r "$T" "$SCRATCH/json" || fail "JSON crawl differs"
"$ZCP" get -r -q --cacert "$SCRATCH/pki/ca.pem" "https://127.0.0.1:$p3/tree/" "$SCRATCH/tls" ||
  fail "get -r from nginx over https"
diff -r "$T" "$SCRATCH/tls" || fail "https crawl differs"

# 6. --dry-run into a missing DEST lists every file and creates nothing;
# --checksum (zcp serve's digests) is refused; refused listings name the
# URL and leave no DEST.
"$ZCP" get -r -n "http://127.0.0.1:$p1/tree/" "$SCRATCH/fresh" >"$SCRATCH/dry" 2>/dev/null || fail "--dry-run, no DEST"
[ "$(grep -c '^get ' "$SCRATCH/dry")" = "$files" ] || fail "--dry-run into nothing listed: $(cat "$SCRATCH/dry")"
[ ! -e "$SCRATCH/fresh" ] || fail "--dry-run created DEST"
expect_exit 2 "$ZCP" get -r --checksum "http://127.0.0.1:$p1/tree/" "$SCRATCH/sum"
expect_stderr "--checksum needs zcp serve"
[ ! -e "$SCRATCH/sum" ] || fail "a refused --checksum left DEST behind"
expect_exit 22 "$ZCP" get -r "http://127.0.0.1:$p1/missing/" "$SCRATCH/none404"
[ ! -e "$SCRATCH/none404" ] || fail "a 404 left DEST behind"
# nginx's error page speaks through its <title>, not its first line "<html>".
expect_stderr "server answered 404 Not Found"
grep -q "<html>" "$SCRATCH/stderr" && fail "the 404 shows raw HTML: $(cat "$SCRATCH/stderr")"
"$ZCP" get -r "http://127.0.0.1:$p1/noindex/" "$SCRATCH/none403" 2>"$SCRATCH/err" && fail "403 listing succeeded"
grep -q "127.0.0.1:$p1/noindex/.*403" "$SCRATCH/err" || fail "403 message: $(cat "$SCRATCH/err")"
[ ! -e "$SCRATCH/none403" ] || fail "a 403 left DEST behind"
echo ok

#!/usr/bin/env bash
# Nothing outside the root is ever served: .. in any spelling, encoded
# slashes, NUL, absolute URIs, symlinks out of the root; dotfiles hidden.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/sub"
echo inside >"$SCRATCH/root/sub/in.txt"
echo secret >"$SCRATCH/outside.txt"
echo dot >"$SCRATCH/root/.env"
ln -s /etc/passwd "$SCRATCH/root/passwd-link"
ln -s ../outside.txt "$SCRATCH/root/escape-link"
ln -s sub/in.txt "$SCRATCH/root/inside-link"
start_server "$SCRATCH/root"

raw_get() {  # TARGET: the status line for a request-target sent as is
  raw_http "$ADDR" "GET $1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >"$SCRATCH/raw" || true
  grep -q 'root:\|secret' "$SCRATCH/raw" && fail "$1 leaked: $(head -c 300 "$SCRATCH/raw")"
  head -1 "$SCRATCH/raw" | tr -d '\r'
}
for t in /../outside.txt /sub/../../outside.txt /%2e%2e/outside.txt /%2E%2E%2Foutside.txt \
  /sub/..%2F..%2Foutside.txt /..%5Coutside.txt '/sub\..\..\outside.txt' /%252e%252e/outside.txt \
  /sub/in.txt%00 /%00 /%c0%ae%c0%ae/outside.txt /passwd-link /escape-link /.env /sub/../.env \
  'http://evil/../outside.txt' /etc/passwd //etc/passwd; do
  line=$(raw_get "$t")
  case "$line" in
  "HTTP/1.1 400"* | "HTTP/1.1 403"* | "HTTP/1.1 404"*) ;;
  *) fail "$t answered '$line'" ;;
  esac
done
[ "$(raw_get /inside-link)" = "HTTP/1.1 200 OK" ] || fail "symlink inside the root refused"
[ "$(raw_get 'http://example.org/sub/in.txt')" = "HTTP/1.1 200 OK" ] || fail "absolute-form refused"
curl -s "${URL}?format=json" | grep -q '\.env' && fail ".env listed"
curl -s "${URL}" | grep -q 'passwd-link' && fail "escaping symlink listed"
kill -0 "$SERVER_PID" || fail "server died"
echo ok

#!/usr/bin/env bash
# zcp get from zcp serve: exact bytes (sha256), DEST as file, directory or
# stdout, a non-regular DEST written in place, mtime from Last-Modified,
# and the documented exit codes for HTTP errors, refused connections and bad URLs.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/sub" "$SCRATCH/dl"
head -c 5000001 /dev/urandom >"$SCRATCH/root/f.bin"
touch -d '2021-05-06 07:08:09 UTC' "$SCRATCH/root/f.bin"
echo small >"$SCRATCH/root/sub/a b.txt"
start_server "$SCRATCH/root"
sum() { sha256sum "$1" | cut -d' ' -f1; }

(cd "$SCRATCH/dl" && "$ZCP" get -q "${URL}f.bin") || fail "get into cwd"
[ "$(sum "$SCRATCH/dl/f.bin")" = "$(sum "$SCRATCH/root/f.bin")" ] || fail "sha256 differs"
[ "$(stat -c %Y "$SCRATCH/dl/f.bin")" = "$(stat -c %Y "$SCRATCH/root/f.bin")" ] || fail "mtime not from Last-Modified"
[ ! -e "$SCRATCH/dl/f.bin.part" ] || fail ".part left after success"
"$ZCP" get -q "${URL}sub/a%20b.txt" "$SCRATCH/dl" || fail "get into a directory"
cmp "$SCRATCH/dl/a b.txt" "$SCRATCH/root/sub/a b.txt" || fail "decoded name"
"$ZCP" get -q "${URL}f.bin" "$SCRATCH/dl/named.bin" || fail "get to a file name"
cmp "$SCRATCH/dl/named.bin" "$SCRATCH/root/f.bin" || fail "named copy differs"
"$ZCP" get -q -o - "${URL}f.bin" >"$SCRATCH/dl/stdout.bin" || fail "get to stdout"
cmp "$SCRATCH/dl/stdout.bin" "$SCRATCH/root/f.bin" || fail "stdout copy differs"
"$ZCP" get -q "${URL}f.bin" - | cmp - "$SCRATCH/root/f.bin" || fail "stdout pipe copy differs"
"$ZCP" get -q "${URL}f.bin" /dev/null || fail "get to /dev/null"
[ -c /dev/null ] || fail "/dev/null was replaced"
"$ZCP" get --engine copy -q "${URL}f.bin" "$SCRATCH/dl/copy.bin" || fail "copy engine"
cmp "$SCRATCH/dl/copy.bin" "$SCRATCH/root/f.bin" || fail "copy engine bytes differ"
"$ZCP" get --json "${URL}f.bin" "$SCRATCH/dl/j.bin" >"$SCRATCH/j.json" || fail "--json"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["bytes"]==5000001, d' "$SCRATCH/j.json" || fail "bad --json"

expect_exit 22 "$ZCP" get -q "${URL}missing" "$SCRATCH/dl/missing"
expect_stderr "404"
[ ! -e "$SCRATCH/dl/missing" ] || fail "a 404 left a file"
expect_exit 3 "$ZCP" get "ftp://127.0.0.1/x"
# https to zcp serve's plain HTTP port: the handshake fails (curl's 35).
expect_exit 35 "$ZCP" get -q "https://${URL#http://}missing" "$SCRATCH/dl/tls"
expect_stderr "plain HTTP"
expect_exit 3 "$ZCP" get "http://"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_exit 7 "$ZCP" get -q "http://127.0.0.1:$port/f.bin" "$SCRATCH/dl/x"
expect_stderr "Connection refused"
expect_exit 2 "$ZCP" get
echo ok

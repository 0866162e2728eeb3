#!/usr/bin/env bash
# zcp serve over HTTPS with real clients: curl (--cacert, and
# --pinnedpubkey with the pin --tls-self-signed prints), wget, aria2c -x4,
# openssl s_client, and zcp get (single, -j 4, -c after an interrupt, -r)
# and put (zcp and curl -T, a file and a tree) to --upload. GET, HEAD, Range and listings;
# bodies sha-256 identical; the access log names the path (userspace here,
# ktls on a kernel with CONFIG_TLS).
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/tls_certs.sh"
command -v curl >/dev/null || skip "curl not installed"
test_pki "$SCRATCH/pki"
CA=$SCRATCH/pki/ca.pem
mkdir -p "$SCRATCH/root/tree/sub" "$SCRATCH/root/up"
head -c $((48 << 20)) /dev/urandom >"$SCRATCH/root/big.bin"
head -c 3000 /dev/urandom >"$SCRATCH/root/small.bin"  # the file cache's in-memory path
make_tree "$SCRATCH/root/tree"
sum() { sha256sum <"$1" | cut -d' ' -f1; }
want=$(sum "$SCRATCH/root/big.bin")
same() {  # same FILE WANT_SUM WHAT
  [ -f "$1" ] && [ "$(sum "$1")" = "$2" ] || fail "$3: bytes differ"
}
grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp && path=ktls || path=userspace
keep_going

# --- a CA-signed certificate -----------------------------------------------
start_server --tls-cert "$SCRATCH/pki/good.pem" --tls-key "$SCRATCH/pki/good.key" --upload "$SCRATCH/root"
case "$URL" in https://*) ;; *) fail "startup line has no https URL: $URL" ;; esac
grep -q "tls=$path" "$SCRATCH/server.log" || fail "startup line lacks tls=$path: $(head -1 "$SCRATCH/server.log")"
curl -sSf --cacert "$CA" "${URL}big.bin" -o "$SCRATCH/c1" || fail "curl --cacert failed"
same "$SCRATCH/c1" "$want" "curl --cacert"
curl -sSf --cacert "$CA" "${URL}small.bin" -o "$SCRATCH/c2" || fail "curl small file failed"
same "$SCRATCH/c2" "$(sum "$SCRATCH/root/small.bin")" "curl small (cached) file"
head=$(curl -sSf --cacert "$CA" -I "${URL}big.bin") || fail "HEAD failed"
grep -qi "^content-length: $((48 << 20))" <<<"$head" || fail "HEAD lacks Content-Length: $head"
range=$(curl -sSf --cacert "$CA" -r 1000-1999 "${URL}big.bin" | sha256sum | cut -d' ' -f1)
[ "$range" = "$(tail -c +1001 "$SCRATCH/root/big.bin" | head -c 1000 | sha256sum | cut -d' ' -f1)" ] ||
  fail "Range 1000-1999 differs"
curl -sSf --cacert "$CA" "${URL}tree/" | grep -q "big.bin" || fail "HTML listing lacks big.bin"
curl -sSf --cacert "$CA" "${URL}?format=json" | grep -q '"name":"big.bin"' || fail "JSON listing lacks big.bin"
# A large in-memory body (a listing of 3000 names) crosses many records.
mkdir -p "$SCRATCH/root/many"
(cd "$SCRATCH/root/many" && seq -f "file-with-a-longish-name-%06g.txt" 3000 | xargs touch)
n=$(curl -sSf --cacert "$CA" "${URL}many/?format=json" | grep -o '"name":"file-with' | wc -l)
[ "$n" = 3000 ] || fail "JSON listing of 3000 names over https has $n"
n=$(curl -sSf --cacert "$CA" "${URL}many/" | grep -o 'file-with-a-longish-name-[0-9]*\.txt' | sort -u | wc -l)
[ "$n" = 3000 ] || fail "HTML listing of 3000 names over https has $n"
curl -sSf --cacert "$CA" "${URL}tree/?format=tar" | tar -x -C "$SCRATCH" -f - 2>/dev/null ||
  fail "tar stream over https failed"
# Keep-alive: two files on one connection.
curl -sSf --cacert "$CA" "${URL}small.bin" "${URL}big.bin" -o "$SCRATCH/k1" -o "$SCRATCH/k2" ||
  fail "keep-alive pair failed"
same "$SCRATCH/k2" "$want" "second file on a kept-alive connection"
grep -q "\"GET /big.bin HTTP/1.1\" 200 $((48 << 20)) .*tls=$path" "$SCRATCH/server.log" ||
  fail "access log lacks tls=$path: $(tail -3 "$SCRATCH/server.log")"

if command -v wget >/dev/null; then
  wget -q --ca-certificate="$CA" -O "$SCRATCH/w1" "${URL}big.bin" || fail "wget failed"
  same "$SCRATCH/w1" "$want" "wget --ca-certificate"
else
  echo "SKIP (part): wget not installed" >&2
fi
if command -v aria2c >/dev/null; then
  aria2c -q -x4 -s4 -k1M --ca-certificate="$CA" -d "$SCRATCH" -o a1 "${URL}big.bin" || fail "aria2c -x4 failed"
  same "$SCRATCH/a1" "$want" "aria2c -x4"
else
  echo "SKIP (part): aria2c not installed" >&2
fi
out=$(printf 'GET /small.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
  timeout 10 openssl s_client -quiet -CAfile "$CA" -verify_return_error -connect "$ADDR" 2>/dev/null | head -c 200 || true)
grep -q "^HTTP/1.1 200 OK" <<<"$out" || fail "openssl s_client got: $(head -1 <<<"$out")"
for v in -tls1_2 -tls1_3; do
  out=$(printf 'HEAD /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    timeout 10 openssl s_client -quiet $v -CAfile "$CA" -connect "$ADDR" 2>/dev/null | head -1 || true)
  grep -q "^HTTP/1.1 200 OK" <<<"$out" || fail "openssl s_client $v: '$out'"
done
out=$(timeout 10 openssl s_client -tls1_1 -connect "$ADDR" </dev/null 2>&1 | head -50 || true)
grep -q "Cipher is (NONE)\|alert\|no protocols available\|unsupported protocol" <<<"$out" ||
  fail "TLS 1.1 was not refused: $(head -5 <<<"$out")"

# zcp get: single, -j 4, -c after an interrupt, -r of a tree.
expect_exit 0 "$ZCP" get -q --cacert "$CA" "${URL}big.bin" -o "$SCRATCH/z1"
same "$SCRATCH/z1" "$want" "zcp get"
expect_exit 0 "$ZCP" get -q -j 4 --cacert "$CA" "${URL}big.bin" -o "$SCRATCH/z2"
same "$SCRATCH/z2" "$want" "zcp get -j 4"
# Interrupted through a throttling TCP proxy (16 MiB/s), then resumed.
$PY "$ZCP_SOURCE_DIR/tests/support/throttle_proxy.py" "$ADDR" $((16 << 20)) "$SCRATCH/pport" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/pport" ] && break; sleep 0.05; done
"$ZCP" get -q -j 1 --cacert "$CA" "https://127.0.0.1:$(cat "$SCRATCH/pport")/big.bin" -o "$SCRATCH/z3" &
getpid=$!
for _ in $(seq 1000); do
  [ "$(stat -c %s "$SCRATCH/z3.part" 2>/dev/null || echo 0)" -ge $((8 << 20)) ] && break
  sleep 0.01
done
kill -9 "$getpid" 2>/dev/null; wait "$getpid" 2>/dev/null || true
[ -e "$SCRATCH/z3.part" ] && [ "$(stat -c %s "$SCRATCH/z3.part")" -lt $((48 << 20)) ] ||
  fail "the https get was not interrupted midway"
expect_exit 0 "$ZCP" get -q -c --cacert "$CA" "${URL}big.bin" -o "$SCRATCH/z3"
same "$SCRATCH/z3" "$want" "zcp get -c after an interrupt"
expect_exit 0 "$ZCP" get -q -r --cacert "$CA" "${URL}tree/" -o "$SCRATCH/z4"
diff -r "$SCRATCH/root/tree" "$SCRATCH/z4" >/dev/null || fail "zcp get -r tree differs"
# Again into the full DEST: the incremental path (manifest) over https.
echo changed >>"$SCRATCH/root/tree/a.txt" 2>/dev/null || echo changed >"$SCRATCH/root/tree/a.txt"
sleep 0.2  # past the file cache's 100 ms bound
expect_exit 0 "$ZCP" get -q -r --cacert "$CA" "${URL}tree/" -o "$SCRATCH/z4"
diff -r "$SCRATCH/root/tree" "$SCRATCH/z4" >/dev/null || fail "incremental zcp get -r over https differs"
# Tree uploads over https (tree_sync_https.sh has the rest): zcp put -r,
# and a tar from curl.
expect_exit 0 "$ZCP" put -r -q --cacert "$CA" "$SCRATCH/root/tree" "${URL}up/"
diff -r "$SCRATCH/root/tree" "$SCRATCH/root/up/tree" >/dev/null || fail "put -r over https differs"
tar c -C "$SCRATCH/root/tree" -f "$SCRATCH/tree.tar" .
code=$(curl -sS --cacert "$CA" -T - -o /dev/null -w '%{http_code}' "${URL}up/t2/?format=tar" \
  <"$SCRATCH/tree.tar" || true)
[ "$code" = 200 ] || fail "a tree PUT over https from curl got $code, want 200"
diff -r "$SCRATCH/root/tree" "$SCRATCH/root/up/t2" >/dev/null || fail "curl's tree PUT over https differs"
# put: zcp and curl -T.
expect_exit 0 "$ZCP" put -q --cacert "$CA" "$SCRATCH/root/big.bin" "${URL}up/p.bin"
same "$SCRATCH/root/up/p.bin" "$want" "zcp put"
code=$(curl -sS --cacert "$CA" -T "$SCRATCH/root/big.bin" -o /dev/null -w '%{http_code}' "${URL}up/c.bin")
[ "$code" = 201 ] || fail "curl -T got $code"
same "$SCRATCH/root/up/c.bin" "$want" "curl -T"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

# --- --tls-self-signed: trusted by its printed pin -----------------------------
start_server --tls-self-signed --log-format json "$SCRATCH/root"
pin=$(sed -n 's/.* pin \(sha256\/\/[A-Za-z0-9+\/=]*\).*/\1/p' "$SCRATCH/server.log" | head -1)
[ -n "$pin" ] || fail "no pin in the startup line: $(head -1 "$SCRATCH/server.log")"
curl -sSf -k --pinnedpubkey "$pin" "${URL}big.bin" -o "$SCRATCH/s1" || fail "curl --pinnedpubkey failed"
same "$SCRATCH/s1" "$want" "curl --pinnedpubkey"
wrong=$(pin_of "$CA")
code=0; curl -sS -k --pinnedpubkey "$wrong" "${URL}small.bin" -o /dev/null 2>/dev/null || code=$?
[ "$code" = 90 ] || fail "curl with a wrong pin exited $code, want 90"
expect_exit 0 "$ZCP" get -q --pin "$pin" "${URL}big.bin" -o "$SCRATCH/s2"
same "$SCRATCH/s2" "$want" "zcp get --pin"
expect_exit 60 "$ZCP" get -q "${URL}small.bin" -o "$SCRATCH/s3"
grep -q '"request":"GET /big.bin HTTP/1.1","status":200,.*"tls":"'$path'"' "$SCRATCH/server.log" ||
  fail "JSON access line lacks \"tls\":\"$path\": $(grep big.bin "$SCRATCH/server.log" | tail -1)"
finish_cases

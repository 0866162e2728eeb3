#!/usr/bin/env bash
# zcp put over https. nginx-light takes no PUT and zcp serve speaks no TLS
# yet (issue 13 phase 2), so the peer is a small Python HTTPS server
# (tests/support/https_put_server.py; Python's ssl module is OpenSSL but
# not zcp's code). Bytes arrive sha-256 identical; an untrusted
# certificate is 60, a pin mismatch 90, -k and a matching --pin accept;
# --json names the path (userspace without kernel TLS).
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/tls_certs.sh"
test_pki "$SCRATCH/pki"
mkdir -p "$SCRATCH/in"
head -c $((40 << 20)) /dev/urandom >"$SCRATCH/up.bin"
want=$(sha256sum <"$SCRATCH/up.bin")
start() {  # start NAME: a server with NAME's certificate; sets PORT
  rm -f "$SCRATCH/port"
  $PY "$ZCP_SOURCE_DIR/tests/support/https_put_server.py" "$SCRATCH/pki/$1.pem" \
    "$SCRATCH/pki/$1.key" "$SCRATCH/in" "$SCRATCH/port" 2>>"$SCRATCH/py.log" &
  local pid=$!
  on_exit "kill $pid"
  for _ in $(seq 100); do [ -s "$SCRATCH/port" ] && break; sleep 0.05; done
  PORT=$(cat "$SCRATCH/port") || fail "the https server did not start: $(cat "$SCRATCH/py.log")"
}
arrived() {
  [ "$(sha256sum <"$SCRATCH/in/$1")" = "$want" ] || fail "$1: bytes differ"
  rm -f "$SCRATCH/in/$1"
}
grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp && path=ktls || path=userspace
keep_going

start good
expect_exit 0 "$ZCP" put --json --cacert "$SCRATCH/pki/ca.pem" "$SCRATCH/up.bin" "https://127.0.0.1:$PORT/a.bin"
arrived a.bin
grep -q "\"path\":\"$path\"" "$SCRATCH/stdout" || fail "--json lacks path $path: $(cat "$SCRATCH/stdout")"
grep -q '"status":201' "$SCRATCH/stdout" || fail "--json lacks status 201: $(cat "$SCRATCH/stdout")"
expect_exit 0 "$ZCP" put -q --pin "$(pin_of "$SCRATCH/pki/good.pem")" "$SCRATCH/up.bin" "https://localhost:$PORT/"
arrived up.bin
expect_exit 60 "$ZCP" put -q "$SCRATCH/up.bin" "https://127.0.0.1:$PORT/b.bin"
expect_stderr "unknown issuer"
expect_exit 90 "$ZCP" put -q -k --pin "$(pin_of "$SCRATCH/pki/ca.pem")" "$SCRATCH/up.bin" "https://127.0.0.1:$PORT/b.bin"
expect_stderr "does not match --pin"
[ ! -e "$SCRATCH/in/b.bin" ] || fail "a refused put stored a file"

start expired
expect_exit 60 "$ZCP" put -q --cacert "$SCRATCH/pki/ca.pem" "$SCRATCH/up.bin" "https://127.0.0.1:$PORT/c.bin"
expect_stderr "certificate has expired"
expect_exit 0 "$ZCP" put -q -k "$SCRATCH/up.bin" "https://127.0.0.1:$PORT/c.bin"
arrived c.bin

# In a chain, an https host the client does not trust is one failed host
# (with the reason) that the chain closes over, as an unreachable one, and
# the first failure's code is curl's 60 (chains with https links:
# put_chain_https.sh).
expect_exit 60 "$ZCP" put --cacert "$SCRATCH/pki/ca.pem" "$SCRATCH/up.bin" "https://127.0.0.1:$PORT/d.bin" "http://127.0.0.1:1/d.bin"
expect_stderr "d.bin: FAILED: certificate not trusted: TLS certificate 127.0.0.1:$PORT: the server's certificate has expired"
[ ! -e "$SCRATCH/in/d.bin" ] || fail "an untrusted chain host stored a file"
finish_cases

#!/usr/bin/env bash
# zcp get refuses an https server it cannot trust, with curl's exit codes
# and words that say why: expired (60), wrong host name (60), unknown CA
# (60), self-signed (60), pin mismatch (90, even with -k), TLS to a plain
# HTTP port (35); -k and a matching --pin accept. Nothing is left under
# DEST, and nginx holds no connection of ours afterwards.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/nginx.sh"
source "$ZCP_SOURCE_DIR/tests/support/tls_certs.sh"
test_pki "$SCRATCH/pki"
mkdir -p "$SCRATCH/www" "$SCRATCH/dl"
head -c $((1 << 20)) /dev/urandom >"$SCRATCH/www/f.bin"
declare -A port
servers=""
for name in good expired wrongname selfsigned; do
  port[$name]=$(free_port)
  servers+="server { listen 127.0.0.1:${port[$name]} ssl; root $SCRATCH/www;
    ssl_certificate $SCRATCH/pki/$name.pem; ssl_certificate_key $SCRATCH/pki/$name.key; }
"
done
port[plain]=$(free_port)
servers+="server { listen 127.0.0.1:${port[plain]}; root $SCRATCH/www; }"
start_nginx "$servers"
for name in good expired wrongname selfsigned plain; do wait_port "${port[$name]}"; done
url() { echo "https://127.0.0.1:${port[$1]}/f.bin"; }
CA=(--cacert "$SCRATCH/pki/ca.pem")
want=$(sha256sum <"$SCRATCH/www/f.bin")
keep_going

got() {  # got NAME: DEST holds the file; nothing else is left
  [ "$(sha256sum <"$SCRATCH/dl/$1")" = "$want" ] || fail "$1: bytes differ"
  rm -f "$SCRATCH/dl/$1"
}
nothing_left() {
  [ -z "$(ls -A "$SCRATCH/dl")" ] || fail "$1 left $(ls -A "$SCRATCH/dl")"
}

expect_exit 0 "$ZCP" get -q "${CA[@]}" "$(url good)" "$SCRATCH/dl/good" && got good

expect_exit 60 "$ZCP" get -q "${CA[@]}" "$(url expired)" "$SCRATCH/dl/x"
expect_stderr "certificate has expired"
nothing_left expired
expect_exit 60 "$ZCP" get -q "${CA[@]}" "$(url wrongname)" "$SCRATCH/dl/x"
expect_stderr "not for host name '127.0.0.1'"
nothing_left wrongname
expect_exit 60 "$ZCP" get -q "$(url good)" "$SCRATCH/dl/x"  # the system store lacks our CA
expect_stderr "unknown issuer"
expect_stderr "--cacert"
nothing_left "unknown CA"
expect_exit 60 "$ZCP" get -q "${CA[@]}" "$(url selfsigned)" "$SCRATCH/dl/x"
expect_stderr "self-signed"
nothing_left selfsigned
expect_exit 90 "$ZCP" get -q --pin "$(pin_of "$SCRATCH/pki/ca.pem")" "$(url good)" "$SCRATCH/dl/x"
expect_stderr "does not match --pin"
expect_exit 90 "$ZCP" get -q -k --pin "$(pin_of "$SCRATCH/pki/ca.pem")" "$(url good)" "$SCRATCH/dl/x"
nothing_left "pin mismatch"
expect_exit 35 "$ZCP" get -q "https://127.0.0.1:${port[plain]}/f.bin" "$SCRATCH/dl/x"
expect_stderr "TLS handshake"
expect_stderr "plain HTTP"
nothing_left "TLS to a plain port"

# curl agrees on every one of those codes.
curl_code() { local c=0; curl -s -o /dev/null "$@" || c=$?; echo $c; }
[ "$(curl_code --cacert "$SCRATCH/pki/ca.pem" "$(url expired)")" = 60 ] || fail "curl: expired is not 60"
[ "$(curl_code -k --pinnedpubkey "$(pin_of "$SCRATCH/pki/ca.pem")" "$(url good)")" = 90 ] ||
  fail "curl: pin mismatch is not 90"
[ "$(curl_code "https://127.0.0.1:${port[plain]}/f.bin")" = 35 ] || fail "curl: plain port is not 35"

# -k accepts what cannot be verified; a matching pin is trust on its own.
for name in expired wrongname selfsigned; do
  expect_exit 0 "$ZCP" get -q -k "$(url $name)" "$SCRATCH/dl/$name" && got "$name"
done
expect_exit 0 "$ZCP" get -q -k "$(url good)" "$SCRATCH/dl/k" && got k
expect_exit 0 "$ZCP" get -q --pin "$(pin_of "$SCRATCH/pki/selfsigned.pem")" "$(url selfsigned)" \
  "$SCRATCH/dl/pinned" && got pinned
expect_exit 0 "$ZCP" get -q -j 4 --pin "$(pin_of "$SCRATCH/pki/good.pem")" "$(url good)" \
  "$SCRATCH/dl/pinned4" && got pinned4

# Bad flags fail before any connection.
expect_exit 2 "$ZCP" get -q --pin "sha256//nope" "$(url good)" "$SCRATCH/dl/x"
expect_stderr "bad pin"
expect_exit 77 "$ZCP" get -q --cacert "$SCRATCH/missing.pem" "$(url good)" "$SCRATCH/dl/x"
expect_stderr "missing.pem"
nothing_left "bad flags"

# Every connection of ours is gone from nginx's worker (a client that
# kept its socket open would show here as an established connection).
sleep 0.2
worker=$(pgrep -P "$NGX" | head -1)
held=$(ls -l /proc/"$worker"/fd 2>/dev/null | grep -c socket || true)
# Five listeners plus nginx's own channel sockets (2), nothing more.
[ "$held" -le 8 ] || fail "nginx's worker holds $held sockets: $(ls -l /proc/"$worker"/fd)"
finish_cases

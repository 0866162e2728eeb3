#!/usr/bin/env bash
# A relay hop over HTTPS: a PUT reaches `zcp serve --tls-* --upload
# --relay` by TLS and names a plain-HTTP host after it (Zcp-Forward); the
# relay decrypts (stream_pump: user space, no splice), stores its copy and
# forwards the stream; both copies are sha-256 identical, the report lists
# both hosts, the token is checked at each hop. The client is curl -T, a
# client that knows nothing of chains (zcp put's own https chains, and
# relays opening TLS onwards: put_chain_https.sh).
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/tls_certs.sh"
command -v curl >/dev/null || skip "curl not installed"
test_pki "$SCRATCH/pki"
CA=$SCRATCH/pki/ca.pem
mkdir -p "$SCRATCH/h1" "$SCRATCH/h2"
head -c $((40 << 20)) /dev/urandom >"$SCRATCH/up.bin"
want=$(sha256sum <"$SCRATCH/up.bin" | cut -d' ' -f1)
keep_going

: >"$SCRATCH/h2.log"
"$ZCP" serve --listen 127.0.0.1:0 --upload --token s3cret "$SCRATCH/h2" 2>>"$SCRATCH/h2.log" &
h2=$!
on_exit "kill -9 $h2"
for _ in $(seq 200); do grep -q "serving" "$SCRATCH/h2.log" && break; sleep 0.05; done
H2=$(sed -n 's/^zcp serve: serving .* at \(http:[^ ]*\) (engine.*/\1/p' "$SCRATCH/h2.log" | head -1)
[ -n "$H2" ] || fail "h2 did not start: $(cat "$SCRATCH/h2.log")"
start_server --tls-cert "$SCRATCH/pki/good.pem" --tls-key "$SCRATCH/pki/good.key" --upload --relay \
  --token s3cret "$SCRATCH/h1"

out=$(curl -sS --cacert "$CA" -T "$SCRATCH/up.bin" -H "Authorization: Bearer s3cret" \
  -H "Zcp-Forward: ${H2}m.bin" -w ' %{http_code}' "${URL}m.bin") || fail "curl -T to the https relay failed"
[ "${out##* }" = 201 ] || fail "relay answered ${out##* }: $out"
[ "$(grep -o '"ok":true' <<<"$out" | wc -l)" = 2 ] || fail "report does not say both stored: $out"
for h in h1 h2; do
  [ "$(sha256sum <"$SCRATCH/$h/m.bin" | cut -d' ' -f1)" = "$want" ] || fail "$h: copy differs"
done
grep -q '"PUT /m.bin HTTP/1.1" 201 .*tls=userspace.*2 of 2 hosts stored' "$SCRATCH/server.log" ||
  fail "relay's access line: $(grep PUT "$SCRATCH/server.log")"

# The token is checked at the first hop too.
code=$(curl -sS --cacert "$CA" -T "$SCRATCH/up.bin" -H "Zcp-Forward: ${H2}n.bin" -o /dev/null \
  -w '%{http_code}' "${URL}n.bin")
[ "$code" = 401 ] || fail "no token: got $code, want 401"
[ ! -e "$SCRATCH/h2/n.bin" ] || fail "a refused relay still forwarded"
# An https hop after a relay is taken (no longer refused); one that is
# not there is reported unreachable, and the relay keeps its own copy.
out=$(curl -sS --cacert "$CA" -T "$SCRATCH/up.bin" -H "Authorization: Bearer s3cret" \
  -H "Zcp-Forward: https://127.0.0.1:1/x.bin" -w ' %{http_code}' "${URL}x.bin")
[ "${out##* }" = 201 ] && grep -q '"error":"unreachable: ' <<<"$out" || fail "https hop: $out"
[ "$(sha256sum <"$SCRATCH/h1/x.bin" | cut -d' ' -f1)" = "$want" ] || fail "relay's own copy beside an unreachable https hop"
finish_cases

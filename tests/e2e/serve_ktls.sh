#!/usr/bin/env bash
# With kernel TLS, zcp serve's HTTPS bodies go out with SSL_sendfile: the
# kernel's own counters (/proc/net/tls_stat TlsTxSw/TlsTxDevice) move, the
# access log says tls=ktls, and the bytes are identical. Needs the kernel's
# tls ULP (CONFIG_TLS); skips naming it when absent.
source "$(dirname "$0")/../support/e2e.sh"
grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null ||
  skip "kernel lacks CONFIG_TLS (no 'tls' in /proc/sys/net/ipv4/tcp_available_ulp): kTLS send untestable"
[ -r /proc/net/tls_stat ] || skip "no /proc/net/tls_stat (kernel TLS statistics)"
mkdir -p "$SCRATCH/root"
head -c $((32 << 20)) /dev/urandom >"$SCRATCH/root/big.bin"
start_server --tls-self-signed "$SCRATCH/root"
tx() { awk '$1 == "TlsTxSw" || $1 == "TlsTxDevice" { n += $2 } END { print n + 0 }' /proc/net/tls_stat; }
before=$(tx)
curl -sSf -k "${URL}big.bin" -o "$SCRATCH/got" || fail "download failed"
cmp -s "$SCRATCH/got" "$SCRATCH/root/big.bin" || fail "bytes differ"
[ "$(tx)" -gt "$before" ] || fail "/proc/net/tls_stat shows no kTLS send session"
grep -q '"GET /big.bin HTTP/1.1" 200 .*tls=ktls' "$SCRATCH/server.log" ||
  fail "access log lacks tls=ktls: $(tail -2 "$SCRATCH/server.log")"
echo ok

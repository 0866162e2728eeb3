#!/usr/bin/env bash
# Hostile clients on a TLS port: a plain HTTP request gets nginx's 400 text
# and a close; garbage instead of a ClientHello is closed at once; a client
# that stops mid-handshake (half a ClientHello, or a whole one and then
# silence) is closed at --header-timeout; 200 idle
# handshakes (silent, or half a ClientHello) do not stop a download from
# finishing byte-identical; afterwards no descriptor is left open.
source "$(dirname "$0")/../support/e2e.sh"
command -v curl >/dev/null || skip "curl not installed"
mkdir -p "$SCRATCH/root"
head -c $((48 << 20)) /dev/urandom >"$SCRATCH/root/big.bin"
want=$(sha256sum <"$SCRATCH/root/big.bin" | cut -d' ' -f1)
start_server --tls-self-signed --header-timeout 3 --workers 2 "$SCRATCH/root"
fds() { ls /proc/"$SERVER_PID"/fd | wc -l; }
base=$(fds)
keep_going

# Plain HTTP to the TLS port: the 400 and its text, then a close (raw_http
# returns only when the server closes; it gives up after 10 s).
t0=$(date +%s%N)
out=$(raw_http "$ADDR" 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q "^HTTP/1.1 400 Bad Request" <<<"$out" || fail "plain HTTP got: $(head -1 <<<"$out")"
grep -q "The plain HTTP request was sent to HTTPS port" <<<"$out" || fail "400 lacks its text: $out"
[ "$ms" -lt 2000 ] || fail "plain HTTP request not closed promptly (${ms} ms)"
grep -q '" 400 .*plain HTTP request on the HTTPS port' "$SCRATCH/server.log" ||
  fail "no access line for the plain request: $(tail -2 "$SCRATCH/server.log")"

# hostile KIND: KIND garbage|half|silent; prints "BYTES_RECEIVED SECONDS_UNTIL_CLOSED".
hostile() {
  $PY - "$ADDR" "$1" <<'PYEOF'
import os, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
if sys.argv[2] == "garbage":
    s.sendall(b"\x00\xff" + os.urandom(200))
elif sys.argv[2] == "half":  # a record announcing 512 bytes, 100 of them sent
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(89))
elif sys.argv[2] == "hello":  # a whole ClientHello, then silence after the server's flight
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    s.sendall(out.read())
    s.settimeout(10)
    first = s.recv(5)  # the server's answer begins: a handshake record
    if first[:1] != b"\x16":
        print(-1, 0)
        sys.exit(0)
t0 = time.monotonic()
s.settimeout(10)
got = 0
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += len(b)
except OSError:
    pass
print(got, round(time.monotonic() - t0, 1))
PYEOF
}
read -r got secs <<<"$(hostile garbage)"
[ "$got" = 0 ] && [ "${secs%.*}" -lt 2 ] || fail "garbage: got $got bytes, closed after ${secs}s (want 0, at once)"
read -r got secs <<<"$(hostile half)"
[ "$got" = 0 ] && [ "${secs%.*}" -ge 2 ] && [ "${secs%.*}" -lt 6 ] ||
  fail "half a ClientHello: got $got bytes, closed after ${secs}s (want 0, at the 3 s header timeout)"
read -r got secs <<<"$(hostile hello)"
[ "$got" -ge 0 ] && [ "${secs%.*}" -ge 2 ] && [ "${secs%.*}" -lt 6 ] ||
  fail "a ClientHello, then silence: answer $got, closed after ${secs}s (want the 3 s header timeout)"
read -r got secs <<<"$(hostile silent)"
[ "${secs%.*}" -ge 2 ] && [ "${secs%.*}" -lt 6 ] || fail "silent client closed after ${secs}s, want ~3"

# 200 idle handshakes held open while a download runs.
$PY - "$ADDR" >"$SCRATCH/idle.out" <<'PYEOF' &
import os, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
socks = []
for i in range(200):
    s = socket.create_connection((host, int(port)))
    if i % 2:
        s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(89))
    socks.append(s)
print("open", flush=True)
time.sleep(6)  # past the 3 s header timeout
closed = 0
for s in socks:
    s.settimeout(0.5)
    try:
        if s.recv(100) == b"":
            closed += 1
    except OSError:
        closed += 1
print("closed", closed, flush=True)
PYEOF
idle=$!
for _ in $(seq 100); do grep -q open "$SCRATCH/idle.out" && break; sleep 0.05; done
during=$(fds)
[ "$during" -ge $((base + 150)) ] || fail "the idle handshakes were not held open ($during fds, base $base)"
got=$(curl -sSf -k --max-time 20 "${URL}big.bin" | sha256sum | cut -d' ' -f1) || true
[ "$got" = "$want" ] || fail "download beside 200 idle handshakes failed or differs"
wait "$idle"
grep -q "closed 200" "$SCRATCH/idle.out" || fail "idle handshakes not all closed: $(cat "$SCRATCH/idle.out")"

# No descriptor leaked.
for _ in $(seq 50); do [ "$(fds)" -le "$base" ] && break; sleep 0.1; done
[ "$(fds)" -le "$base" ] || fail "descriptors leaked: $(fds) open, $base before"
finish_cases

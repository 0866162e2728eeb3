#!/usr/bin/env bash
# A tree PUT whose client stops sending midway, over http and over https:
# after --send-timeout the server answers 408 (the client's doing, not a
# 500), logs it, keeps the file that was complete, leaves no partial file
# under any name, and holds no more descriptors than before. A single-file
# PUT that stalls gets the same 408 (it got no answer, logged as 200).
source "$(dirname "$0")/../support/e2e.sh"

# A tar of two members: a.txt (complete in what is sent) and b.bin, of
# which only the header and 1 KiB are sent before the client goes silent.
$PY - "$SCRATCH" <<'PYEOF'
import io, sys, tarfile
out = io.BytesIO()
with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as t:
    for name, data in (("a.txt", b"complete\n"), ("b.bin", b"x" * 65536)):
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
        t.addfile(info, io.BytesIO(data))
whole = out.getvalue()
open(sys.argv[1] + "/whole.tar", "wb").write(whole)
open(sys.argv[1] + "/part.tar", "wb").write(whole[:512 + 512 + 512 + 1024])
PYEOF

# stall.py SCHEME ADDR DIR KIND: sends a PUT head and part of its body, then
# waits silently for the answer's status line. KIND "tree": a tar PUT with
# part.tar; "one": a single file, 5000 of 100000 bytes.
cat >"$SCRATCH/stall.py" <<'PYEOF'
import socket, ssl, sys
scheme, addr, scratch, kind = sys.argv[1:]
host, port = addr.rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=10)
if scheme == "https":
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    s = ctx.wrap_socket(s)
if kind == "tree":
    whole = open(scratch + "/whole.tar", "rb").read()
    part = open(scratch + "/part.tar", "rb").read()
    s.sendall(b"PUT /t/?format=tar HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(whole))
    s.sendall(part)
else:
    s.sendall(b"PUT /one.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"a" * 5000)
data = b""
try:
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError as e:
    print("error", e)
print(data.split(b"\r\n")[0].decode(errors="replace"))
PYEOF

for scheme in http https; do
  rm -rf "$SCRATCH/root" && mkdir "$SCRATCH/root"
  tls=()
  [ "$scheme" = https ] && tls=(--tls-self-signed)
  start_server --upload --send-timeout 1 "${tls[@]}" "$SCRATCH/root"
  fds() { ls /proc/"$SERVER_PID"/fd | wc -l; }
  base=$(fds)
  answer=$(timeout 15 $PY "$SCRATCH/stall.py" "$scheme" "$ADDR" "$SCRATCH" tree) ||
    fail "$scheme: the stalled client got no answer"
  case "$answer" in
    "HTTP/1.1 408 "*) ;;
    *) fail "$scheme: a stalled tree PUT answered '$answer', not 408" ;;
  esac
  grep -q '"PUT /t/?format=tar HTTP/1.1" 408 ' "$SCRATCH/server.log" ||
    fail "$scheme: no 408 in the access log: $(grep PUT "$SCRATCH/server.log")"
  [ "$(cat "$SCRATCH/root/t/a.txt")" = complete ] || fail "$scheme: the complete member was not kept"
  [ ! -e "$SCRATCH/root/t/b.bin" ] || fail "$scheme: a partial b.bin under its final name"
  left=$(find "$SCRATCH/root" -name '*.part*' -o -name '.zcp*' | head -3)
  [ -z "$left" ] || fail "$scheme: temporary files left: $left"
  for _ in $(seq 50); do [ "$(fds)" -le "$base" ] && break; sleep 0.1; done
  [ "$(fds)" -le "$base" ] || fail "$scheme: server holds $(fds) descriptors, $base before"
  # The single-file PUT: 5000 of 100000 bytes, then silence.
  answer=$(timeout 15 $PY "$SCRATCH/stall.py" "$scheme" "$ADDR" "$SCRATCH" one) || fail "$scheme: a stalled PUT got no answer"
  case "$answer" in
    "HTTP/1.1 408 "*) ;;
    *) fail "$scheme: a stalled PUT answered '$answer', not 408" ;;
  esac
  for _ in $(seq 50); do grep -q '"PUT /one.bin HTTP/1.1" 408 5000 ' "$SCRATCH/server.log" && break; sleep 0.1; done
  grep -q '"PUT /one.bin HTTP/1.1" 408 5000 ' "$SCRATCH/server.log" ||
    fail "$scheme: the stalled PUT's access line: $(grep one.bin "$SCRATCH/server.log")"
  [ -z "$(ls -A "$SCRATCH/root" | grep -v '^t$')" ] || fail "$scheme: the stalled PUT left $(ls -A "$SCRATCH/root")"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
done
echo ok

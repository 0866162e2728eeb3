#!/usr/bin/env bash
# A corpus of hostile requests (tests/e2e/hostile/STATUS-name.req, sent
# byte for byte): each gets STATUS and exactly one response; errors of the
# request head and ambiguous framing also get "Connection: close" and a
# closed socket, so a request smuggled behind them is never answered.
# Nothing outside the root is read or written, CR/LF in a file name stays
# escaped in listings, and the server outlives it all.
source "$(dirname "$0")/../support/e2e.sh"
CORPUS=$ZCP_SOURCE_DIR/tests/e2e/hostile
TOKEN=hostile-token-5f3a  # the token the PUT cases carry
BOX=$SCRATCH/box          # everything here but root/ must stay as it is
SECRET="secret-$RANDOM$RANDOM-never-served"
mkdir -p "$BOX/root/sub"
echo "inside, served" >"$BOX/root/inside.txt"
echo "$SECRET" >"$BOX/secret.txt"
ln -s .. "$BOX/root/escape"
ln -s ../secret.txt "$BOX/root/secret-link"
crlf_name=$'evil\r\nSet-Cookie: pwned=1\r\n<img src=x onerror=alert(1)>.txt'
echo crlf >"$BOX/root/$crlf_name"
snapshot() { (cd "$BOX" && find . -path ./root -prune -o -printf '%p %y %s %l\n' | sort &&
  sha256sum secret.txt); }
snapshot >"$SCRATCH/before"
# Where the PUT cases aim: beside the root, above the scratch dir, /tmp.
evil_written() { find "$SCRATCH" /tmp/zcp-hostile-evil.txt -name 'zcp-hostile-evil*' 2>/dev/null | grep -q .; }
[ ! -e /tmp/zcp-hostile-evil.txt ] || skip "/tmp/zcp-hostile-evil.txt exists already"
start_server "$BOX/root" --upload --token "$TOKEN"

# send.py ADDR OUT CASE...: sends each case file as is on its own
# connection (no half-close: the server must close on its own), reads
# until EOF or 5 s, keeps the bytes in OUT/NAME.raw and prints
# "NAME STATUS RESPONSES CLOSED CONNECTION-CLOSE-HEADER".
cat >"$SCRATCH/send.py" <<'PYEOF'
import os, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
out_dir = sys.argv[2]

def exchange(data):
    s = socket.create_connection((host, int(port)), timeout=5)
    got, closed = b"", False
    try:
        s.sendall(data)
    except OSError:
        pass  # the server answered early and closed; its answer is still readable
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            got += chunk
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        pass
    s.close()
    return got, closed

def chunked_length(buf, pos):
    """Bytes of a chunked body starting at pos, or None if incomplete."""
    start = pos
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(buf[pos:eol].split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            end = buf.find(b"\r\n\r\n", pos - 2)
            return None if end < 0 else end + 4 - start
        pos += size + 2

def responses(buf, head_request):
    """(status, head) of each response in buf, in order."""
    found, pos = [], 0
    while pos < len(buf):
        end = buf.find(b"\r\n\r\n", pos)
        if end < 0:
            found.append((buf[pos:pos + 12].decode("latin-1"), ""))
            break
        head = buf[pos:end].decode("latin-1")
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        status = parts[1] if len(parts) > 1 and lines[0].startswith("HTTP/1.") else "junk"
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        found.append((status, head))
        pos = end + 4
        if "chunked" in fields.get("transfer-encoding", "").lower():
            n = chunked_length(buf, pos)
            if n is None:
                break
            pos += n
        elif "content-length" in fields:
            pos += 0 if head_request else int(fields["content-length"])
        elif status not in ("304", "204"):
            break  # until close: the rest is this body
    return found

for path in sys.argv[3:]:
    name = os.path.basename(path)[:-len(".req")]
    with open(path, "rb") as f:
        data = f.read()
    got, closed = exchange(data)
    with open(os.path.join(out_dir, name + ".raw"), "wb") as f:
        f.write(got)
    rs = responses(got, data.startswith(b"HEAD "))
    status = rs[0][0] if rs else "none"
    close_header = bool(rs) and any(
        line.lower().replace(" ", "") == "connection:close" for line in rs[0][1].split("\r\n"))
    print(name, status, len(rs), int(closed), int(close_header))
PYEOF

mkdir "$SCRATCH/out"
cases=("$CORPUS"/*.req)
[ "${#cases[@]}" -ge 50 ] || fail "corpus has only ${#cases[@]} cases"
$PY "$SCRATCH/send.py" "$ADDR" "$SCRATCH/out" "${cases[@]}" >"$SCRATCH/results" ||
  fail "sender failed"
[ "$(wc -l <"$SCRATCH/results")" -eq "${#cases[@]}" ] || fail "not every case was sent"

failures=0
bad() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
while read -r name status count closed close_header; do
  want=${name%%-*}
  [ "$status" = "$want" ] || bad "$name: status $status, want $want"
  [ "$count" = 1 ] || bad "$name: $count responses, want 1 (a smuggled request was answered?)"
  grep -qaF "$SECRET" "$SCRATCH/out/$name.raw" && bad "$name: the secret outside the root leaked"
  grep -qa '^root:' "$SCRATCH/out/$name.raw" && bad "$name: /etc/passwd leaked"
  # Refusals of the head or its framing: the bytes after it cannot be
  # trusted, so the server must say so and close.
  case $want-$name in
  400-* | 401-* | 411-* | 413-* | 414-* | 431-* | 501-* | 505-* | *-smuggle-*)
    [ "$close_header" = 1 ] || bad "$name: $status without Connection: close"
    [ "$closed" = 1 ] || bad "$name: $status but the socket stayed open"
    ;;
  esac
done <"$SCRATCH/results"
[ "$failures" -eq 0 ] || fail "$failures check(s) failed; results: $(tr '\n' ';' <"$SCRATCH/results")"

# Listings: the CR/LF name is one escaped entry, never a header or markup.
$PY - "$SCRATCH/out/200-listing-json.raw" "$crlf_name" <<'PYEOF' || fail "JSON listing: CR/LF name not escaped"
import json, sys
head, _, body = open(sys.argv[1], "rb").read().partition(b"\r\n\r\n")
assert b"pwned" not in head, head
names = [e["name"] for e in json.loads(body)]
assert sys.argv[2] in names, names
PYEOF

raw=$SCRATCH/out/200-listing-html.raw
grep -qa 'pwned' "$raw" || fail "HTML listing lacks the CR/LF name"
grep -qa $'^Set-Cookie' "$raw" && fail "CR/LF name split into a line of its own (HTML listing)"
grep -qaF '<img' "$raw" && fail "markup in a file name was not escaped (HTML listing)"
grep -qaF 'evil%0D%0ASet-Cookie' "$raw" || fail "HTML link to the CR/LF name not percent-encoded"

# Nothing outside the root was written; inside it only the authorized PUT.
snapshot >"$SCRATCH/after"
diff "$SCRATCH/before" "$SCRATCH/after" || fail "files beside the root changed"
evil_written && fail "a PUT wrote outside the root"
[ "$(cat "$BOX/root/uploaded.txt")" = "uploaded by the hostile test" ] || fail "authorized PUT lost"
[ ! -e "$BOX/root/new.txt" ] || fail "an unauthorized PUT created new.txt"
[ "$(cat "$BOX/root/inside.txt")" = "inside, served" ] || fail "an unauthorized PUT changed inside.txt"
find "$BOX/root" -name '.zcp-upload-*' | grep -q . && fail "upload temp file left behind"

kill -0 "$SERVER_PID" 2>/dev/null || fail "server died: $(tail -5 "$SCRATCH/server.log")"
[ "$(curl -s --max-time 10 "${URL}inside.txt")" = "inside, served" ] || fail "server unwell after the corpus"
echo ok

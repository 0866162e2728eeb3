#!/usr/bin/env bash
# The access log: combined log format with a timestamp, referer and user
# agent; whatever a client sends (target, User-Agent, Referer) reaches it
# only escaped: ESC sequences, raw C1 bytes (0x9b) and UTF-8 encoded C1
# (\xc2\x9b) arrive as \xNN text. A PUT logs the bytes it received.
# --log-format json writes one valid JSON object a line.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root"
echo "hello" >"$SCRATCH/root/a.txt"
start_server "$SCRATCH/root" --upload
keep_going
LOG=$SCRATCH/server.log
H='Host: x\r\nConnection: close\r\n'
probe "$ADDR" "GET /a.txt HTTP/1.1\r\n${H}User-Agent: curl/7.88\r\nReferer: http://ref.example/p\r\n\r\n" >/dev/null
# C0 controls in a field value are refused by the parser (400), before any log field is taken.
esc=$(probe "$ADDR" "GET /a.txt HTTP/1.1\r\n${H}User-Agent: evil\x1b]0;pwned\x07\x1b[2J\r\n\r\n")
probe "$ADDR" "GET /a.txt HTTP/1.1\r\n${H}User-Agent: c1\x9b31m raw\r\nReferer: r\xc2\x9b31m utf8\r\n\r\n" >/dev/null
probe "$ADDR" "GET /t\x9b31m\xc2\x9bx HTTP/1.1\r\n${H}\r\n" >/dev/null
probe "$ADDR" "GET /q\"uote HTTP/1.1\r\n${H}User-Agent: a\" 200 1 \"b\r\n\r\n" >/dev/null
head -c 70000 /dev/urandom >"$SCRATCH/up.bin"
curl -s -o /dev/null -T "$SCRATCH/up.bin" "${URL}up.bin"
sleep 0.3

line=$(grep -a '"GET /a.txt HTTP/1.1" 200 6 "http://ref.example/p" "curl/7.88"' "$LOG" | head -1 || true)
[ -n "$line" ] || fail "no combined-format line for the first GET: $(cat "$LOG")"
re='^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} \+0000\] "GET /a\.txt HTTP/1\.1" 200 6 '
[[ $line =~ $re ]] || fail "not the combined log format with a timestamp: $line"
grep -aq $'\x1b' "$LOG" && fail "a raw ESC reached the log"
grep -aq $'\x9b' "$LOG" && fail "a raw C1 byte (0x9b, alone or UTF-8 encoded) reached the log"
grep -aq $'\x07' "$LOG" && fail "a raw BEL reached the log"
[ "${esc%% *}" = 400 ] || fail "ESC sequence in User-Agent: want 400, got '$esc'"
grep -aqF '"c1\x9b31m raw"' "$LOG" || fail "raw C1 in User-Agent not escaped: $(grep -a c1 "$LOG")"
grep -aqF '"r\xc2\x9b31m utf8"' "$LOG" || fail "UTF-8 C1 in Referer not escaped: $(grep -a utf8 "$LOG")"
grep -aqF '"GET /t\x9b31m\xc2\x9bx HTTP/1.1"' "$LOG" || fail "C1 in the target not escaped: $(grep -a '/t' "$LOG")"
# A '"' cannot end a field early: the line still has exactly 6 quote marks.
quote_line=$(grep -a 'uote' "$LOG" | head -1 || true)
[ "$(tr -cd '"' <<<"$quote_line" | wc -c)" = 6 ] || fail "a quote split a field: $quote_line"
grep -aq '"PUT /up.bin HTTP/1.1" 201 70000 ' "$LOG" || fail "PUT line does not log the 70000 bytes received: $(grep -a PUT "$LOG")"

# JSON lines.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
stop_going
start_server "$SCRATCH/root" --log-format json
keep_going
probe "$ADDR" "GET /a.txt HTTP/1.1\r\n${H}User-Agent: j\x9b[1m\xc2\x9b\\\\x\r\n\r\n" >/dev/null
sleep 0.3
grep -a '"request"' "$LOG" | $PY -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
assert len(lines) == 1, lines
r = lines[0]
assert r["request"] == "GET /a.txt HTTP/1.1" and r["status"] == 200 and r["bytes"] == 6, r
assert r["user_agent"] == "j\\x9b[1m\\xc2\\x9b\\x5cx", r["user_agent"]
assert r["time"].endswith("Z") and r["peer"].startswith("127.0.0.1:"), r
' || fail "json log: $(cat "$LOG")"
finish_cases

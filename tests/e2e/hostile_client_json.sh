#!/usr/bin/env bash
# --json after a transfer that worked, with names that are not UTF-8 (a
# Linux file name may hold any bytes) and a relay report holding C1 and
# ESC: the process must not abort, and stdout must be one line of valid,
# pure-ASCII JSON (json_line's rule: non-ASCII as \uXXXX, bytes that are
# not UTF-8 as U+FFFD).
source "$(dirname "$0")/../support/hostile_client.sh"
BADNAME=$'caf\xe9-\xff\xfe.bin'  # latin-1 and stray bytes
echo hello >"$SCRATCH/$BADNAME"
echo hello >"$SCRATCH/plain.txt"

# json_ok KEY WANT: stdout is one ASCII line of JSON whose KEY (a python
# expression on `j`) equals WANT (a python literal).
json_ok() {
  $PY - "$OUT" "$1" "$2" <<'PYEOF' || bad "stdout is not the JSON wanted: $(head -c 600 "$OUT" | cat -v)"
import json, sys
data = open(sys.argv[1], "rb").read()
lines = data.splitlines()
if len(lines) != 1:
    sys.exit(f"{len(lines)} lines")
if any(b >= 0x80 or (b < 0x20) for b in lines[0]):
    sys.exit("not pure ASCII")
j = json.loads(lines[0])
got = eval(sys.argv[2], {"j": j})
want = eval(sys.argv[3])
if got != want:
    sys.exit(f"{sys.argv[2]} = {got!r}, want {want!r}")
PYEOF
}

run_zcp get-bad-dest 20 get --json "$BASE/file" "$SCRATCH/c/$BADNAME"
want_rc 0
json_ok 'j["dest"].endswith("caf\ufffd-\ufffd\ufffd.bin")' True
json_ok 'j["bytes"]' 6
[ "$(cat "$SCRATCH/c/$BADNAME")" = hello ] || bad "file not written under its name"

# The name comes from the URL: %ff decodes to a byte that is not UTF-8.
run_zcp get-url-name 20 get --json "$BASE/file%ff%c3%a9"
want_rc 0
json_ok 'j["dest"]' '"file\ufffd\u00e9"'
[ -f "$DIR/file"$'\xff\xc3\xa9' ] || bad "file not written under the decoded name"

run_zcp get-tree-bad-dest 20 get -r --json "$BASE/small/" "$SCRATCH/c/tree-$BADNAME"
want_rc 0
json_ok 'j["dest"].endswith("tree-caf\ufffd-\ufffd\ufffd.bin")' True
[ "$(cat "$SCRATCH/c/tree-$BADNAME/a.txt")" = a ] || bad "tree not extracted"

run_zcp put-bad-name 20 put --json "$SCRATCH/$BADNAME" "$BASE/store"
want_rc 0
json_ok 'j["file"].endswith("caf\ufffd-\ufffd\ufffd.bin") and j["status"]' 201

# A chain: the report's error holds U+009B and ESC, the file name bad bytes.
run_zcp put-chain-report 20 put --json "$SCRATCH/$BADNAME" "$BASE/report-c1" "$BASE/store"
want_rc 7
json_ok '[h["error"] for h in j["hosts"]]' '["", "lost: \u009b31m"]'
json_ok 'j["file"].endswith("\ufffd.bin")' True
# ESC in the report, U+202E in the (valid UTF-8) file name.
RLO=$'\xe2\x80\xae'
echo hello >"$SCRATCH/${RLO}fdp.exe"
run_zcp put-chain-osc 20 put --json "$SCRATCH/${RLO}fdp.exe" "$BASE/report-osc" "$BASE/store"
want_rc 7
json_ok 'j["hosts"][1]["error"]' '"lost: \x1b]0;owned\x07"'
json_ok 'j["file"].endswith("\u202efdp.exe")' True
run_zcp put-chain-bidi 20 put --json "$SCRATCH/plain.txt" "$BASE/report-bidi" "$BASE/store"
want_rc 7
json_ok 'j["hosts"][1]["error"]' '"lost: \u202etxt.exe"'
finish

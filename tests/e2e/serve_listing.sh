#!/usr/bin/env bash
# Directory listings: HTML for browsers, JSON for ?format=json or
# Accept: application/json; names that could break markup are escaped.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/dir"
echo x >"$SCRATCH/root/dir/f.txt"
echo y >"$SCRATCH/root/<b>&\"q\".txt"
name=$'line\nbreak.txt'
echo z >"$SCRATCH/root/$name"
start_server "$SCRATCH/root"

curl -sf "$URL" >"$SCRATCH/index.html" || fail "HTML listing failed"
grep -q 'href="dir/"' "$SCRATCH/index.html" || fail "no link to dir/"
grep -q '<b>&' "$SCRATCH/index.html" && fail "name not escaped in HTML"
curl -sf "${URL}?format=json" >"$SCRATCH/l.json" || fail "JSON listing failed"
$PY - "$SCRATCH/l.json" <<'PYEOF' || fail "bad JSON listing: $(cat "$SCRATCH/l.json")"
import json, sys
entries = {e["name"]: e for e in json.load(open(sys.argv[1]))}
assert entries["dir"]["type"] == "directory", entries
assert entries['<b>&"q".txt']["size"] == 2
assert entries["line\nbreak.txt"]["type"] == "file"
assert all(isinstance(e["mtime"], int) for e in entries.values())
PYEOF
curl -sf -H 'Accept: application/json' "${URL}dir/" | $PY -c 'import json,sys; assert json.load(sys.stdin)[0]["name"] == "f.txt"' ||
  fail "Accept: application/json ignored"
echo ok

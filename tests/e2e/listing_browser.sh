#!/usr/bin/env bash
# The listing page in a real browser, Debian's headless Chromium: the DOM it
# builds (--dump-dom) has a row per entry, directories first, exact sizes in
# title attributes, UTC dates, a breadcrumb and the tar/JSON links, even for
# awkward names; ?sort= orders it on the server; clicking the headers sorts
# it in place (DevTools protocol); with --upload --token the page's own form
# PUTs a file that lands on disk byte for byte, and a wrong token is refused.
source "$(dirname "$0")/../support/e2e.sh"
command -v chromium >/dev/null 2>&1 ||
  skip "chromium is not installed (./scripts/install-deps.sh installs Debian's chromium)"

root=$SCRATCH/root
$PY - "$root" <<'PYEOF'
import os, sys
root = sys.argv[1].encode()
def put(rel, data, mtime):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (mtime, mtime))
put(b"alpha.txt", b"a" * 10, 1764583200)                 # 2025-12-01 10:00 UTC
put(b'<b>&"q" \'s\'.txt', b"markup" * 100, 1764583260)
put(b"line\nbreak.txt", b"z", 1764583320)
put(b"bad\xff name.bin", bytes(range(256)) * 8, 1764583380)
put(b"Beta 100%.dat", b"b" * 5000, 1764583440)
put(b"#hash?q=1;x.txt", b"h" * 3, 1764583500)
put(b"sub dir/inner/deep.txt", b"deep", 1764583560)
put(b"sub dir/one.txt", b"one", 1764583620)
os.makedirs(os.path.join(root, b"Zeta <dir>"))
os.utime(os.path.join(root, b"Zeta <dir>"), (1764583000, 1764583000))
os.utime(os.path.join(root, b"sub dir"), (1764583700, 1764583700))
PYEOF
start_server "$root"

export ZCP_SOURCE_DIR
$PY - "$URL" "$root" "$SCRATCH" <<'PYEOF' || fail "listing in Chromium (server log: $(tail -5 "$SCRATCH/server.log"))"
import io, json, os, subprocess, sys, tarfile, tempfile, time, urllib.parse, urllib.request
from html.parser import HTMLParser
sys.path.insert(0, os.path.join(os.environ["ZCP_SOURCE_DIR"], "tests/support"))
from cdp import CHROMIUM_FLAGS, Browser

url, root, scratch = sys.argv[1], sys.argv[2].encode(), sys.argv[3]

def dump_dom(page_url):
    profile = tempfile.mkdtemp(dir=scratch)
    out = subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                          "--dump-dom", page_url], capture_output=True, timeout=90)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.decode()

class Page(HTMLParser):
    """Rows as (name, href, class, size title, datetime), the h1's links, all links."""
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.rows, self.h1, self.links, self.buttons, self.stack = [], [], [], [], []
        self.in_tbody = self.in_h1 = self.file_input = False
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tbody": self.in_tbody = True
        if tag == "h1": self.in_h1 = True
        if tag == "button": self.buttons.append((a.get("name"), a.get("value")))
        if tag == "input" and a.get("type") == "file": self.file_input = True
        if tag == "tr" and self.in_tbody:
            self.rows.append({"class": a.get("class"), "name": "", "href": None, "cells": 0})
        if tag == "td" and self.in_tbody:
            self.rows[-1]["cells"] += 1
            if self.rows[-1]["cells"] == 2: self.rows[-1]["title"] = a.get("title")
        if tag == "time" and self.in_tbody: self.rows[-1]["datetime"] = a.get("datetime")
        if tag == "a":
            self.links.append(a.get("href"))
            if self.in_tbody and self.rows[-1]["href"] is None: self.rows[-1]["href"] = a["href"]
            if self.in_h1: self.h1.append([a["href"], ""])
        self.stack.append(tag)
    def handle_endtag(self, tag):
        if tag == "tbody": self.in_tbody = False
        if tag == "h1": self.in_h1 = False
        if self.stack: self.stack.pop()
    def handle_data(self, data):
        if self.in_tbody and self.rows and self.rows[-1]["cells"] == 1 and self.stack[-1] == "a":
            self.rows[-1]["name"] += data
        if self.in_h1 and self.h1 and self.stack[-1] == "a": self.h1[-1][1] += data

def entries_on_disk(rel):
    out = {}
    for n in os.listdir(os.path.join(root, rel)):
        st = os.stat(os.path.join(root, rel, n))
        is_dir = os.path.isdir(os.path.join(root, rel, n))
        out[n.decode("utf-8", "replace") + ("/" if is_dir else "")] = (n, st, is_dir)
    return out

def fold(name):  # the server's name order: ASCII letters folded, then bytes
    b = name.encode("utf-8", "surrogateescape")
    return (bytes(c + 32 if 65 <= c <= 90 else c for c in b), b)

def check_rows(page, rel):
    disk = entries_on_disk(rel)
    rows = [r for r in page.rows if r["class"] != "u"]
    assert sorted(r["name"] for r in rows) == sorted(disk), ([r["name"] for r in rows], sorted(disk))
    kinds = [disk[r["name"]][2] for r in rows]
    assert kinds == sorted(kinds, reverse=True), f"directories not first: {kinds}"
    for r in rows:
        raw, st, is_dir = disk[r["name"]]
        assert r["title"] == (None if is_dir else f"{st.st_size} bytes"), r
        want = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(st.st_mtime))
        assert r["datetime"] == want, (r, want)
        # The link leads to exactly this entry.
        target = urllib.parse.urljoin(url + urllib.parse.quote(rel), r["href"])
        assert urllib.parse.unquote_to_bytes(urllib.parse.urlsplit(target).path) == \
            b"/" + (rel + raw) + (b"/" if is_dir else b""), (target, raw)
        # The server refuses control bytes in request paths (400, path_resolve):
        # such a name is listed, escaped, but cannot be fetched.
        if not is_dir and not any(c < 0x20 or c == 0x7F for c in raw):
            body = urllib.request.urlopen(target, timeout=10).read()
            assert body == open(os.path.join(root, rel, raw), "rb").read(), r
    return rows

# The root: rows, directories first in name order, no "../", the views.
page = Page(dump_dom(url))
rows = check_rows(page, b"")
names = [r["name"] for r in rows]
assert names == sorted(names[:2], key=fold) + sorted(names[2:], key=fold), names
assert not any(r["class"] == "u" for r in page.rows), "../ at the root"
assert page.h1 == [["./", "/"]], page.h1
assert ("format", "tar") in page.buttons and ("format", "json") in page.buttons, page.buttons
assert not any(h and h.startswith("?") for h in page.links), page.links  # wget -r follows links
assert not page.file_input, "upload form without --upload"
listing = json.load(urllib.request.urlopen(url + "?format=json", timeout=10))
assert {e["name"] for e in listing} >= {"alpha.txt", "line\nbreak.txt"}, listing
members = tarfile.open(fileobj=io.BytesIO(urllib.request.urlopen(url + "?format=tar").read())).getnames()
assert "sub dir/inner/deep.txt" in members, members
with urllib.request.urlopen(url + "sub%20dir/?format=tar") as r:
    disposition = r.headers["Content-Disposition"]
    assert disposition == "attachment; filename=\"sub_dir.tar\"; filename*=UTF-8''sub%20dir.tar", disposition

# A subdirectory and its child: "../" and a breadcrumb of ancestors.
page = Page(dump_dom(url + "sub%20dir/"))
check_rows(page, b"sub dir/")
assert page.rows[0]["class"] == "u" and page.rows[0]["href"] == "../", page.rows[0]
assert page.h1 == [["../", "/"]], page.h1
page = Page(dump_dom(url + "sub%20dir/inner/"))
check_rows(page, b"sub dir/inner/")
assert page.h1 == [["../../", "/"], ["../", "sub dir"]], page.h1

# Server-side order (no script needed): largest first, directories still first.
page = Page(dump_dom(url + "?sort=size&order=desc"))
by_size = [r["name"] for r in page.rows]
assert by_size[:2] == ["Zeta <dir>/", "sub dir/"], by_size  # no size: by name, reversed
assert by_size[2:] == ["Beta 100%.dat", "bad\ufffd name.bin", "<b>&\"q\" 's'.txt", "alpha.txt",
                       "#hash?q=1;x.txt", "line\nbreak.txt"], by_size

# Header clicks sort in place, as a person's clicks would.
b = Browser(url)
try:
    rows_js = "[...document.querySelectorAll('tbody tr')].map(r => r.cells[0].textContent)"
    assert b.evaluate(rows_js) == names, b.evaluate(rows_js)
    b.evaluate("document.querySelectorAll('th button')[1].click()")  # Size: largest first
    assert b.evaluate(rows_js) == by_size, b.evaluate(rows_js)
    assert b.evaluate("location.search") == "?sort=size&order=desc"
    assert b.evaluate("document.querySelectorAll('th')[1].getAttribute('aria-sort')") == "descending"
    b.evaluate("document.querySelectorAll('th button')[1].click()")  # again: smallest first
    want = by_size[:2][::-1] + by_size[2:][::-1]
    assert b.evaluate(rows_js) == want, b.evaluate(rows_js)
    b.evaluate("document.querySelectorAll('th button')[2].click()")  # Modified: newest first
    by_date = b.evaluate(rows_js)
    assert by_date == ["sub dir/", "Zeta <dir>/", "#hash?q=1;x.txt", "Beta 100%.dat",
                       "bad\ufffd name.bin", "line\nbreak.txt", "<b>&\"q\" 's'.txt", "alpha.txt"], by_date
    b.evaluate("document.querySelectorAll('th button')[0].click()")  # Name: A to Z
    assert b.evaluate(rows_js) == names, b.evaluate(rows_js)
    # The server agrees with the script for every order it was clicked into.
    b.evaluate("document.querySelectorAll('th button')[2].click()")
    server = [r["name"] for r in Page(dump_dom(url + "?sort=mtime&order=desc")).rows]
    assert server == by_date, server
    # The JSON view's button, clicked: the browser lands on ?format=json.
    b.evaluate("document.querySelector('button[value=json]').click()")
    b.wait_for("location.search == '?format=json' && document.readyState == 'complete'")
    listed = json.loads(b.evaluate("document.body.innerText"))
    assert {e["name"] for e in listed} == {e["name"] for e in listing}, listed
finally:
    b.close()
PYEOF

# Uploads: the page's form, driven like a person would (token, file, click).
mkdir "$SCRATCH/up"
mkdir "$SCRATCH/up/in here"
start_server --upload --token T "$SCRATCH/up"
$PY - "$URL" "$SCRATCH/up" <<'PYEOF' || fail "upload from the page (server log: $(tail -5 "$SCRATCH/server.log"))"
import base64, json, os, sys, time
sys.path.insert(0, os.path.join(os.environ["ZCP_SOURCE_DIR"], "tests/support"))
from cdp import Browser

url, root = sys.argv[1], sys.argv[2]
name = 'up "load" <1>&#?.bin'
data = bytes((i * 7 + i // 251) % 256 for i in range(300_000))
b = Browser(url + "in%20here/")
try:
    assert b.evaluate("!!document.querySelector('#up input[type=password]')"), "no token field"
    def upload(token):
        b.evaluate("delete document.getElementById('up').dataset.done")
        b.evaluate(f"""(() => {{
            const bytes = Uint8Array.from(atob("{base64.b64encode(data).decode()}"), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], {json.dumps(name)}));
            document.getElementById('files').files = dt.files;
            document.getElementById('token').value = {json.dumps(token)};
            document.querySelector('#up button').click();
        }})()""")
        b.wait_for("document.getElementById('up').dataset.done")
        return b.evaluate("document.getElementById('up').dataset.done"), \
            b.evaluate("document.getElementById('log').lastElementChild.textContent")
    done, log = upload("wrong")
    assert done == "0/1" and "401" in log, (done, log)
    assert not os.path.exists(os.path.join(root, "in here", name)), "uploaded with a wrong token"
    done, log = upload("T")
    assert done == "1/1", (done, b.evaluate("document.getElementById('log').textContent"))
    with open(os.path.join(root, "in here", name), "rb") as f:
        assert f.read() == data, "uploaded bytes differ"
    b.navigate(url + "in%20here/")
    rows = b.evaluate("[...document.querySelectorAll('tbody tr')].map(r => r.cells[0].textContent)")
    assert name in rows, rows
finally:
    b.close()
PYEOF
echo ok

# hostile_client_fake.py PORTFILE OUTDIR: a hostile HTTP server on a free
# loopback port (at most 300 s) for tests/e2e/hostile_client_*.sh, one
# behaviour per path. It writes OUTDIR/modes.tar (the archive /modes/
# serves) so the tests can extract the same bytes with GNU tar.
import io, json, os, signal, socket, sys, tarfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_http  # noqa: E402

signal.alarm(300)
OUT = sys.argv[2]

# Peer text that would retitle or clear a terminal, or hide text, if printed raw.
HOSTILE = {
    "osc": b"\x1b]0;owned\x07",
    "clear": b"\x1b[2J",
    "c1": b"\x9b31m",          # raw C1 CSI
    "c1utf8": b"\xc2\x9b31m",  # U+009B, UTF-8 encoded
    "bidi": b"\xe2\x80\xaetxt.exe",  # U+202E RIGHT-TO-LEFT OVERRIDE
}


def build_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, mode, data in entries:
            ti = tarfile.TarInfo(name)
            ti.mode, ti.mtime = mode, 1500000000
            if data is None:
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


MODES = [("d4755", 0o4755, None), ("d2755", 0o2755, None), ("d1777", 0o1777, None),
         ("d0777", 0o777, None), ("d0700", 0o700, None), ("d1777/inner", 0o6777, b"in\n")]
MODES += [(f"f{m:04o}", m, b"abc\n") for m in (0o4755, 0o2755, 0o1777, 0o6777, 0o777, 0o666, 0o400)]
TARS = {"modes": build_tar(MODES), "small": build_tar([("a.txt", 0o644, b"a\n")])}
with open(os.path.join(OUT, "modes.tar.tmp"), "wb") as f:
    f.write(TARS["modes"])
os.rename(os.path.join(OUT, "modes.tar.tmp"), os.path.join(OUT, "modes.tar"))


raw_member, pax_record = fake_http.member, fake_http.pax_record


for k, v in HOSTILE.items():
    # Refused for its ".." component, so the name appears in the error.
    TARS["tarname-" + k] = raw_member(b"../" + v + b"x") + b"\0" * 1024
    TARS["paxname-" + k] = (raw_member(b"PaxHeaders/x", pax_record(b"path", b"a/../../" + v), b"x")
                            + raw_member(b"innocent", b"evil\n") + b"\0" * 1024)


read_head = fake_http.read_head


def read_body(conn, rest, n):
    while len(rest) < n:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return rest[n:]


def report(variant):
    """A relay's report: itself stored, the host behind it failed in hostile words."""
    words = HOSTILE[variant].decode("utf-8", "surrogateescape")
    hosts = [{"ok": True, "status": 201, "bytes": 5, "seconds": 0.1, "error": ""},
             {"ok": False, "status": 0, "bytes": 0, "seconds": 0, "error": "lost: " + words}]
    # Raw C1 (not UTF-8) cannot be in JSON; send its code point instead.
    text = json.dumps({"hosts": hosts}, ensure_ascii=True).replace("\\udc9b", "\\u009b")
    return text.encode()


def forever(conn, piece, pause):
    while True:
        conn.sendall(piece)
        time.sleep(pause)


def answer(conn, method, target, fields, rest):
    path = target.split("?")[0].strip("/")
    name, _, variant = path.partition("-")
    ok = b"HTTP/1.1 200 OK\r\n"
    if path in TARS:
        data = TARS[path]
        conn.sendall(ok + b"Content-Type: application/x-tar\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
        return rest
    if name == "te":  # a Transfer-Encoding it cannot decode, named in the error
        conn.sendall(ok + b"Transfer-Encoding: gzip" + HOSTILE[variant] + b"\r\n\r\nhi")
        return None
    if name == "range":  # a 206 for the wrong range on resume, named in the error
        conn.sendall(b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-1/2" + HOSTILE[variant]
                     + b"\r\nContent-Length: 2\r\n\r\nhi")
        return None
    if name == "reason":  # a 404 whose reason phrase is hostile
        conn.sendall(b"HTTP/1.1 404 " + HOSTILE[variant] + b"\r\nContent-Length: 0\r\n\r\n")
        return None
    if name == "interimslow":  # 100 Continue every 0.3 s, never an answer
        forever(conn, b"HTTP/1.1 100 Continue\r\n\r\n", 0.3)
    if name == "interimflood":  # 103 Early Hints as fast as the socket takes them
        forever(conn, b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" * 64, 0)
    if name == "headtrickle":  # a final head one byte per 0.4 s
        for c in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"s" * 200 + b"\r\n\r\n":
            conn.sendall(bytes([c]))
            time.sleep(0.4)
        return None
    if method == "PUT":
        length = int(fields.get("content-length", "0"))
        expect = fields.get("expect", "").lower() == "100-continue"
        if name == "refuse":  # refuses the chain at once, with a hostile body
            body = b"no: " + HOSTILE[variant]
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            return None
        if name == "continuetrickle":  # a 100 Continue whose header never ends, a byte per 0.4 s
            conn.sendall(b"HTTP/1.1 100 Continue\r\nX-Slow: ")
            forever(conn, b"s", 0.4)
        if expect:
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        rest = read_body(conn, rest, length)
        if name == "report":
            body = report(variant)
            conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
        else:  # "store" and anything else: stored
            conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        return rest
    if name == "file" or path.startswith("file"):
        conn.sendall(ok + b"Content-Length: 6\r\n\r\nhello\n")
        return rest
    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    return rest


def serve(conn):
    with conn:
        buf = b""
        try:
            while buf is not None:
                req, buf = read_head(conn, buf)
                if req is None:
                    break
                buf = answer(conn, *req, buf)
        except OSError:
            pass


fake_http.serve_forever(sys.argv[1], serve)

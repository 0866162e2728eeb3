# fake_http.py: the pieces the hostile fakes (tests/e2e/hostile_servers.sh,
# tests/support/hostile_client_fake.py) build their answers from: a request
# head reader, chunked framing, and ustar members and pax records with names
# of any bytes (tarfile would refuse or encode the hostile ones).


def read_head(conn, buf):
    """((method, target, fields), rest) of the next request; (None, b"") at EOF."""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target = lines[0].split(" ")[:2]
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields[k.strip().lower()] = v.strip()
    return (method, target, fields), rest


def chunked(data, piece=700):
    out = b""
    for i in range(0, len(data), piece):
        part = data[i:i + piece]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def member(name, data=b"", typ=b"0", link=b""):
    """A ustar member (header, data, padding); `name` str or any bytes."""
    if isinstance(name, str):
        name = name.encode()
    b = bytearray(512)
    def put(off, val): b[off:off + len(val)] = val
    put(0, name[:100]); put(100, b"0000644\0"); put(108, b"0000000\0"); put(116, b"0000000\0")
    put(124, b"%011o\0" % len(data)); put(136, b"14707034672\0"); put(148, b" " * 8)
    put(156, typ); put(157, link); put(257, b"ustar\x0000")
    put(148, b"%06o\0 " % sum(b))
    return bytes(b) + data + b"\0" * (-len(data) % 512)


def pax_record(key, value):
    """One pax extended-header record, "LEN key=value\\n"; str or bytes."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(value, str):
        value = value.encode()
    rec = b" " + key + b"=" + value + b"\n"
    n = len(rec) + 1
    while len(str(n)) + len(rec) != n:
        n += 1
    return str(n).encode() + rec


def serve_forever(portfile, serve):
    """Listens on a free loopback port, writes it to `portfile` (atomically:
    the test polls for the file), and runs serve(conn) per connection on a
    thread of its own."""
    import os, socket, threading
    listener = socket.create_server(("127.0.0.1", 0))
    with open(portfile + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()

# early_answer_server.py PORT_FILE: an "upload host" that answers every
# PUT with 100 Continue and, at once, 201 Created, reading no body: it
# stores nothing (tests/e2e/put_chain_early_answer.sh). Writes its port to
# PORT_FILE, then serves until killed; each connection closes after 5 s.
import socket
import sys
import threading

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    c.recv(65536)
    c.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
    threading.Timer(5, c.close).start()

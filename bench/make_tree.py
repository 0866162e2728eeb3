#!/usr/bin/python3
"""make_tree.py KIND DIR: writes one of the benchmark trees into DIR.

  small  10,000 x 4 KiB in 100 directories (d00..d99/f00000..)
  mixed  2,000 files of 1-64 KiB nested, 100 of 1 MiB, 8 of 32 MiB
The bytes are random, the layout and sizes fixed, so every tree_*.sh
script measures the same trees (the big one, 20 x 100 MiB, is a shell
loop of head -c in tree_sync.sh)."""
import os
import random
import sys


def small(top):
    block = os.urandom(4096 * 64)
    for i in range(10000):
        sub = os.path.join(top, "d%02d" % (i % 100))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "f%05d" % i), "wb") as f:
            off = (i * 4096) % (len(block) - 4096)
            f.write(block[off:off + 4096])


def mixed(top):
    rnd = random.Random(15)
    pool = os.urandom(64 << 20)

    def put(path, size):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        off = rnd.randrange(0, len(pool) - size) if size < len(pool) else 0
        with open(path, "wb") as f:
            f.write(pool[off:off + size])

    for i in range(2000):
        put(os.path.join(top, "src%d/mod%d/f%04d.txt" % (i % 10, i % 37, i)), rnd.randint(1024, 65536))
    for i in range(100):
        put(os.path.join(top, "assets/img%03d.bin" % i), 1 << 20)
    for i in range(8):
        put(os.path.join(top, "blobs/blob%d.bin" % i), 32 << 20)


if __name__ == "__main__":
    kinds = {"small": small, "mixed": mixed}
    if len(sys.argv) != 3 or sys.argv[1] not in kinds:
        sys.exit(__doc__)
    os.makedirs(sys.argv[2], exist_ok=True)
    kinds[sys.argv[1]](sys.argv[2])

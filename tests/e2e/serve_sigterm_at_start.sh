#!/usr/bin/env bash
# SIGTERM that arrives while zcp serve is still starting (a supervisor
# stopping it at once) is a clean shutdown, exit 0, never a kill (143):
# SIGINT and SIGTERM are blocked before main() and before any library's
# constructor, and serve's signal thread takes them once it runs.
# A preloaded shim's constructor (the first code after zcp's own
# preinit) starts a thread that sends SIGTERM to the process after 0 to
# 30 ms: before main, while flags are parsed, while the server is made,
# and after it serves. A signal during the dynamic loader's work (~1-3 ms
# after exec, before any code of zcp runs) cannot be caught by any
# dynamically linked program; the shim makes the test deterministic.
source "$(dirname "$0")/../support/e2e.sh"
command -v cc >/dev/null || skip "no C compiler for the preloaded shim"
mkdir "$SCRATCH/root"
cat >"$SCRATCH/shim.c" <<'C'
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
static void* later(void* arg) {
  (void)arg;
  usleep((useconds_t)atoi(getenv("TERM_AFTER_US")));
  kill(getpid(), SIGTERM);
  return 0;
}
__attribute__((constructor)) static void start(void) {
  pthread_t t;
  if (getenv("TERM_AFTER_US")) pthread_create(&t, 0, later, 0);
}
C
cc -shared -fPIC -pthread -o "$SCRATCH/shim.so" "$SCRATCH/shim.c" || skip "cannot build the shim"
"$PY" - "$ZCP" "$SCRATCH/root" "$SCRATCH/shim.so" <<'PY' || fail "SIGTERM during start-up was not a clean exit"
import os, subprocess, sys
zcp, root, shim = sys.argv[1:4]
bad = []
for i in range(40):
    after = 0 if i < 5 else (i * 750)  # 0 .. 30 ms
    env = dict(os.environ, LD_PRELOAD=shim, TERM_AFTER_US=str(after))
    p = subprocess.Popen([zcp, "serve", "--listen", "127.0.0.1:0", root], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill(); p.communicate()
        bad.append((after, "hang")); continue
    if p.returncode != 0:
        bad.append((after, p.returncode, err.decode(errors="replace")[-200:]))
if bad:
    print(len(bad), "of 40 runs (microseconds, exit):", bad[:6], file=sys.stderr)
    sys.exit(1)
PY
echo ok

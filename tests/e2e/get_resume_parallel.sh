#!/usr/bin/env bash
# A default (4-stream) download of a 512 MiB file interrupted by SIGINT,
# SIGTERM or SIGKILL at several points leaves DEST.part and its record;
# `-c` then fetches only what is missing, in parallel, and ends identical
# (sha-256). The resumed run may move at most the missing bytes plus one
# range's worth (128 MiB); a run that starts over moves all 512 MiB.
# Ctrl-C and SIGTERM say what is kept where, and how to resume.
source "$(dirname "$0")/../support/e2e.sh"
SIZE=$((512 << 20))
RANGE=$((SIZE / 4))
mkdir -p "$SCRATCH/root" "$SCRATCH/dl"
head -c "$SIZE" /dev/urandom >"$SCRATCH/root/big.bin"
want=$(sha256sum <"$SCRATCH/root/big.bin" | cut -d' ' -f1)
start_server "$SCRATCH/root"
# The interrupted runs go through a proxy at 128 MiB/s: 4 s for the file,
# so "kill once 30% landed" happens at 30% on any machine.
"$PY" "$ZCP_SOURCE_DIR/tests/support/throttle_proxy.py" "$ADDR" $((128 << 20)) "$SCRATCH/proxy.port" &
on_exit "kill $!"
for _ in $(seq 100); do [ -s "$SCRATCH/proxy.port" ] && break; sleep 0.05; done
SLOW="http://127.0.0.1:$(cat "$SCRATCH/proxy.port")/big.bin"
D="$SCRATCH/dl/big.bin"

landed() { echo $(($(stat -c %b "$D.part" 2>/dev/null || echo 0) * 512)); }  # bytes on disk (sparse)

# interrupt SIGNAL PERCENT ARGS...: runs zcp get ARGS via the proxy and sends
# SIGNAL once PERCENT of the file is on disk; sets RC and KEPT.
interrupt() {
  local sig=$1 pct=$2
  shift 2
  # A shell without job control starts background commands with SIGINT
  # ignored; a user's Ctrl-C reaches a zcp that has it, so restore it.
  "$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$ZCP" get "$@" "$SLOW" "$D" 2>"$SCRATCH/get.err" &
  local pid=$!
  for _ in $(seq 1000); do
    [ "$(landed)" -ge $((SIZE * pct / 100)) ] && break
    sleep 0.01
  done
  kill -"$sig" "$pid" 2>/dev/null || true
  RC=0
  wait "$pid" 2>/dev/null || RC=$?
  [ ! -e "$D" ] || fail "$sig at $pct%: the final name appeared"
  [ -f "$D.part" ] || fail "$sig at $pct%: no .part kept"
  KEPT=$(landed)
  [ "$KEPT" -lt "$SIZE" ] || fail "$sig at $pct%: not interrupted (finished first)"
}

# resume: -c straight from the server; checks the bytes it moved and the result.
resume() {
  local what=$1
  "$ZCP" get -c --json "${URL}big.bin" "$D" >"$SCRATCH/json" 2>"$SCRATCH/resume.err" ||
    fail "$what: resume failed: $(cat "$SCRATCH/resume.err")"
  local moved
  moved=$(sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' "$SCRATCH/json")
  [ "$moved" -le $((SIZE - KEPT + RANGE)) ] ||
    fail "$what: resume moved $moved bytes, $KEPT were on disk (allowed $((SIZE - KEPT + RANGE)))"
  grep -q '"streams":[2-9]' "$SCRATCH/json" || fail "$what: resume was not parallel: $(cat "$SCRATCH/json")"
  ! grep -q "starting over" "$SCRATCH/resume.err" || fail "$what: started over: $(cat "$SCRATCH/resume.err")"
  [ "$(sha256sum <"$D" | cut -d' ' -f1)" = "$want" ] || fail "$what: sha-256 differs"
  [ ! -e "$D.part" ] || fail "$what: .part left after success"
  rm -f "$D"
}

interrupt INT 30
[ "$RC" -eq 130 ] || fail "SIGINT: exit $RC, want 130: $(tr "\r" "\n" <"$SCRATCH/get.err" | tail -c 4000)"
grep -q "kept in .*big.bin.part; resume with: zcp get -c " "$SCRATCH/get.err" ||
  fail "SIGINT: no line naming the .part and the command: $(tr '\r' '\n' <"$SCRATCH/get.err" | tail -2)"
# The command printed is the one to run (here with the proxy's URL).
cmd=$(sed -n 's/.*resume with: //p' "$SCRATCH/get.err")
case "$cmd" in *"-c $SLOW -o $D"*) ;; *) fail "resume command is '$cmd'" ;; esac
resume "SIGINT at 30%"

interrupt TERM 55
[ "$RC" -eq 143 ] || fail "SIGTERM: exit $RC, want 143"
grep -q "resume with: zcp get -c " "$SCRATCH/get.err" || fail "SIGTERM: no resume line"
resume "SIGTERM at 55%"

interrupt KILL 80
resume "SIGKILL at 80%"

# Interrupted twice: the resumed run itself is killed, then resumed again.
interrupt KILL 35
interrupt KILL 70 -c
resume "SIGKILL at 35% then at 70% of the resumed run"

# One stream (-j 1) killed: the resume is parallel all the same.
interrupt KILL 40 -j 1
resume "-j 1 killed at 40%"
echo ok

# Sourced by tests/e2e/hostile_client_*.sh: e2e.sh, the hostile fake server
# of hostile_client_fake.py (BASE is its URL, $SCRATCH/fake/modes.tar its
# archive), and checks that carry on after a failure (bad, finish).
source "$(dirname "${BASH_SOURCE[0]}")/e2e.sh"

mkdir -p "$SCRATCH/fake"
$PY "$ZCP_SOURCE_DIR/tests/support/hostile_client_fake.py" "$SCRATCH/fake/port" "$SCRATCH/fake" \
  2>"$SCRATCH/fake/log" &
FAKE_PID=$!
on_exit "kill $FAKE_PID"
for _ in $(seq 100); do [ -s "$SCRATCH/fake/port" ] && break; sleep 0.05; done
[ -s "$SCRATCH/fake/port" ] || fail "fake server did not start: $(cat "$SCRATCH/fake/log")"
BASE=http://127.0.0.1:$(cat "$SCRATCH/fake/port")

FAILURES=0
CASES=0
bad() {  # a failed check: report it, carry on with the other cases
  echo "FAIL: ${CASE:-}: $*" >&2
  FAILURES=$((FAILURES + 1))
}
finish() {
  [ "$FAILURES" -eq 0 ] || fail "$FAILURES check(s) failed in $CASES cases (see above)"
  echo "ok ($CASES cases)"
}

# run_zcp NAME SECONDS CMD...: a case; runs CMD (zcp's arguments) in a fresh
# $SCRATCH/c/NAME under `timeout SECONDS`, stdout and stderr to OUT and ERR,
# exit code to RC, wall time in whole seconds to ELAPSED.
run_zcp() {
  CASE=$1
  local limit=$2
  shift 2
  CASES=$((CASES + 1))
  DIR=$SCRATCH/c/$CASE
  mkdir -p "$DIR"
  [ ${#AS_USER[@]} -eq 0 ] || chmod 0777 "$DIR"  # for the user it runs as
  OUT=$DIR.out
  ERR=$DIR.err
  local start=$SECONDS
  RC=0
  (cd "$DIR" && timeout "$limit" "${AS_USER[@]}" "$ZCP" "$@") >"$OUT" 2>"$ERR" || RC=$?
  ELAPSED=$((SECONDS - start))
  [ "$RC" -ne 124 ] || bad "hung (killed after $limit s)"
  [ "$RC" -lt 128 ] || bad "killed by signal $((RC - 128)): $(head -c 500 "$ERR")"
}
AS_USER=()

# want_rc CODE...: RC is one of them.
want_rc() {
  local c
  for c in "$@"; do [ "$RC" = "$c" ] && return 0; done
  bad "exit $RC, want $*; stderr: $(head -c 600 "$ERR" | cat -v)"
}

# terminal_safe FILE: FILE holds no byte a terminal would act on: no C0
# control but newline, no DEL, no raw C1 (0x80-0x9f outside a UTF-8
# sequence), no UTF-8 encoded C1 (U+0080-U+009F), no bidi override or
# isolate (U+202A-U+202E, U+2066-U+2069), and is valid UTF-8.
terminal_safe() {
  $PY - "$1" <<'PYEOF' || bad "$(basename "$1") is not terminal-safe: $(head -c 600 "$1" | cat -v)"
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit(f"invalid UTF-8: {e}")
for ch in text:
    o = ord(ch)
    if (o < 0x20 and ch != "\n") or 0x7f <= o <= 0x9f or 0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069:
        sys.exit(f"U+{o:04X}")
PYEOF
}

# err_has TEXT: ERR contains TEXT (a fixed string).
err_has() { grep -qF -- "$1" "$ERR" || bad "stderr lacks '$1': $(head -c 600 "$ERR" | cat -v)"; }

# Sourced by tests/e2e/*.sh: the binary under test, a scratch directory
# removed on exit, and small assertion helpers. ctest sets ZCP and
# ZCP_SOURCE_DIR; run by hand, they default to the repo's build.
set -euo pipefail

ZCP_SOURCE_DIR=${ZCP_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ZCP=${ZCP:-$ZCP_SOURCE_DIR/build/zcp}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/zcp-e2e-XXXXXX")
E2E_CLEANUP=()

e2e_exit() {
  local rc=$?
  for cmd in "${E2E_CLEANUP[@]:-}"; do [ -n "$cmd" ] && eval "$cmd" >/dev/null 2>&1 || true; done
  rm -rf "$SCRATCH"
  exit $rc
}
trap e2e_exit EXIT
trap 'exit 130' INT TERM

on_exit() { E2E_CLEANUP+=("$1"); }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIP: $*" >&2
  exit 77
}

# expect_exit CODE CMD...: runs CMD, stderr to $SCRATCH/stderr, checks the exit code.
expect_exit() {
  local want=$1
  shift
  local got=0
  "$@" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" || got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, want $want; stderr: $(head -c 2000 "$SCRATCH/stderr")"
}

# expect_stderr TEXT: the last expect_exit's stderr contains TEXT.
expect_stderr() {
  grep -qF -- "$1" "$SCRATCH/stderr" || fail "stderr lacks '$1': $(head -c 2000 "$SCRATCH/stderr")"
}

PY=/usr/bin/python3  # Debian's python, which has matplotlib

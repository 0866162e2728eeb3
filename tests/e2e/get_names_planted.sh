#!/usr/bin/env bash
# Temporary names (issue 12): a DEST.part planted as a symlink (or a hard
# link) is never followed: the file it points to stays untouched, DEST
# arrives whole. Names of 251-255 bytes, which ".part" would push past
# NAME_MAX, download with one stream and with -j 4, and resume with -c.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root" "$SCRATCH/dl" "$SCRATCH/outside"
head -c $((2 << 20)) /dev/urandom >"$SCRATCH/root/f.bin"
echo "precious" >"$SCRATCH/outside/victim"
start_server "$SCRATCH/root"

for mode in "-j 1" "-j 4"; do
  ln -sfn "$SCRATCH/outside/victim" "$SCRATCH/dl/f.bin.part"
  # shellcheck disable=SC2086
  "$ZCP" get -q $mode "${URL}f.bin" "$SCRATCH/dl/f.bin" || fail "$mode: get with a planted symlink failed"
  [ "$(cat "$SCRATCH/outside/victim")" = "precious" ] || fail "$mode: the symlink's target was written"
  cmp "$SCRATCH/dl/f.bin" "$SCRATCH/root/f.bin" || fail "$mode: DEST differs"
  rm -f "$SCRATCH/dl/f.bin"
  # -c must not follow it either
  ln -sfn "$SCRATCH/outside/victim" "$SCRATCH/dl/f.bin.part"
  # shellcheck disable=SC2086
  "$ZCP" get -q -c $mode "${URL}f.bin" "$SCRATCH/dl/f.bin" || fail "$mode -c: failed"
  [ "$(cat "$SCRATCH/outside/victim")" = "precious" ] || fail "$mode -c: the symlink's target was written"
  cmp "$SCRATCH/dl/f.bin" "$SCRATCH/root/f.bin" || fail "$mode -c: DEST differs"
  rm -f "$SCRATCH/dl/f.bin"
done
# A hard link to someone else's file under the .part name: not truncated.
ln -f "$SCRATCH/outside/victim" "$SCRATCH/dl/f.bin.part"
"$ZCP" get -q "${URL}f.bin" "$SCRATCH/dl/f.bin" || fail "get with a planted hard link failed"
[ "$(cat "$SCRATCH/outside/victim")" = "precious" ] || fail "the hard link's file was written"

for len in 251 253 255; do
  name=$(printf 'n%.0s' $(seq "$len"))
  cp "$SCRATCH/root/f.bin" "$SCRATCH/root/$name"
  for mode in "-j 1" "-j 4"; do
    rm -f "$SCRATCH/dl/$name"
    # shellcheck disable=SC2086
    "$ZCP" get -q $mode "${URL}$name" "$SCRATCH/dl/" 2>"$SCRATCH/err" ||
      fail "$len-byte name, $mode: $(cat "$SCRATCH/err")"
    cmp "$SCRATCH/dl/$name" "$SCRATCH/root/$name" || fail "$len-byte name, $mode: differs"
  done
  # -c on the complete file: nothing to do, and no stray temporary file
  "$ZCP" get -c "${URL}$name" "$SCRATCH/dl/" 2>"$SCRATCH/err" || fail "$len-byte name -c: $(cat "$SCRATCH/err")"
  [ "$(ls "$SCRATCH/dl" | grep -c part || true)" = 0 ] || fail "$len-byte name: a temporary file stayed: $(ls "$SCRATCH/dl")"
done
echo ok

#!/usr/bin/env bash
# get -r of names of 251-255 bytes (legal on Linux): the extractor's
# temporary names must fit wherever the final names fit (issue 12).
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/t" "$SCRATCH/dl"
for n in 251 252 253 254 255; do
  name=$(printf 'a%.0s' $(seq "$n"))
  head -c $((n * 100)) /dev/urandom >"$SCRATCH/root/t/$name"
done
# 255 bytes of two-byte characters (127 x "é" + "x"): the cut keeps UTF-8 whole.
utf=$(printf 'é%.0s' $(seq 127))x
echo "accents" >"$SCRATCH/root/t/$utf"
start_server "$SCRATCH/root"
cd "$SCRATCH/dl"
expect_exit 0 "$ZCP" get -q -r "${URL}t/"
for f in "$SCRATCH/root/t"/*; do
  cmp -s "$f" "t/$(basename "$f")" || fail "$(basename "$f" | head -c 20)... ($(basename "$f" | wc -c) bytes) differs or is missing"
done
[ -z "$(find t -name '*.part')" ] || fail "temporary files left: $(find t -name '*.part')"
[ "$(ls t | wc -l)" = 6 ] || fail "want 6 files, got $(ls t | wc -l)"
echo "ok"

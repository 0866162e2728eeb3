#!/usr/bin/env bash
# A streamed body (a tar of a tree, a manifest) ends when its last bytes
# leave, not 200 ms later: bytes written with MSG_MORE and nothing after
# them wait in the kernel for the cork timer. 10 tiny tars and 10 manifests
# take well under a second; corked, they take 4 s. (A bound this loose only
# separates "immediately" from "the cork timer each time".)
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/t/sub"
echo a >"$SCRATCH/root/t/a.txt"
echo b >"$SCRATCH/root/t/sub/b.txt"
start_server "$SCRATCH/root"
urls=()
for _ in $(seq 10); do urls+=(-o /dev/null "${URL}t/?format=tar" -o /dev/null "${URL}t/?format=manifest"); done
start=$(date +%s%N)
curl -sf "${urls[@]}" || fail "curl of the streamed bodies"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 2000 ] || fail "20 tiny streamed responses took $ms ms (corked: 200 ms each)"
curl -sf "${URL}t/?format=tar" | tar t | sort | tr '\n' ' ' | grep -q "a.txt sub/ sub/b.txt" ||
  fail "tar listing: $(curl -sf "${URL}t/?format=tar" | tar t)"
echo ok

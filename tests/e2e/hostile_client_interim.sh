#!/usr/bin/env bash
# A server that never gives a final answer while looking busy: 100 Continue
# every 0.3 s, a flood of 103 Early Hints, a final head a byte per 0.4 s, a
# 100 Continue trickled to a chain's sender. --timeout bounds the whole
# wait (exit 7, "timed out"); more than 16 interim heads are nonsense (8).
source "$(dirname "$0")/../support/hostile_client.sh"
echo hello >"$SCRATCH/up.txt"

# bounded MAX: the case ended within MAX seconds.
bounded() { [ "$ELAPSED" -le "$1" ] || bad "took $ELAPSED s, want <= $1"; }

run_zcp get-interim-slow 20 get --timeout 2 "$BASE/interimslow" dest
want_rc 7
bounded 5
err_has "timed out"
[ ! -e "$DIR/dest" ] || bad "dest exists"

run_zcp get-interim-flood 20 get --timeout 2 "$BASE/interimflood" dest
want_rc 8
bounded 3
err_has "interim"

run_zcp get-head-trickle 20 get --timeout 2 "$BASE/headtrickle" dest
want_rc 7
bounded 5
err_has "timed out"

run_zcp get-tree-interim-slow 20 get --timeout 2 -r "$BASE/interimslow/" dest
want_rc 7
bounded 5

run_zcp get-parallel-interim 20 get --timeout 2 -j 2 "$BASE/interimslow" dest
want_rc 7 8
bounded 5

run_zcp put-interim-slow 20 put --timeout 2 "$SCRATCH/up.txt" "$BASE/interimslow"
want_rc 7
bounded 5
err_has "timed out"

run_zcp put-interim-flood 20 put --timeout 2 "$SCRATCH/up.txt" "$BASE/interimflood"
want_rc 8
bounded 3

# A chain gives each host longer (the relays' stall limits, 3 s per host
# behind, plus 10 s), but still a bound: the first host's 100 Continue
# never completes, so it is skipped and the second stores the file.
run_zcp put-chain-continue-trickle 40 put --timeout 2 "$SCRATCH/up.txt" "$BASE/continuetrickle" "$BASE/store"
want_rc 7
bounded 25
grep -q "store: stored" "$ERR" || bad "the second host did not get the file: $(cat -v "$ERR")"
err_has "continuetrickle: FAILED: unreachable: read response"
finish

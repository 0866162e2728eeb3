#!/usr/bin/env bash
# Peer text on the user's terminal: a hostile server puts ESC sequences
# (OSC retitle, CSI clear), raw C1, UTF-8 encoded C1 and a bidi override
# into tar member names, pax path records, header values, an error body
# and a relay's report. Whatever zcp get / put print must be terminal-safe
# (see terminal_safe), and the text must still be there, escaped as \xNN.
source "$(dirname "$0")/../support/hostile_client.sh"
echo hello >"$SCRATCH/up.txt"

# The escaped form each variant must show up as.
declare -A SHOWN=(
  [osc]='\x1b]0;owned\x07' [clear]='\x1b[2J' [c1]='\x9b31m' [c1utf8]='\xc2\x9b31m'
  [bidi]='\xe2\x80\xaetxt.exe'
)

# Tar member names refused for their '..' (the name is in the error).
for v in osc clear c1 c1utf8 bidi; do
  run_zcp "tarname-$v" 20 get -r "$BASE/tarname-$v/" dest
  want_rc 8
  terminal_safe "$ERR"
  err_has "${SHOWN[$v]}x"
done
# The same through a pax path record.
for v in osc c1utf8; do
  run_zcp "paxname-$v" 20 get -r "$BASE/paxname-$v/" dest
  want_rc 8
  terminal_safe "$ERR"
  err_has "${SHOWN[$v]}"
done

# Header values (http-parser lets bytes >= 0x80 through): an unsupported
# Transfer-Encoding, and a wrong Content-Range on resume, both quoted.
for v in c1 c1utf8 bidi; do
  run_zcp "te-$v" 20 get "$BASE/te-$v" dest
  want_rc 8
  terminal_safe "$ERR"
  err_has "gzip${SHOWN[$v]}"
done
for v in c1 c1utf8; do
  mkdir -p "$SCRATCH/c/range-$v" && echo x >"$SCRATCH/c/range-$v/dest.part"
  run_zcp "range-$v" 20 get -c "$BASE/range-$v" dest
  want_rc 8
  terminal_safe "$ERR"
  err_has "${SHOWN[$v]}"
done

# A chain whose first host refuses with a hostile error body: the sender
# goes on to the second host and prints why the first failed.
for v in osc clear c1 c1utf8 bidi; do
  run_zcp "refuse-$v" 20 put "$SCRATCH/up.txt" "$BASE/refuse-$v" "$BASE/store"
  want_rc 22
  terminal_safe "$ERR"
  err_has "HTTP 403: no: ${SHOWN[$v]}"
done

# A relay's report: the host behind it failed "in its own words".
declare -A IN_REPORT=([osc]='\x1b]0;owned\x07' [clear]='\x1b[2J' [c1]='\xc2\x9b31m' [bidi]='\xe2\x80\xaetxt.exe')
for v in osc clear c1 bidi; do
  run_zcp "report-$v" 20 put "$SCRATCH/up.txt" "$BASE/report-$v" "$BASE/store"
  want_rc 7
  terminal_safe "$ERR"
  err_has "FAILED: lost: ${IN_REPORT[$v]}"
done
finish

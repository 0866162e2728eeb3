#!/usr/bin/env bash
# A fan-out chain with https links: zcp put -> https relay -> https relay ->
# http last host, and http first then https. Each relay terminates TLS
# from the host before it and opens TLS to the host after it, checked
# against its --relay-cacert / --relay-pin; the sender checks the hosts it
# connects to with its own --cacert. Every copy is sha-256 identical to the
# source, the report says which path each relay took, the token is checked
# at every hop, and a hop that is not trusted (unknown CA, wrong name,
# pinned key mismatch) is reported with the reason and skipped while the
# hosts after it still get their copy. No descriptor is left in a relay.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/tls_certs.sh"
test_pki "$SCRATCH/pki"
make_test_pki "$SCRATCH/other" || fail "could not make the other CA's certificates"
P=$SCRATCH/pki
CA=$P/ca.pem
head -c $((16 << 20)) /dev/urandom >"$SCRATCH/f.bin"
sum() { sha256sum "$1" | cut -d' ' -f1; }
want=$(sum "$SCRATCH/f.bin")

fds() { ls "/proc/$1/fd" | wc -l; }
good=(--tls-cert "$P/good.pem" --tls-key "$P/good.key")
relay=(--upload --relay --token s3cret --relay-cacert "$CA")

serve r1 "${good[@]}" "${relay[@]}"
serve r2 "${good[@]}" "${relay[@]}"
serve h0 "${relay[@]}"                                   # plain http relay, https after it
serve last --upload --token s3cret                       # plain http, last
serve locked "${good[@]}" --upload --relay --token other --relay-cacert "$CA"
serve foreign --tls-cert "$SCRATCH/other/good.pem" --tls-key "$SCRATCH/other/good.key" --upload --token s3cret
serve wrongname --tls-cert "$P/wrongname.pem" --tls-key "$P/wrongname.key" --upload --token s3cret
serve selfsigned --tls-cert "$P/selfsigned.pem" --tls-key "$P/selfsigned.key" --upload --token s3cret
# Pins only: the self-signed host's key and another (repeatable, any one will do).
serve pinned "${good[@]}" --upload --relay --token s3cret \
  --relay-pin "$(pin_of "$P/selfsigned.pem")" --relay-pin "$(pin_of "$SCRATCH/other/good.pem")"
base_fds_r1=$(fds "$PID_r1")
base_fds_h0=$(fds "$PID_h0")
stop_going
[ "${URL_r1%%:*}" = https ] && [ "${URL_h0%%:*}" = http ] || fail "schemes: $URL_r1 $URL_h0"
keep_going

# report FILE PYTHON-ASSERTIONS: checks `zcp put --json`'s hosts array (h).
report() {
  $PY - "$1" "$2" <<'PYEOF' || fail "report ($2): $(cat "$1")"
import json, sys
h = json.load(open(sys.argv[1]))["hosts"]
exec(sys.argv[2])
PYEOF
}
put() { "$ZCP" put --cacert "$CA" --token s3cret "$@"; }

# 1. https -> https -> http: one send, three identical copies, both relays
#    through user space (TLS on at least one side).
put --json "$SCRATCH/f.bin" "${URL_r1}a.bin" "${URL_r2}a.bin" "${URL_last}a.bin" >"$SCRATCH/j" ||
  fail "https chain failed: $(cat "$SCRATCH/j")"
for h in r1 r2 last; do [ "$(sum "$SCRATCH/$h/a.bin")" = "$want" ] || fail "$h: copy differs"; done
report "$SCRATCH/j" 'assert len(h) == 3 and all(x["ok"] and x["bytes"] == 16 << 20 for x in h), h
assert [x.get("path") for x in h] == ["userspace", "userspace", None], h'
grep -q '"PUT /a.bin HTTP/1.1" 201 .*tls=userspace.*3 of 3 hosts stored' "$SCRATCH/r1.log" ||
  fail "r1's access line: $(grep PUT "$SCRATCH/r1.log")"

# 2. http first, then https: the plain relay opens TLS to the next one.
expect_exit 0 put "$SCRATCH/f.bin" "${URL_h0}b.bin" "${URL_r2}b.bin" "${URL_last}b.bin"
for h in h0 r2 last; do [ "$(sum "$SCRATCH/$h/b.bin")" = "$want" ] || fail "$h: copy differs (http first)"; done
expect_stderr "3 of 3 hosts stored"
# Its access line describes its own (plain) connection: no tls=, and the
# note says the body went through user space for the TLS link onward.
grep -q '"PUT /b.bin HTTP/1.1" 201 .* 3 of 3 hosts stored; body via userspace (TLS to the next host)' "$SCRATCH/h0.log" ||
  fail "h0's access line: $(grep PUT "$SCRATCH/h0.log")"
grep '"PUT /b.bin' "$SCRATCH/h0.log" | grep -q 'tls=' && fail "h0 logs tls= for its plain connection from the sender"
# ... and http to http still splices, with no tls= note.
put --json "$SCRATCH/f.bin" "${URL_h0}c.bin" "${URL_last}c.bin" >"$SCRATCH/j" || fail "plain chain: $(cat "$SCRATCH/j")"
report "$SCRATCH/j" 'assert h[0]["ok"] and h[0]["path"] == "splice" and h[1]["ok"], h'
grep '"PUT /c.bin' "$SCRATCH/h0.log" | grep -q 'tls=' && fail "h0 claims tls for a plain chain"

# 3. The token at every hop: a middle hop with another token answers 401
#    and is skipped; the host after it still gets its copy.
expect_exit 22 put "$SCRATCH/f.bin" "${URL_r1}t.bin" "${URL_locked}t.bin" "${URL_last}t.bin"
grep -q -- "${URL_locked}t.bin: FAILED: refused: HTTP 401" "$SCRATCH/stderr" || fail "401 hop: $(cat "$SCRATCH/stderr")"
[ ! -e "$SCRATCH/locked/t.bin" ] || fail "stored with a wrong token"
[ "$(sum "$SCRATCH/last/t.bin")" = "$want" ] || fail "host after the 401 hop lacks the file"

# 4. Onward hops the relay does not trust: unknown CA, wrong name. Each is
#    failed with the reason, the hosts after it still get their copy, and
#    the exit status is the first failed host's, as curl's (60: not trusted).
check_untrusted() {  # NAME FILE REASON
  expect_exit 60 put "$SCRATCH/f.bin" "${URL_r1}$2" "$(eval echo "\${URL_$1}")$2" "${URL_last}$2"
  grep -q -- "-> $(eval echo "\${URL_$1}")$2: FAILED: certificate not trusted: .*$3.*--relay-cacert" "$SCRATCH/stderr" ||
    fail "$1 hop: $(cat "$SCRATCH/stderr")"
  grep -q "2 of 3 hosts stored" "$SCRATCH/stderr" || fail "$1 summary: $(cat "$SCRATCH/stderr")"
  grep -q "to retry the others: zcp put --token ... --cacert " "$SCRATCH/stderr" ||
    fail "the retry line lacks the trust flags: $(cat "$SCRATCH/stderr")"
  [ ! -e "$SCRATCH/$1/$2" ] || fail "the untrusted $1 host got the file"
  for h in r1 last; do [ "$(sum "$SCRATCH/$h/$2")" = "$want" ] || fail "$h lacks $2 around the $1 hop"; done
}
check_untrusted foreign u.bin "unknown issuer"
check_untrusted wrongname w.bin "not for host name '127.0.0.1'"

# 5. Pins: any listed key is trusted (a self-signed host); another key,
#    even one a CA would vouch for, fails as a pin mismatch.
expect_exit 0 put "$SCRATCH/f.bin" "${URL_pinned}p.bin" "${URL_selfsigned}p.bin"
[ "$(sum "$SCRATCH/selfsigned/p.bin")" = "$want" ] || fail "pinned self-signed host lacks the file"
rc=0
put --json "$SCRATCH/f.bin" "${URL_pinned}m.bin" "${URL_r2}m.bin" "${URL_last}m.bin" >"$SCRATCH/j" || rc=$?
[ "$rc" = 90 ] || fail "a pin mismatch behind a relay exited $rc, want 90 (curl's)"
report "$SCRATCH/j" 'assert h[0]["ok"] and h[2]["ok"], h
assert not h[1]["ok"] and h[1]["error"].startswith("pin mismatch: ") and "--relay-pin" in h[1]["error"], h[1]
assert h[1]["failure"] == "tls-pin", h[1]'
[ ! -e "$SCRATCH/r2/m.bin" ] && [ "$(sum "$SCRATCH/last/m.bin")" = "$want" ] || fail "around the pin mismatch"

# 6. The sender's own links use the sender's trust flags: without --cacert
#    it trusts neither https relay and reaches the last host itself.
expect_exit 60 "$ZCP" put --token s3cret "$SCRATCH/f.bin" "${URL_r1}n.bin" "${URL_r2}n.bin" "${URL_last}n.bin"
for u in "$URL_r1" "$URL_r2"; do
  grep -q -- "-> ${u}n.bin: FAILED: certificate not trusted: .*unknown issuer.*--cacert" "$SCRATCH/stderr" ||
    fail "client without --cacert, $u: $(cat "$SCRATCH/stderr")"
done
[ "$(sum "$SCRATCH/last/n.bin")" = "$want" ] || fail "last host, reached by the client itself"

# 7. Bad relay trust flags stop the server at start-up, naming the file.
expect_exit 2 "$ZCP" serve --listen 127.0.0.1:0 --upload --relay --relay-cacert "$SCRATCH/nope.pem" "$SCRATCH"
expect_stderr "--relay-cacert $SCRATCH/nope.pem"
expect_exit 2 "$ZCP" serve --listen 127.0.0.1:0 --upload --relay --relay-pin md5//x "$SCRATCH"
expect_stderr "--relay-pin"
expect_exit 2 "$ZCP" serve --listen 127.0.0.1:0 --upload --relay-cacert "$CA" "$SCRATCH"
expect_stderr "need --relay"

# 8. No descriptors left in the relays.
for _ in $(seq 50); do
  [ "$(fds "$PID_r1")" -le "$base_fds_r1" ] && [ "$(fds "$PID_h0")" -le "$base_fds_h0" ] && break
  sleep 0.1
done
[ "$(fds "$PID_r1")" -le "$base_fds_r1" ] || fail "r1 holds $(fds "$PID_r1") fds, had $base_fds_r1: $(ls -l "/proc/$PID_r1/fd")"
[ "$(fds "$PID_h0")" -le "$base_fds_h0" ] || fail "h0 holds $(fds "$PID_h0") fds, had $base_fds_h0"
finish_cases

#!/usr/bin/env bash
# Verification on the first try with default settings: a default `zcp
# serve` (--digest lazy) answers a request that sends Want-Repr-Digest
# (RFC 9530 section 4) with the file's Repr-Digest on that first request,
# and the digest is the file's sha-256; requests that do not ask never wait
# for hashing (no digest on a cold first request); --digest off sends none.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root"
head -c 3000000 /dev/urandom >"$SCRATCH/root/a.bin"
head -c 3000000 /dev/urandom >"$SCRATCH/root/b.bin"
want=$($PY -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$SCRATCH/root/a.bin")
start_server "$SCRATCH/root"
keep_going
digest_of() { curl -s -D - -o /dev/null "$@" | tr -d '\r' | sed -n 's/^[Rr]epr-[Dd]igest: //p'; }

got=$(digest_of -H 'Want-Repr-Digest: sha-256=10' "${URL}a.bin")
[ "$got" = "sha-256=:$want:" ] || fail "first GET with Want-Repr-Digest: Repr-Digest '$got', want sha-256=:$want:"
got=$(digest_of -I -H 'Want-Repr-Digest: sha-256=3' "${URL}b.bin")
[ -n "$got" ] || fail "first HEAD with Want-Repr-Digest: no Repr-Digest"
got=$(digest_of -H 'Want-Digest: SHA-256' "${URL}a.bin")
[ "$got" = "sha-256=:$want:" ] || fail "Want-Digest (RFC 3230): '$got'"
got=$(digest_of -r 0-99 -H 'Want-Repr-Digest: sha-256=1' "${URL}a.bin")
[ "$got" = "sha-256=:$want:" ] || fail "206 with Want-Repr-Digest: '$got' (the whole file's digest)"
# A request that does not ask: a cold file gets no wait and no digest.
head -c 3000000 /dev/urandom >"$SCRATCH/root/c.bin"
got=$(digest_of "${URL}c.bin")
[ -z "$got" ] || fail "a cold GET that did not ask waited for a digest: '$got'"
# ... and with --digest off, even asking gets none.
stop_going
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server "$SCRATCH/root" --digest off
keep_going
got=$(digest_of -H 'Want-Repr-Digest: sha-256=10' "${URL}a.bin")
[ -z "$got" ] || fail "--digest off sent '$got'"
finish_cases

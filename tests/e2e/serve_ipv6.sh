#!/usr/bin/env bash
# IPv6: --listen [::1]:PORT serves over ::1.
source "$(dirname "$0")/../support/e2e.sh"
[ -e /proc/net/if_inet6 ] || skip "no IPv6 in this kernel"
mkdir "$SCRATCH/root"
echo v6 >"$SCRATCH/root/f.txt"
start_server --listen '[::1]:0' "$SCRATCH/root"
case "$URL" in http://\[::1\]:*) ;; *) fail "URL is $URL" ;; esac
curl -sfg "${URL}f.txt" | grep -q v6 || fail "GET over IPv6 failed"
"$ZCP" get -q "${URL}f.txt" "$SCRATCH/got.txt" || fail "zcp get over IPv6 failed"
grep -q v6 "$SCRATCH/got.txt" || fail "zcp get over IPv6: wrong bytes"
echo ok

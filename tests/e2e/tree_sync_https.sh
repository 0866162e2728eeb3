#!/usr/bin/env bash
# put -r and get -r over https to zcp serve --tls-cert/--tls-key (the test
# CA, --cacert): the awkward tree arrives equal both ways, a re-run moves
# only the changed file (quick check, and --checksum for a same-size
# same-mtime change), a tree PUT with a bad token is 401, a push killed
# midway leaves no .part, and the server holds no more descriptors
# afterwards than before.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/tls_certs.sh"
test_pki "$SCRATCH/pki"
CA=$SCRATCH/pki/ca.pem
make_sync_tree "$SCRATCH/src"
mkdir -p "$SCRATCH/root/up"
make_sync_tree "$SCRATCH/root/served"
start_server --tls-cert "$SCRATCH/pki/good.pem" --tls-key "$SCRATCH/pki/good.key" \
  --upload "$SCRATCH/root" --token s3cret
case "$URL" in https://*) ;; *) fail "startup line has no https URL: $URL" ;; esac
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
base_fds=$(fds)
json_has() { grep -q "\"$1\":$2[,}]" "$SCRATCH/stdout" || fail "$3: want $1=$2: $(cat "$SCRATCH/stdout")"; }
put() { expect_exit 0 "$ZCP" put -r --json --cacert "$CA" --token s3cret "$@" "$SCRATCH/src" "${URL}up/"; }
pull() { expect_exit 0 "$ZCP" get -r --json --cacert "$CA" "$@" "${URL}served/" "$SCRATCH/pulled"; }
keep_going

# Push: the first copy, a re-run that sends nothing, one changed file.
put
same_tree "$SCRATCH/src" "$SCRATCH/root/up/src"
diff -r --no-dereference -x link-out -x link-escape "$SCRATCH/src" "$SCRATCH/root/up/src" ||
  fail "diff -r after the push"
put
json_has files 0 "push re-run"
echo "changed, longer" >"$SCRATCH/src/sub/hello.txt"
put
json_has files 1 "push of one changed file"
same_tree "$SCRATCH/src" "$SCRATCH/root/up/src"
grep -q '"PUT /up/src/?format=tar HTTP/1.1" 200 .*tls=' "$SCRATCH/server.log" ||
  fail "access log lacks the tree PUT over TLS: $(tail -3 "$SCRATCH/server.log")"

# Pull: the first copy (one tar stream), then incremental, then --checksum.
pull
same_tree "$SCRATCH/root/served" "$SCRATCH/pulled"
echo "changed too" >"$SCRATCH/root/served/sub/hello.txt"
pull
json_has files 1 "pull of one changed file"
json_has incremental true "pull re-run"
f="$SCRATCH/root/served/sub/deeper/odd-size.dat"
m=$(stat -c %Y "$f")
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
touch -d "@$m" "$f"
pull --checksum
json_has files 1 "--checksum pull of a same-size change"
same_tree "$SCRATCH/root/served" "$SCRATCH/pulled"
diff -r --no-dereference -x link-out -x link-escape "$SCRATCH/root/served" "$SCRATCH/pulled" ||
  fail "diff -r after the pull"

# A bad token: 401 before a byte of the tree is stored.
echo new >"$SCRATCH/src/new-file"
expect_exit 22 "$ZCP" put -r -q --cacert "$CA" --token wrong "$SCRATCH/src" "${URL}up/"
expect_stderr "401"
[ ! -e "$SCRATCH/root/up/src/new-file" ] || fail "a refused tree PUT stored a file"

# The client killed mid-stream: the server answers for itself, keeps no
# .part; a re-run completes the tree.
rm "$SCRATCH/src/new-file"
mkdir -p "$SCRATCH/bigtree"
head -c $((200 << 20)) /dev/zero >"$SCRATCH/bigtree/z.bin"
"$ZCP" put -r -q -j 1 --cacert "$CA" --token s3cret "$SCRATCH/bigtree" "${URL}up/" 2>/dev/null &
kill_when $! "$SCRATCH/root/up/bigtree/z.bin.part" $((16 << 20))
for _ in $(seq 50); do [ ! -e "$SCRATCH/root/up/bigtree/z.bin.part" ] && break; sleep 0.1; done
[ ! -e "$SCRATCH/root/up/bigtree/z.bin.part" ] || fail "an interrupted push left z.bin.part"
# The access line follows the unlink: give it a moment.
for _ in $(seq 50); do
  grep -q '"PUT /up/bigtree/?format=tar HTTP/1.1" 400 ' "$SCRATCH/server.log" && break
  sleep 0.1
done
grep -q '"PUT /up/bigtree/?format=tar HTTP/1.1" 400 ' "$SCRATCH/server.log" ||
  fail "no 400 for the interrupted push: $(tail -2 "$SCRATCH/server.log")"
expect_exit 0 "$ZCP" put -r -q --cacert "$CA" --token s3cret "$SCRATCH/bigtree" "${URL}up/"
cmp -s "$SCRATCH/bigtree/z.bin" "$SCRATCH/root/up/bigtree/z.bin" || fail "the re-run after an interrupt differs"

# No descriptor left behind by the tree-PUT threads or the TLS sessions.
for _ in $(seq 50); do [ "$(fds)" -le "$base_fds" ] && break; sleep 0.1; done
[ "$(fds)" -le "$base_fds" ] || fail "server holds $(fds) fds, had $base_fds: $(ls -l "/proc/$SERVER_PID/fd")"
find "$SCRATCH/root" "$SCRATCH/pulled" -name '*.part' | grep -q . && fail ".part left"
finish_cases

#!/usr/bin/env bash
# --no-file-cache changes nothing a client can see: the same status, the
# same headers (Date aside) and the same bytes as the default server, for
# small files (sent with the head from memory), big ones (sendfile), ranges,
# HEAD, 304s, listings, dotfiles and errors, asked twice (the second time
# from the cache). Both hash at startup, so Repr-Digest is there in both.
source "$(dirname "$0")/../support/e2e.sh"
mkdir -p "$SCRATCH/root/sub"
head -c 4096 /dev/urandom >"$SCRATCH/root/4k.bin"
head -c 8192 /dev/urandom >"$SCRATCH/root/8k.bin"
head -c 8193 /dev/urandom >"$SCRATCH/root/8k1.bin"
head -c 1048576 /dev/urandom >"$SCRATCH/root/1m.bin"
echo "<p>hi</p>" >"$SCRATCH/root/sub/index.html"
echo dot >"$SCRATCH/root/.hidden"
: >"$SCRATCH/root/empty.txt"

start_server --workers 2 --quiet --digest startup "$SCRATCH/root"
CACHED=$URL
start_server --workers 2 --quiet --digest startup --no-file-cache "$SCRATCH/root"
PLAIN=$URL
etag=$(curl -s -D - -o /dev/null "${CACHED}4k.bin" | tr -d '\r' | sed -n 's/^ETag: //p')
[ -n "$etag" ] || fail "no ETag"

# answer BASE_URL PATH CURL_ARGS...: status line, headers without Date, body's sha256.
answer() {
  local base=$1 path=$2
  shift 2
  curl -s -D "$SCRATCH/h" -o "$SCRATCH/b" "$@" "$base$path"
  tr -d '\r' <"$SCRATCH/h" | grep -v '^Date: '
  sha256sum <"$SCRATCH/b"
}
n=0
for pass in 1 2; do
  for path in 4k.bin 8k.bin 8k1.bin 1m.bin empty.txt sub/ sub sub/index.html .hidden missing 4k.bin/; do
    for args in "" "-I" "-r 100-4000" "-r 5000-" "-H If-None-Match:$etag"; do
      # shellcheck disable=SC2086  # curl arguments
      a=$(answer "$CACHED" "$path" $args)
      # shellcheck disable=SC2086
      b=$(answer "$PLAIN" "$path" $args)
      [ "$a" = "$b" ] || fail "pass $pass, $path $args: differ
with the cache:
$a
--no-file-cache:
$b"
      n=$((n + 1))
    done
  done
done
# And over one keep-alive connection, head and body framing included.
curl -s "${CACHED}4k.bin" "${CACHED}1m.bin" "${CACHED}4k.bin" | cmp - <(cat "$SCRATCH/root/4k.bin" "$SCRATCH/root/1m.bin" "$SCRATCH/root/4k.bin") ||
  fail "keep-alive responses with the cache differ from the files"
echo "ok: $n answers the same"

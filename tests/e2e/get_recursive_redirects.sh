#!/usr/bin/env bash
# zcp get -r follows redirects as single-file zcp get does (at most 10,
# never to another scheme), in crawl mode too (tests/support/
# crawl_fault_server.py): a start URL that moved (301 then 302), a listed
# directory whose listing moved (its files are then asked where it
# moved), and a listed file answered 302 land under the listed names;
# nothing lands outside DEST; a redirect to https:// is refused by name.
source "$(dirname "$0")/../support/e2e.sh"
source "$ZCP_SOURCE_DIR/tests/support/crawl_faults.sh"
start_crawl_faults
mkdir "$SCRATCH/box" && cd "$SCRATCH/box"

# The start URL: /moved/ -> /moved2/ -> /t/; DEST is named for the URL given.
expect_exit 24 timeout 20 "$ZCP" get -r "$U/moved/"
expect_stderr "$U/moved/ redirected (301) to $U/moved2/"
expect_stderr "$U/moved2/ redirected (302) to $U/t/"
[ "$(cat moved/a.txt)" = a ] && [ "$(cat moved/sub/b.txt)" = b ] || fail "the moved tree did not arrive: $(find . | head)"
[ ! -e t ] && [ ! -e moved2 ] || fail "DEST named for the redirect's target"

# A listed directory and a listed file that redirect.
expect_exit 0 timeout 20 "$ZCP" get -r "$U/hop/" hop
[ "$(cat hop/f.txt)" = a ] || fail "the redirected file did not land as f.txt"
[ "$(cat hop/sub/b.txt)" = b ] || fail "the redirected directory's file did not arrive"
grep -q 'GET /hop/sub/b.txt' "$SCRATCH/requests.log" && fail "asked the redirected directory's file at its old place"
[ "$(find "$SCRATCH/box" -type f | wc -l)" = 5 ] || fail "files outside DEST: $(find "$SCRATCH/box" -type f)"

# A redirect loop ends at 10 hops, naming the URL.
expect_exit 22 timeout 20 "$ZCP" get -r "$U/loop/" l
expect_stderr "more than 10 redirects"
[ ! -e l ] || fail "a redirect loop left DEST"
expect_exit 22 timeout 20 "$ZCP" get -r "$U/tls/" s
expect_stderr "not followed (only http:// is)"
[ ! -e s ] || fail "a refused redirect left DEST"
echo ok

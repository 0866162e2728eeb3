#!/usr/bin/env bash
# Every public header (include/zcp/*.h) compiles on its own, with nothing but
# include/ on the include path: an embedding program gets only what an
# install ships, so a public header may not lean on a private one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cxx=${1:-c++}
failed=0
for header in "$root"/include/zcp/*.h; do
  if ! echo "#include <zcp/$(basename "$header")>" |
      "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -I "$root/include" -x c++ - ; then
    echo "public_headers: $header does not compile on its own" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] && echo "public_headers: $(ls "$root"/include/zcp/*.h | wc -l) headers compile alone"
exit "$failed"

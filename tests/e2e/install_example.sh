#!/usr/bin/env bash
# The library as another project uses it: install the build into a temporary
# prefix, build examples/ against the installed package by find_package and
# by pkg-config, run both, and check that only public headers were installed.
source "$(dirname "$0")/../support/e2e.sh"
build=${ZCP_BUILD_DIR:-$(dirname "$ZCP")}
[ -f "$build/CMakeCache.txt" ] || skip "no CMake build tree beside $ZCP"
grep -q '^ZCP_SANITIZE:STRING=.' "$build/CMakeCache.txt" &&
  skip "sanitized build: an uninstrumented example cannot load an instrumented libzcp"
prefix=$SCRATCH/prefix
cmake --install "$build" --prefix "$prefix" >"$SCRATCH/install.log" 2>&1 || fail "install: $(tail -20 "$SCRATCH/install.log")"

# Public headers only: exactly include/zcp/*.h of the source tree.
diff <(cd "$ZCP_SOURCE_DIR/include/zcp" && ls) <(cd "$prefix/include/zcp" && ls) ||
  fail "installed headers differ from include/zcp"
[ -z "$(find "$prefix/include" -mindepth 2 -type d)" ] || fail "private header folders installed"
so=$(find "$prefix" -name 'libzcp.so.*.*.*' | head -1)
[ -n "$so" ] || fail "no versioned libzcp.so installed"
readelf -d "$so" | grep -q 'SONAME.*\[libzcp\.so\.0\]' || fail "libzcp.so lacks SONAME libzcp.so.0"
[ -n "$(find "$prefix" -name libzcp.a)" ] || fail "no static libzcp.a"

mkdir -p "$SCRATCH/root"
head -c 2000001 /dev/urandom >"$SCRATCH/root/a.bin"
libdir=$(dirname "$so")

# 1. CMake: find_package(zcp) -> zcp::zcp
cmake -S "$ZCP_SOURCE_DIR/examples" -B "$SCRATCH/ex-cmake" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$SCRATCH/ex.log" 2>&1 || fail "configure example: $(tail -20 "$SCRATCH/ex.log")"
cmake --build "$SCRATCH/ex-cmake" >>"$SCRATCH/ex.log" 2>&1 || fail "build example: $(tail -30 "$SCRATCH/ex.log")"
LD_LIBRARY_PATH=$libdir "$SCRATCH/ex-cmake/serve_and_fetch" "$SCRATCH/root" a.bin "$SCRATCH/one.bin" ||
  fail "find_package example failed"
cmp -s "$SCRATCH/root/a.bin" "$SCRATCH/one.bin" || fail "find_package example: bytes differ"
libs=$(ldd "$SCRATCH/ex-cmake/serve_and_fetch")
echo "$libs" | grep -q "libzcp.so.0 => $libdir/libzcp.so.0" || fail "example not linked to the installed libzcp.so.0: $libs"

# 2. pkg-config, relocatable (the .pc finds its prefix from where it lies)
export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --cflags --libs zcp) || fail "pkg-config zcp"
c++ -std=c++20 -O1 "$ZCP_SOURCE_DIR/examples/serve_and_fetch.cc" $flags -o "$SCRATCH/ex-pc" 2>"$SCRATCH/pc.log" ||
  fail "pkg-config build: $(head -30 "$SCRATCH/pc.log")"
LD_LIBRARY_PATH=$libdir "$SCRATCH/ex-pc" "$SCRATCH/root" a.bin "$SCRATCH/two.bin" || fail "pkg-config example failed"
cmp -s "$SCRATCH/root/a.bin" "$SCRATCH/two.bin" || fail "pkg-config example: bytes differ"
echo "ok"

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz and runs each for
# SECONDS (default 60) on a scratch copy of its seed corpus, so new inputs
# never land in fuzz/corpus. Exits non-zero when any fuzzer finds a crash;
# the reproducer is kept in build-fuzz/fuzz/artifacts/<target>/.
#   fuzz/run.sh [SECONDS]
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-fuzz
targets=(${FUZZ_TARGETS:-http_request_fuzzer path_resolve_fuzzer http_response_fuzzer tar_header_fuzzer tar_extract_fuzzer chain_report_fuzzer listing_parse_fuzzer})

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DZCP_BUILD_FUZZ=ON -DZCP_BUILD_TESTS=OFF \
  -DZCP_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "${targets[@]}"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/zcp-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

failed=0
for target in "${targets[@]}"; do
  name=${target%_fuzzer}
  corpus=$scratch/$name
  artifacts=$build/fuzz/artifacts/$name/
  mkdir -p "$corpus" "$artifacts"
  cp "$root/fuzz/corpus/$name"/* "$corpus"/
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$artifacts")
  if [[ -f $root/fuzz/$name.dict ]]; then options+=(-dict="$root/fuzz/$name.dict"); fi
  echo "fuzz: $target for ${seconds}s"
  if ! "$build/fuzz/$target" "${options[@]}" "$corpus" 2>"$scratch/$name.log"; then
    tail -n 60 "$scratch/$name.log" >&2
    echo "fuzz: $target FAILED; reproducer in $artifacts" >&2
    failed=1
  else
    grep -E '^stat::number_of_executed_units|^Done' "$scratch/$name.log" || true
  fi
done
exit "$failed"

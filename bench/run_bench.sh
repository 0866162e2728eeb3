#!/usr/bin/env bash
# `make bench`: the full benchmarks behind docs/BENCHMARKS.md. Run on a quiet
# machine; takes ~20 minutes. Results land in bench/results/<date>/.
#   1. the experiment: zcp bench, 4 GiB x 20 runs, default engines (+ plot)
#   2. zcp serve vs nginx: wrk, slowloris, RSS (bench/serve_load.sh)
#   3. small files: zcp serve vs h2o, lighttpd, nginx (bench/small_files.sh)
#   4. fan-out to 4 hosts in network namespaces (bench/fanout.sh; needs root)
#   5. trees: zcp get -r and put -r vs rsync daemon and rsync -a (bench/tree_sync.sh, ~5 min)
#   6. https vs http, zcp serve and nginx, curl and zcp get (bench/tls.sh, ~3 min)
#   7. downloads onto the disk, 1/2/4 streams and curl (bench/disk_landing.sh, ~2 min)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
SIZE=${SIZE:-4G}
RUNS=${RUNS:-20}

echo "== zcp bench --size $SIZE --runs $RUNS" >&2
build/zcp bench --size "$SIZE" --runs "$RUNS" --json >"$out/bench.json"
/usr/bin/python3 bench/plot.py "$out/bench.json" "$out/bench.png"
/usr/bin/python3 - "$out/bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("| sender -> receiver | median s | mean | stdev | min | max | GB/s | send CPU s | recv CPU s | speedup |")
print("|---|---|---|---|---|---|---|---|---|---|")
for p in r["pairs"]:
    s = p["seconds"]
    print(f'| {p["sender"]} -> {p["receiver"]} | {s["median"]:.3f} | {s["mean"]:.3f} | {s["stdev"]:.3f} | '
          f'{s["min"]:.3f} | {s["max"]:.3f} | {p["gbps"]:.2f} | {p["send_cpu"]["median"]:.2f} | '
          f'{p["recv_cpu"]["median"]:.2f} | {p["speedup"]:.2f}x |')
PY

if [ -x bench/serve_load.sh ]; then
  echo "== bench/serve_load.sh" >&2
  bench/serve_load.sh -o "$out/serve" ${SERVE_LOAD_ARGS:-} | tee "$out/serve.md"
fi
if [ -x bench/small_files.sh ]; then
  echo "== bench/small_files.sh" >&2
  bench/small_files.sh -o "$out/small" ${SMALL_FILES_ARGS:-} | tee "$out/small.md"
fi
if [ -x bench/tree_sync.sh ]; then
  echo "== bench/tree_sync.sh" >&2
  bench/tree_sync.sh ${TREE_SYNC_ARGS:-} | tee "$out/tree_sync.md"
fi
echo "== bench/tls.sh" >&2
bench/tls.sh ${TLS_ARGS:--r 3} | tee "$out/tls.md"
echo "== bench/disk_landing.sh" >&2
bench/disk_landing.sh ${DISK_LANDING_ARGS:-} | grep -v '^zcp serve' | tee "$out/disk_landing.md"
if [ "$(id -u)" = 0 ]; then
  echo "== bench/fanout.sh" >&2
  bench/fanout.sh --json "$out/fanout.json" ${FANOUT_ARGS:-} | tee "$out/fanout.md"
  /usr/bin/python3 bench/plot_fanout.py "$out/fanout.png" "$out/fanout.json"
else
  echo "== bench/fanout.sh skipped: network namespaces need root" >&2
fi
echo "results in $out" >&2

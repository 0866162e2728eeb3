#!/usr/bin/python3
"""Plot `zcp bench --json` output: run-time distribution per engine pair
(the original experiment's figure) and the CPU each side spent.

Usage: /usr/bin/python3 bench/plot.py RESULTS.json OUT.png [--title TEXT]
Needs Debian's python3-matplotlib (installed by `make deps`).
"""
import argparse
import json
import random
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", help="JSON written by zcp bench --json")
    ap.add_argument("out", help="PNG to write")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()

    with open(args.results) as f:
        report = json.load(f)
    pairs = report["pairs"]
    if not pairs:
        print("plot.py: no pairs in " + args.results, file=sys.stderr)
        return 1
    labels = [f'{p["sender"]} -> {p["receiver"]}' for p in pairs]
    times = [[r["seconds"] for r in p["runs"]] for p in pairs]
    size_gib = report["size"] / 2**30

    fig, (ax_t, ax_c) = plt.subplots(
        1, 2, figsize=(11, 0.55 * len(pairs) + 2.2), gridspec_kw={"width_ratios": [3, 2]}
    )
    # Left: every run as a dot over a box plot, fastest pair on top.
    ypos = list(range(len(pairs), 0, -1))
    ax_t.boxplot(times, positions=ypos, vert=False, widths=0.5, showfliers=False)
    rng = random.Random(1)
    for y, ts in zip(ypos, times):
        ax_t.scatter(ts, [y + rng.uniform(-0.15, 0.15) for _ in ts], s=10, alpha=0.6)
    ax_t.set_yticks(ypos)
    ax_t.set_yticklabels(labels)
    ax_t.set_xlabel(f"seconds to receive {size_gib:g} GiB (client wall time, each dot a run)")
    ax_t.set_xlim(left=0)
    ax_t.grid(axis="x", alpha=0.3)

    # Right: median CPU seconds of sender and receiver.
    send = [p["send_cpu"]["median"] for p in pairs]
    recv = [p["recv_cpu"]["median"] for p in pairs]
    ax_c.barh([y + 0.18 for y in ypos], send, height=0.35, label="sender CPU")
    ax_c.barh([y - 0.18 for y in ypos], recv, height=0.35, label="receiver CPU")
    ax_c.set_yticks(ypos)
    ax_c.set_yticklabels([f'{p["speedup"]:.2f}x' for p in pairs])
    ax_c.set_xlabel("CPU seconds (user+sys, median)")
    ax_c.legend(loc="lower right", fontsize=8)
    ax_c.grid(axis="x", alpha=0.3)

    runs = report["runs"]
    fig.suptitle(args.title or f"zcp bench: {size_gib:g} GiB over loopback, {runs} runs per pair")
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    return 0


if __name__ == "__main__":
    sys.exit(main())

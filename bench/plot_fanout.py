#!/usr/bin/python3
"""Plot bench/fanout.sh --json results: seconds per mode (every run as a dot,
the median as a bar) and the relay's CPU per GiB, one column per JSON file.

Usage: /usr/bin/python3 bench/plot_fanout.py OUT.png RESULT.json [RESULT.json ...]
(Debian's python3 with python3-matplotlib.)
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MODES = ["1host", "chain4", "parallel4", "nctee4"]
LABELS = {"1host": "1 host", "chain4": "zcp chain\n(4 hosts)", "parallel4": "4 parallel\nputs",
          "nctee4": "nc|tee|nc\nchain"}
COLORS = {"1host": "#999999", "chain4": "#2b7bba", "parallel4": "#e6a23c", "nctee4": "#c0504d"}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, files = sys.argv[1], sys.argv[2:]
    results = [json.load(open(f)) for f in files]
    fig, axes = plt.subplots(2, len(results), figsize=(5 * len(results), 7), squeeze=False)
    for col, r in enumerate(results):
        modes = [m for m in MODES if m in r["modes"] and r["modes"][m]["seconds"]]
        title = f'{r["size"] / 2**20:.0f} MiB to 4 hosts, links at {r["rate"]}, {r["runs"]} runs'
        ax = axes[0][col]
        for i, m in enumerate(modes):
            secs = r["modes"][m]["seconds"]
            ax.bar(i, r["modes"][m]["median"], color=COLORS[m], alpha=0.8)
            ax.scatter([i] * len(secs), secs, color="black", s=10, zorder=3)
            ax.text(i, r["modes"][m]["median"], f'{r["modes"][m]["median"]:.1f} s', ha="center",
                    va="bottom", fontsize=9)
        ax.set_xticks(range(len(modes)), [LABELS[m] for m in modes])
        ax.set_ylabel("wall seconds (median bar, runs as dots)")
        ax.set_title(title, fontsize=10)
        ax = axes[1][col]
        cpu = [m for m in ("chain4", "nctee4") if r["modes"].get(m, {}).get("cpu_median") is not None]
        for i, m in enumerate(cpu):
            relay, last = r["modes"][m]["cpu_median"], r["modes"][m]["cpu_e_median"]
            ax.bar(i - 0.2, relay, width=0.4, color=COLORS[m], label="middle relay" if i == 0 else None)
            ax.bar(i + 0.2, last, width=0.4, color=COLORS[m], alpha=0.4,
                   label="last host (stores only)" if i == 0 else None)
            ax.text(i - 0.2, relay, f"{relay:.2f}", ha="center", va="bottom", fontsize=9)
            ax.text(i + 0.2, last, f"{last:.2f}", ha="center", va="bottom", fontsize=9)
        ax.set_xticks(range(len(cpu)), [LABELS[m].replace("\n", " ") for m in cpu])
        ax.set_ylabel("CPU seconds per GiB (median)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=80)


if __name__ == "__main__":
    main()

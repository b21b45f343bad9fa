"""Plot how cost grows with batch size from a results JSON (``details.batch_size_sweep``).

Thread CPU time is plotted: on a shared machine wall time also counts other processes' turns.

``python -m benchmarks.plot bench.json docs/performance-batch-size.png``
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from benchmarks.results import Results

STYLE = {"dataflare": "-o", "pyarrow": "--s"}


def plot(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep: list[dict[str, Any]] = results.details["batch_size_sweep"]
    cases = sorted({r["case"] for r in sweep})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for color, case in zip(("tab:blue", "tab:green", "tab:red", "tab:purple"), cases, strict=False):
        rows = sorted((r for r in sweep if r["case"] == case), key=lambda r: r["batch_rows"])
        x = [r["batch_rows"] for r in rows]
        for who, style in STYLE.items():
            label = f"{case}: {who}"
            for ax, key in ((axes[0], "cpu_ns_per_row"), (axes[1], "cpu_us_per_batch")):
                ax.plot(x, [r[f"{who}_{key}"] for r in rows], style, color=color, label=label)
    axes[0].set_ylabel("CPU ns per row")
    axes[0].set_title("cost per row (thread CPU time)")
    axes[1].set_ylabel("CPU µs per batch")
    axes[1].set_title("cost per batch (thread CPU time)")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("rows per batch")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    env = results.env
    fig.suptitle(
        f"dataflare vs pyarrow by batch size ({env.get('mode')} run, {env.get('cpu')}, "
        f"load {env.get('load_average_start', ['?'])[0]})",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("json", type=Path)
    p.add_argument("png", type=Path)
    args = p.parse_args()
    plot(Results.read(args.json), args.png)


if __name__ == "__main__":
    main()

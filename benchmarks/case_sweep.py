"""How cost grows with batch size: int64 map and utf8 lowercase, dataflare vs pyarrow.

For each batch size the same rows are cut into batches of that size; both kernels run interleaved,
a pass each.
Reported per batch size, in wall and in thread CPU time: microseconds per batch and nanoseconds per
row for each, and the ratio.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from benchmarks import peers
from benchmarks.common import Kernel, check_same, dataflare_kernel, run_all, runner
from benchmarks.config import Sizes
from benchmarks.data import int64_batches, string_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import interleaved, median, pair_ratio
from dataflare_provider.runtime import Plugin

KERNELS: dict[str, tuple[dict[str, Any], Callable[[int, int], list[pa.RecordBatch]], Kernel]] = {
    "int64_map": (peers.DERIVE_CONFIG, int64_batches, peers.map_pyarrow),
    "utf8_lower": (peers.LOWER_CONFIG, string_batches, peers.lower_pyarrow),
}


def run(sizes: Sizes, out: Results) -> None:
    plugin = Plugin.from_file(build.example("basic-transformer"))
    rows_out: list[dict[str, Any]] = []
    for case, (config, make, peer) in KERNELS.items():
        with plugin.instantiate(config) as inst:
            mine = dataflare_kernel(inst)
            for batch_rows in sizes.sweep_batch_rows:
                rows = max(sizes.sweep_rows, batch_rows)
                batches = make(rows, batch_rows)
                check_same(
                    f"sweep {case}", "pyarrow", run_all(mine, batches), run_all(peer, batches)
                )
                cpu: dict[str, list[float]] = {}
                times = interleaved(
                    {"dataflare": runner(mine, batches), "pyarrow": runner(peer, batches)},
                    sizes.sweep_reps,
                    cpu=cpu,
                )
                n = len(batches)
                row: dict[str, Any] = {"case": case, "batch_rows": batch_rows, "batches": n}
                for who in ("dataflare", "pyarrow"):
                    wall, used = median(times[who]), median(cpu[who])
                    row[f"{who}_us_per_batch"] = round(wall / n * 1e6, 2)
                    row[f"{who}_ns_per_row"] = round(wall / rows * 1e9, 3)
                    row[f"{who}_cpu_us_per_batch"] = round(used / n * 1e6, 2)
                    row[f"{who}_cpu_ns_per_row"] = round(used / rows * 1e9, 3)
                row["ratio_vs_pyarrow"] = round(pair_ratio(times, "dataflare", "pyarrow"), 3)
                row["cpu_ratio_vs_pyarrow"] = round(pair_ratio(cpu, "dataflare", "pyarrow"), 3)
                rows_out.append(row)
    out.details["batch_size_sweep"] = rows_out

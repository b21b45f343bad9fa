"""How cost grows with batch size: int64 map and utf8 lowercase, dataflare vs pyarrow.

For each batch size the same rows are cut into batches of that size; both kernels alternate batch
by batch.
Reported per batch size: microseconds per batch and nanoseconds per row for each, and the ratio.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from benchmarks import peers
from benchmarks.common import Kernel, check_same, dataflare_kernel, run_all
from benchmarks.config import Sizes
from benchmarks.data import int64_batches, string_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import interleaved_batches, median, pair_ratio
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
                times = interleaved_batches(
                    {"dataflare": mine, "pyarrow": peer}, batches, sizes.sweep_reps
                )
                n = len(batches)
                d, p = median(times["dataflare"]), median(times["pyarrow"])
                rows_out.append({
                    "case": case,
                    "batch_rows": batch_rows,
                    "batches": n,
                    "dataflare_us_per_batch": round(d / n * 1e6, 2),
                    "pyarrow_us_per_batch": round(p / n * 1e6, 2),
                    "dataflare_ns_per_row": round(d / rows * 1e9, 3),
                    "pyarrow_ns_per_row": round(p / rows * 1e9, 3),
                    "ratio_vs_pyarrow": round(pair_ratio(times, "dataflare", "pyarrow"), 3),
                })  # fmt: skip
    out.details["batch_size_sweep"] = rows_out

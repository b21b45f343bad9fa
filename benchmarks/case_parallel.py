"""Case 7: throughput of the int64 map with 1 vs 2 worker threads.

``parallel_2_vs_1``: ``InstancePool(workers=2)`` vs ``workers=1`` on 65,536-row batches, what a
task gets. ``parallel_2_vs_1_threads`` drives two instances with the pool's own ``ordered_map``
directly (the same, minus the pool's stateful-plugin guard). Only the guest call and the memmoves
release the GIL, so the speed-up is bounded by the share of a batch spent in Python; the same
comparison on 4x larger batches (``details.parallel.by_batch_rows``) shows how it moves with that
share. On a machine whose load average is above ~1 the second core is not free and the ratio
says little: check ``env.load_average_*``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa

from benchmarks import peers
from benchmarks.common import check_same
from benchmarks.config import Sizes
from benchmarks.data import int64_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import interleaved, median, pair_ratio
from dataflare_provider.runtime import Plugin, PluginInstance, ProcessResult
from dataflare_provider.runtime.pool import InstancePool, ordered_map


def _outputs(results: Iterable[ProcessResult]) -> list[pa.RecordBatch]:
    return [r.output for r in results if r.output is not None]


def measure(plugin: Plugin, batches: list[pa.RecordBatch], reps: int) -> dict[str, Any]:
    cfg = peers.DERIVE_CONFIG
    with (
        InstancePool(plugin, cfg, workers=1) as one,
        InstancePool(plugin, cfg, workers=2) as two,
        plugin.instantiate(cfg) as a,
        plugin.instantiate(cfg) as b,
    ):
        fns: dict[str, Callable[[], list[pa.RecordBatch]]] = {
            "pool_1": lambda: _outputs(one.map(batches)),
            "pool_2": lambda: _outputs(two.map(batches)),
            "threads_2": lambda: _outputs(ordered_map([a, b], PluginInstance.process, batches)),
        }
        expected = fns["pool_1"]()
        for name in ("pool_2", "threads_2"):
            check_same("parallel", name, expected, fns[name]())
        times = interleaved(fns, reps)
        return {
            "batch_rows": batches[0].num_rows,
            "pool_2_instances_used": len(two.instances),
            "pool_2_vs_1": round(pair_ratio(times, "pool_2", "pool_1"), 3),
            "threads_2_vs_1": round(pair_ratio(times, "threads_2", "pool_1"), 3),
            "median_ms": {k: round(median(v) * 1e3, 3) for k, v in times.items()},
        }


def run(sizes: Sizes, out: Results) -> None:
    plugin = Plugin.from_file(build.example("basic-transformer"))
    runs = [
        measure(plugin, int64_batches(sizes.parallel_rows, rows), sizes.parallel_reps)
        for rows in (sizes.batch_rows, 4 * sizes.batch_rows)
    ]
    out.ratio("parallel_2_vs_1", runs[0]["pool_2_vs_1"])
    out.ratio("parallel_2_vs_1_threads", runs[0]["threads_2_vs_1"])
    out.details["parallel"] = {
        "rows": sizes.parallel_rows,
        "cpus_usable": len(os.sched_getaffinity(0)),
        "by_batch_rows": runs,
    }

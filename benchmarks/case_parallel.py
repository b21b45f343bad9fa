"""Case 7: throughput of the int64 map with 1 vs 2 worker threads.

``parallel_2_vs_1``: ``InstancePool(workers=2)`` vs ``workers=1``, what a task gets. The pool runs
plugins that export ``dataflare_finish`` on one instance (their state cannot be split), so
``parallel_2_vs_1_threads`` also times two instances driven by the pool's own ``ordered_map``
directly: the speed-up the runtime allows when the plugin is stateless.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

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


def run(sizes: Sizes, out: Results) -> None:
    batches = int64_batches(sizes.parallel_rows, sizes.batch_rows)
    plugin = Plugin.from_file(build.example("basic-transformer"))
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
        times = interleaved(fns, sizes.parallel_reps)
        pool_workers = len(two.instances)
    out.ratio("parallel_2_vs_1", pair_ratio(times, "pool_2", "pool_1"))
    out.ratio("parallel_2_vs_1_threads", pair_ratio(times, "threads_2", "pool_1"))
    out.details["parallel"] = {
        "rows": sizes.parallel_rows,
        "batch_rows": sizes.batch_rows,
        "pool_2_instances_used": pool_workers,
        "median_ms": {k: round(median(v) * 1e3, 3) for k, v in times.items()},
        "cpus_usable": len(os.sched_getaffinity(0)),
    }

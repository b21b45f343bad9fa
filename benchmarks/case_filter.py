"""Case 3: keep rows with ``x > 500000`` (~50%) of an int64 + float64 batch, 1M rows.

dataflare (examples/row-filter) vs ``RecordBatch.filter(pyarrow.compute.greater(...))`` and, in the
full run, a Python loop over rows (``to_pylist`` / ``from_pylist``, ~4 s per round).
"""

from __future__ import annotations

from benchmarks import peers
from benchmarks.common import Kernel, dataflare_kernel, race
from benchmarks.config import Sizes
from benchmarks.data import filter_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from dataflare_provider.runtime import Plugin

CASE = "filter"


def run(sizes: Sizes, out: Results) -> None:
    batches = filter_batches(sizes.rows, sizes.batch_rows)
    plugin = Plugin.from_file(build.example("row-filter"))
    slow: dict[str, Kernel] = {}
    if sizes.row_loop_filter:
        slow["python_loop"] = peers.filter_python
    else:
        out.skipped[f"{CASE}_vs_python_loop"] = f"full run only (not in --{sizes.mode})"
    with plugin.instantiate(peers.FILTER_CONFIG) as inst:
        kept = race(CASE, dataflare_kernel(inst), batches,
                    {"pyarrow": peers.filter_pyarrow}, slow, sizes, out)  # fmt: skip
    out.details[CASE]["kept_fraction"] = round(sum(b.num_rows for b in kept) / sizes.rows, 4)

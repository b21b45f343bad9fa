"""Case 3: keep rows with ``x > 500000`` (~50%) of an int64 + float64 batch, 1M rows.

dataflare (examples/row-filter) vs ``RecordBatch.filter(pyarrow.compute.greater(...))`` vs a Python
loop over rows (``to_pylist`` / ``from_pylist``).
"""

from __future__ import annotations

from benchmarks import peers
from benchmarks.common import Kernel, check_same, dataflare_kernel, run_all, runner
from benchmarks.config import Sizes
from benchmarks.data import filter_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import interleaved, median, pair_ratio
from dataflare_provider.runtime import Plugin

CASE = "filter"


def run(sizes: Sizes, out: Results) -> None:
    batches = filter_batches(sizes.rows, sizes.batch_rows)
    plugin = Plugin.from_file(build.example("row-filter"))
    kernels: dict[str, Kernel] = {
        "pyarrow": peers.filter_pyarrow,
        "python_loop": peers.filter_python,
    }
    with plugin.instantiate(peers.FILTER_CONFIG) as inst:
        mine = dataflare_kernel(inst)
        expected = run_all(mine, batches)
        for name, kernel in kernels.items():
            check_same(CASE, name, expected, run_all(kernel, batches))
        fns = {"dataflare": runner(mine, batches)}
        fns.update({name: runner(k, batches) for name, k in kernels.items()})
        times = interleaved(fns, sizes.reps)
    for name in kernels:
        out.ratio(f"{CASE}_vs_{name}", pair_ratio(times, "dataflare", name))
    kept = sum(b.num_rows for b in expected)
    out.details[CASE] = {
        "rows": sizes.rows,
        "batch_rows": sizes.batch_rows,
        "kept_fraction": round(kept / sizes.rows, 4),
        "median_ms": {k: round(median(v) * 1e3, 3) for k, v in times.items()},
    }

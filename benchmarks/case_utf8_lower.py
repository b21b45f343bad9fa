"""Case 2: utf8 lowercase over 1M short ASCII strings in 65,536-row batches.

dataflare (examples/basic-transformer, ``{"lowercase": ["s"]}``) vs ``pyarrow.compute.utf8_lower``
(and ``ascii_lower``, the closer match for an ASCII-only kernel) vs a Python loop.
"""

from __future__ import annotations

from benchmarks import peers
from benchmarks.common import Kernel, check_same, dataflare_kernel, run_all, runner
from benchmarks.config import Sizes
from benchmarks.data import string_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import interleaved, median, pair_ratio
from dataflare_provider.runtime import Plugin

CASE = "utf8_lower"


def run(sizes: Sizes, out: Results) -> None:
    batches = string_batches(sizes.rows, sizes.batch_rows)
    plugin = Plugin.from_file(build.example("basic-transformer"))
    kernels: dict[str, Kernel] = {
        "pyarrow": peers.lower_pyarrow,
        "pyarrow_ascii": peers.lower_pyarrow_ascii,
        "python_loop": peers.lower_python,
    }
    with plugin.instantiate(peers.LOWER_CONFIG) as inst:
        mine = dataflare_kernel(inst)
        expected = run_all(mine, batches)
        for name, kernel in kernels.items():
            check_same(CASE, name, expected, run_all(kernel, batches))
        fns = {"dataflare": runner(mine, batches)}
        fns.update({name: runner(k, batches) for name, k in kernels.items()})
        times = interleaved(fns, sizes.reps)
    for name in kernels:
        out.ratio(f"{CASE}_vs_{name}", pair_ratio(times, "dataflare", name))
    out.details[CASE] = {
        "rows": sizes.rows,
        "batch_rows": sizes.batch_rows,
        "median_ms": {k: round(median(v) * 1e3, 3) for k, v in times.items()},
    }

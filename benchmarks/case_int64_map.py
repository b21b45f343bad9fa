"""Case 1: int64 map ``y = x * 3 + 1`` over 1M rows in 65,536-row batches.

dataflare (examples/basic-transformer) vs pyarrow.compute, numpy, a Python loop over the values and
the Extism Python SDK running the same kernel (benchmarks/plugins/extism_int64_map.wat).
"""

from __future__ import annotations

from benchmarks import peers
from benchmarks.common import Kernel, check_same, dataflare_kernel, run_all, runner
from benchmarks.config import Sizes
from benchmarks.data import int64_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import interleaved, median, pair_ratio
from dataflare_provider.runtime import Plugin

CASE = "int64_map"


def run(sizes: Sizes, out: Results) -> None:
    batches = int64_batches(sizes.rows, sizes.batch_rows)
    plugin = Plugin.from_file(build.example("basic-transformer"))
    kernels: dict[str, Kernel] = {
        "pyarrow": peers.map_pyarrow,
        "numpy": peers.map_numpy,
        "python_loop": peers.map_python,
    }
    extism = None
    try:
        extism = peers.ExtismMap(build.extism_int64_map())
        kernels["extism"] = extism
    except ImportError as exc:
        out.skipped[f"{CASE}_vs_extism"] = f"extism not importable: {exc}"
    with plugin.instantiate(peers.DERIVE_CONFIG) as inst:
        mine = dataflare_kernel(inst)
        expected = run_all(mine, batches)
        for name, kernel in kernels.items():
            check_same(CASE, name, expected, run_all(kernel, batches))
        fns = {"dataflare": runner(mine, batches)}
        fns.update({name: runner(k, batches) for name, k in kernels.items()})
        times = interleaved(fns, sizes.reps)
    if extism is not None:
        extism.close()
    for name in kernels:
        out.ratio(f"{CASE}_vs_{name}", pair_ratio(times, "dataflare", name))
    out.details[CASE] = {
        "rows": sizes.rows,
        "batch_rows": sizes.batch_rows,
        "median_ms": {k: round(median(v) * 1e3, 3) for k, v in times.items()},
    }
    out.figure("int64_map_mrows_s", sizes.rows / median(times["dataflare"]) / 1e6)

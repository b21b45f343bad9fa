"""Case 1: int64 map ``y = x * 3 + 1`` over 1M rows in 65,536-row batches.

dataflare (examples/basic-transformer) vs pyarrow.compute, numpy, a Python loop over the values and
the Extism Python SDK running the same kernel (benchmarks/plugins/extism_int64_map.wat).
"""

from __future__ import annotations

from benchmarks import peers
from benchmarks.common import Kernel, dataflare_kernel, race
from benchmarks.config import Sizes
from benchmarks.data import int64_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from dataflare_provider.runtime import Plugin

CASE = "int64_map"


def run(sizes: Sizes, out: Results) -> None:
    batches = int64_batches(sizes.rows, sizes.batch_rows)
    plugin = Plugin.from_file(build.example("basic-transformer"))
    fast: dict[str, Kernel] = {"pyarrow": peers.map_pyarrow, "numpy": peers.map_numpy}
    extism = None
    try:
        extism = peers.ExtismMap(build.extism_int64_map())
        fast["extism"] = extism
    except ImportError as exc:
        out.skipped[f"{CASE}_vs_extism"] = f"extism not importable: {exc}"
    try:
        with plugin.instantiate(peers.DERIVE_CONFIG) as inst:
            race(CASE, dataflare_kernel(inst), batches, fast,
                 {"python_loop": peers.map_python}, sizes, out)  # fmt: skip
    finally:
        if extism is not None:
            extism.close()
    ms = out.details[CASE]["median_ms"]["dataflare"]
    out.figure("int64_map_mrows_s", sizes.rows / ms / 1e3)

"""Case 2: utf8 lowercase over 1M short ASCII strings in 65,536-row batches.

dataflare (examples/basic-transformer, ``{"lowercase": ["s"]}``) vs ``pyarrow.compute.utf8_lower``
(and ``ascii_lower``, the closer match for an ASCII-only kernel) vs a Python loop.
"""

from __future__ import annotations

from benchmarks import peers
from benchmarks.common import dataflare_kernel, race
from benchmarks.config import Sizes
from benchmarks.data import string_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from dataflare_provider.runtime import Plugin


def run(sizes: Sizes, out: Results) -> None:
    batches = string_batches(sizes.rows, sizes.batch_rows)
    plugin = Plugin.from_file(build.example("basic-transformer"))
    with plugin.instantiate(peers.LOWER_CONFIG) as inst:
        race(
            "utf8_lower", dataflare_kernel(inst), batches,
            {"pyarrow": peers.lower_pyarrow, "pyarrow_ascii": peers.lower_pyarrow_ascii},
            {"python_loop": peers.lower_python}, sizes, out,
        )  # fmt: skip

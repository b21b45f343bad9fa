"""Case 5: the fixed cost of one ``process`` call through a real plugin (1-row and empty batch).

``crossing_us`` is a 1-row batch through examples/basic-transformer's int64 map: the per-batch
overhead every batch pays (input layout, the guest call, output read-back, result wrapping). The
breakdown times the layers beneath it where the runtime exposes them, to show where the cost sits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks import peers
from benchmarks.config import Sizes
from benchmarks.data import int64_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import median, per_call
from dataflare_provider.runtime import Plugin, PluginInstance


def _breakdown(inst: PluginInstance, calls: int, reps: int) -> dict[str, float]:
    """Per-call microseconds of the layers under ``process`` (private API: best effort)."""
    layers: dict[str, Callable[[], Any]] = {}
    fn = getattr(inst, "_fn_version", None)
    if fn is not None:
        layers["raw_guest_call_us"] = fn  # ctypes call of dataflare_abi_version
        call = getattr(inst, "_call", None)
        if call is not None:
            layers["guarded_guest_call_us"] = lambda: call(fn)  # + deadline, poll, refresh
    return {k: round(median(per_call(f, calls, reps)) * 1e6, 3) for k, f in layers.items()}


def run(sizes: Sizes, out: Results) -> None:
    plugin = Plugin.from_file(build.example("basic-transformer"))
    one = int64_batches(1, 1)[0]
    empty = one.slice(0, 0)
    with plugin.instantiate(peers.DERIVE_CONFIG) as inst:
        r = inst.process(one).output
        assert r is not None and r.column(1).to_pylist() == [one.column(0)[0].as_py() * 3 + 1]
        t_one = median(
            per_call(lambda: inst.process(one), sizes.crossing_calls, sizes.crossing_reps)
        )
        t_empty = median(
            per_call(lambda: inst.process(empty), sizes.crossing_calls, sizes.crossing_reps)
        )
        breakdown = _breakdown(inst, sizes.crossing_calls, sizes.crossing_reps)
    out.figure("crossing_us", t_one * 1e6)
    out.figure("crossing_empty_us", t_empty * 1e6)
    out.details["crossing"] = {"calls_per_block": sizes.crossing_calls, **breakdown}

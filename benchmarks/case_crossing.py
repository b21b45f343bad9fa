"""Case 5: the fixed cost of one ``process`` call through a real plugin (1-row and empty batch).

``crossing_us`` is a 1-row batch through examples/basic-transformer's int64 map: the per-batch
overhead every batch pays (input layout, the guest call, output read-back, result wrapping), wall
time. ``crossing_cpu_us`` is the same in this thread's CPU time (what the load of other processes on
the machine does not inflate). The breakdown times the layers beneath ``process`` where the runtime
exposes them, to show where the cost sits; ``python -m benchmarks.profile_batch`` profiles it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from benchmarks import peers
from benchmarks.config import Sizes
from benchmarks.data import int64_batches
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import median, per_call
from dataflare_provider.runtime import Plugin, PluginInstance


def _layers(inst: PluginInstance) -> dict[str, Callable[[], Any]]:
    """Calls beneath ``process`` (private API, so best effort: absent layers are left out)."""
    layers: dict[str, Callable[[], Any]] = {}
    fn = getattr(inst, "_fn_version", None)
    if fn is not None:
        layers["raw_guest_call"] = fn  # the ctypes call of dataflare_abi_version
        call = getattr(inst, "_call", None)
        if call is not None:
            layers["guarded_guest_call"] = lambda: call(fn)  # + deadline, output poll, refresh
    return layers


def run(sizes: Sizes, out: Results) -> None:
    plugin = Plugin.from_file(build.example("basic-transformer"))
    one = int64_batches(1, 1)[0]
    with plugin.instantiate(peers.DERIVE_CONFIG) as inst:
        r = inst.process(one).output
        assert r is not None and r.column(1).to_pylist() == [one.column(0)[0].as_py() * 3 + 1]
        calls: dict[str, Callable[[], Any]] = {
            "process_1_row": lambda: inst.process(one),
            "process_empty": lambda: inst.process(one.slice(0, 0)),
            **_layers(inst),
        }
        us: dict[str, float] = {}
        for name, fn in calls.items():
            for clock, suffix in ((time.perf_counter, "us"), (time.thread_time, "cpu_us")):
                t = median(per_call(fn, sizes.crossing_calls, sizes.crossing_reps, clock))
                us[f"{name}_{suffix}"] = round(t * 1e6, 3)
    out.figure("crossing_us", us["process_1_row_us"])
    out.figure("crossing_cpu_us", us["process_1_row_cpu_us"])
    out.figure("crossing_empty_us", us["process_empty_us"])
    # the machine's speed at plain Python, to scale the figures above: one no-op function call
    noop = median(per_call(_noop, sizes.crossing_calls * 10, sizes.crossing_reps, time.thread_time))
    out.details["crossing"] = {
        "calls_per_block": sizes.crossing_calls,
        **us,
        "python_noop_call_cpu_ns": round(noop * 1e9, 1),
    }


def _noop() -> None:
    pass

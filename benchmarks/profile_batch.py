"""Function-level profile of the per-batch path, for whoever tunes the runtime.

``python -m benchmarks.profile_batch [--rows N] [--batches K] [--top T] [--config lower|derive]``
runs K batches of N rows through examples/basic-transformer under cProfile and prints the functions
by own time, plus the wall time per batch without the profiler. ``--rows 1`` is the crossing cost.

``--layers`` instead times, without a profiler, each step ``PluginInstance.process`` takes (input
layout, output clear, the guest call raw and guarded, output read-back, dead-letter split, metrics)
in this thread's CPU microseconds. It calls private runtime API, so it is a diagnostic only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Callable
from typing import Any

from benchmarks import peers
from benchmarks.data import int64_batches, string_batches
from benchmarks.plugins import build
from benchmarks.timing import median, per_call
from dataflare_provider.runtime import Plugin


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1)
    p.add_argument("--batches", type=int, default=20_000)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--config", choices=("derive", "lower"), default="derive")
    p.add_argument("--layers", action="store_true", help="time each step of process() instead")
    args = p.parse_args()
    config: dict[str, Any]
    if args.config == "derive":
        config, batch = peers.DERIVE_CONFIG, int64_batches(args.rows, args.rows)[0]
    else:
        config, batch = peers.LOWER_CONFIG, string_batches(args.rows, args.rows)[0]
    plugin = Plugin.from_file(build.example("basic-transformer"))
    with plugin.instantiate(config) as inst:
        if args.layers:
            print(f"{args.rows}-row batches ({args.config}), CPU us per call:")
            for name, fn in layers(inst, batch).items():
                t = median(per_call(fn, max(1, args.batches // 10), 5, time.thread_time))
                print(f"  {name:<28} {t * 1e6:10.2f}")
            return
        for _ in range(min(args.batches, 1000)):
            inst.process(batch)
        start = time.perf_counter()
        for _ in range(args.batches):
            inst.process(batch)
        wall = (time.perf_counter() - start) / args.batches
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.batches):
            inst.process(batch)
        prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.top)
    print(f"{args.rows}-row batches ({args.config}): {wall * 1e6:.1f} us per process() unprofiled")
    print(out.getvalue())


def layers(inst: Any, batch: Any) -> dict[str, Callable[[], object]]:
    """The steps of ``PluginInstance.process`` as separate calls (private API)."""
    from dataflare_provider.runtime.plugin import split_dead_letter

    m = inst.marshal
    s, a = m.write_batch(batch)
    m.clear_output()
    inst._call(inst._fn_process, s, a, m.out_schema, m.out_array)
    out = m.read_batch(m.out_schema, m.out_array)
    return {
        "process() total": lambda: inst.process(batch),
        "marshal.write_batch": lambda: m.write_batch(batch),
        "marshal.clear_output": m.clear_output,
        "guest process, raw call": lambda: inst._fn_process(s, a, m.out_schema, m.out_array),
        "guest process, _call": lambda: inst._call(
            inst._fn_process, s, a, m.out_schema, m.out_array
        ),
        "marshal.read_batch": lambda: m.read_batch(m.out_schema, m.out_array),
        "split_dead_letter": lambda: split_dead_letter(out),
        "metrics.record_batch": lambda: inst.metrics.record_batch(1e-5, 1, 1, 0),
        "lifecycle _begin+_end": lambda: (inst._begin(), inst._end()),
    }


if __name__ == "__main__":
    main()

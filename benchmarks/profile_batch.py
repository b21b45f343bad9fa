"""Function-level profile of the per-batch path, for whoever tunes the runtime.

``python -m benchmarks.profile_batch [--rows N] [--batches K] [--top T] [--config lower|derive]``
runs K batches of N rows through examples/basic-transformer under cProfile and prints the functions
by own time, plus the wall time per batch without the profiler. ``--rows 1`` is the crossing cost.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from typing import Any

from benchmarks import peers
from benchmarks.data import int64_batches, string_batches
from benchmarks.plugins import build
from dataflare_provider.runtime import Plugin


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1)
    p.add_argument("--batches", type=int, default=20_000)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--config", choices=("derive", "lower"), default="derive")
    args = p.parse_args()
    config: dict[str, Any]
    if args.config == "derive":
        config, batch = peers.DERIVE_CONFIG, int64_batches(args.rows, args.rows)[0]
    else:
        config, batch = peers.LOWER_CONFIG, string_batches(args.rows, args.rows)[0]
    plugin = Plugin.from_file(build.example("basic-transformer"))
    with plugin.instantiate(config) as inst:
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


if __name__ == "__main__":
    main()

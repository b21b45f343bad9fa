"""Helpers shared by the cases: running a kernel over batches and checking results agree."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyarrow as pa

from benchmarks.config import Sizes
from benchmarks.results import Results
from benchmarks.timing import interleaved, median, pair_ratio
from dataflare_provider.runtime import PluginInstance

Kernel = Callable[[pa.RecordBatch], pa.RecordBatch | None]


class ResultMismatch(AssertionError):
    """A peer and dataflare disagree: the timing would compare different work, so stop."""


def dataflare_kernel(inst: PluginInstance) -> Kernel:
    def run(b: pa.RecordBatch) -> pa.RecordBatch | None:
        return inst.process(b).output

    return run


def run_all(kernel: Kernel, batches: Sequence[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """``kernel`` over every batch; the non-empty outputs (kept, like a writer would hold them)."""
    out = []
    for b in batches:
        r = kernel(b)
        if r is not None:
            out.append(r)
    return out


def runner(kernel: Kernel, batches: Sequence[pa.RecordBatch]) -> Callable[[], object]:
    return lambda: run_all(kernel, batches)


def check_same(
    case: str, peer: str, expected: Sequence[pa.RecordBatch], got: Sequence[pa.RecordBatch]
) -> None:
    """Raise :class:`ResultMismatch` unless both outputs hold the same rows and columns."""
    if not expected and not got:
        return
    a = pa.Table.from_batches(list(expected)).combine_chunks()
    b = pa.Table.from_batches(list(got)).combine_chunks()
    if a.schema.names != b.schema.names:
        raise ResultMismatch(
            f"{case}: {peer} has columns {b.schema.names}, dataflare {a.schema.names}"
        )
    if a.num_rows != b.num_rows:
        raise ResultMismatch(f"{case}: {peer} has {b.num_rows} rows, dataflare {a.num_rows}")
    for name in a.schema.names:
        if not a.column(name).equals(b.column(name)):
            raise ResultMismatch(f"{case}: column {name!r} of {peer} differs from dataflare's")


def race(
    case: str,
    mine: Kernel,
    batches: Sequence[pa.RecordBatch],
    fast: dict[str, Kernel],
    slow: dict[str, Kernel],
    sizes: Sizes,
    out: Results,
) -> list[pa.RecordBatch]:
    """Check every peer computes dataflare's result, then time them interleaved with dataflare.

    A round is one pass over all batches per kernel, in alternating order (:func:`interleaved`);
    ``<case>_vs_<peer>`` is the median over rounds of peer time / dataflare time, and
    ``details[case]`` the median milliseconds per pass; ``cpu_ratios`` gets the same ratios in
    thread CPU time. ``slow`` peers (Python loops) run in their
    own interleaving with ``sizes.slow_reps`` rounds. Returns dataflare's output.

    (Alternating kernels batch by batch instead was tried: next to a Python loop, which churns
    the caches for ~50 ms per batch, every dataflare batch then starts cold, which halved
    ``int64_map_vs_python_loop``. A pass per kernel is what a pipeline does.)
    """
    expected = run_all(mine, batches)
    for name, kernel in {**fast, **slow}.items():  # also the peers' warm-up
        check_same(case, name, expected, run_all(kernel, batches))
    medians: dict[str, float] = {}
    for peers, reps in ((fast, sizes.reps), (slow, sizes.slow_reps)):
        if not peers:
            continue
        fns = {"dataflare": runner(mine, batches)}
        fns.update({name: runner(k, batches) for name, k in peers.items()})
        cpu: dict[str, list[float]] = {}
        times = interleaved(fns, reps, cpu=cpu)
        for name in peers:
            out.ratio(f"{case}_vs_{name}", pair_ratio(times, "dataflare", name))
            out.cpu_ratio(f"{case}_vs_{name}", pair_ratio(cpu, "dataflare", name))
        medians.update({k: round(median(v) * 1e3, 3) for k, v in times.items() if k in peers})
        medians.setdefault("dataflare", round(median(times["dataflare"]) * 1e3, 3))
    out.details[case] = {
        "rows": sum(b.num_rows for b in batches),
        "batch_rows": batches[0].num_rows if batches else 0,
        "median_ms": medians,
    }
    return expected

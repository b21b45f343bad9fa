"""Timing helpers: interleaved repetitions, medians, pairwise ratios."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping, Sequence


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and this-thread CPU seconds of one call of ``fn``, garbage collector paused."""
    gc.collect()
    gc.disable()
    try:
        start, cpu = time.perf_counter(), time.thread_time()
        fn()
        return time.perf_counter() - start, time.thread_time() - cpu
    finally:
        gc.enable()


def interleaved(
    fns: Mapping[str, Callable[[], object]],
    reps: int,
    warmup: int = 1,
    cpu: dict[str, list[float]] | None = None,
) -> dict[str, list[float]]:
    """Time every function ``reps`` times, interleaved: A B, B A, A B, ... after ``warmup`` rounds.

    Alternating the order each round cancels linear drift (another job starting on the machine)
    between neighbouring runs, so the ratio of neighbours is what the machine's noise leaves alone.
    Returns wall seconds per run; ``cpu``, if given, receives this thread's CPU seconds per run
    (meaningful for single-threaded work: it leaves out the time other processes held the core).
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu_times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(reps):
        for name in names if r % 2 == 0 else reversed(names):
            wall, used = timed(fns[name])
            times[name].append(wall)
            cpu_times[name].append(used)
    if cpu is not None:
        cpu.update(cpu_times)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def pair_ratio(times: Mapping[str, Sequence[float]], base: str, peer: str) -> float:
    """Median over rounds of ``peer_time / base_time``: how many times faster ``base`` is."""
    return statistics.median(p / b for p, b in zip(times[peer], times[base], strict=True))


def per_call(
    fn: Callable[[], object], calls: int, reps: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Seconds per call of ``fn`` for ``reps`` blocks of ``calls`` calls (one warm-up block).

    ``clock=time.thread_time`` gives this thread's CPU seconds instead of wall time: on a loaded
    machine wall time includes the time other processes held the core.
    """
    for _ in range(calls):
        fn()
    out = []
    for _ in range(reps):
        gc.collect()
        gc.disable()
        try:
            start = clock()
            for _ in range(calls):
                fn()
            out.append((clock() - start) / calls)
        finally:
            gc.enable()
    return out

"""Timing helpers: interleaved repetitions, medians, pairwise ratios."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes, with the garbage collector paused (as ``timeit`` does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def interleaved(
    fns: Mapping[str, Callable[[], object]], reps: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Time every function ``reps`` times, interleaved: A B, B A, A B, ... after ``warmup`` rounds.

    Alternating the order each round cancels linear drift (another job starting on the machine)
    between neighbouring runs, so the ratio of neighbours is what the machine's noise leaves alone.
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(reps):
        for name in names if r % 2 == 0 else reversed(names):
            times[name].append(timed(fns[name]))
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


def interleaved_batches(
    kernels: Mapping[str, Callable[[T], object]], items: Sequence[T], reps: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Like :func:`interleaved`, but alternating kernels on every item (batch) of a round.

    Round ``r`` runs item 0 through A then B, item 1 through B then A, ... and sums each kernel's
    time over the round; neighbouring calls are a millisecond apart, so a change in the machine's
    load hits every kernel alike. Outputs are kept until the round ends (as a writer would hold
    them), then dropped. Returns each kernel's round totals (seconds).
    """
    names = list(kernels)
    for _ in range(warmup):
        for name in names:
            for item in items:
                kernels[name](item)
    totals: dict[str, list[float]] = {name: [] for name in names}
    clock = time.perf_counter
    for r in range(reps):
        sums = dict.fromkeys(names, 0.0)
        kept: list[object] = []
        gc.collect()
        gc.disable()
        try:
            for i, item in enumerate(items):
                for name in names if (r + i) % 2 == 0 else reversed(names):
                    fn = kernels[name]
                    start = clock()
                    kept.append(fn(item))
                    sums[name] += clock() - start
        finally:
            gc.enable()
        del kept
        for name in names:
            totals[name].append(sums[name])
    return totals

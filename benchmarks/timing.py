"""Timing helpers: interleaved repetitions, medians, pairwise ratios."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping, Sequence


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


def per_call(fn: Callable[[], object], calls: int, reps: int) -> list[float]:
    """Seconds per call of ``fn`` for ``reps`` blocks of ``calls`` calls (one warm-up block)."""
    for _ in range(calls):
        fn()
    out = []
    for _ in range(reps):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            out.append((time.perf_counter() - start) / calls)
        finally:
            gc.enable()
    return out

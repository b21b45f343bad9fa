"""Plugin metrics: the host's ``metrics`` import inside a component, an in-memory dict locally."""

from __future__ import annotations

try:  # inside a component built by componentize-py
    from wit_world.imports import metrics as _wit  # type: ignore[import-not-found]
except ImportError:  # local run
    _wit = None

counters: dict[str, int] = {}
"""Local runs only: counter totals."""
histograms: dict[str, list[float]] = {}
"""Local runs only: recorded values."""


def increment_counter(name: str, value: int = 1) -> None:
    if _wit is not None:
        _wit.increment_counter(name, value)
    else:
        counters[name] = counters.get(name, 0) + value


def record_histogram(name: str, value: float) -> None:
    if _wit is not None:
        _wit.record_histogram(name, float(value))
    else:
        histograms.setdefault(name, []).append(float(value))

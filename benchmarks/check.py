"""``--check BASELINE``: fail when a ratio falls more than 30% below the committed baseline.

A ratio with a thread-CPU-time twin in both runs (the single-threaded cases) is judged by that
twin: on a shared machine a 10 ms pass preempted once moves the wall-time ratio by 30-40%, the CPU
time ratio by a few percent. The others (``parallel_*``) are judged by wall time.
"""

from __future__ import annotations

from benchmarks.results import Results

TOLERANCE = 0.30


def compare(current: Results, baseline: Results, tolerance: float = TOLERANCE) -> list[str]:
    """One line per ratio; lines starting with ``FAIL`` are regressions (or missing ratios)."""
    lines = []
    for key, wall_base in sorted(baseline.ratios.items()):
        now = current.ratios.get(key)
        if now is None:
            reason = current.skipped.get(key, "not measured")
            lines.append(f"FAIL {key}: missing ({reason}); baseline {wall_base:g}")
            continue
        base, value, kind = wall_base, now, "wall"
        if key in baseline.cpu_ratios and key in current.cpu_ratios:
            base, value, kind = baseline.cpu_ratios[key], current.cpu_ratios[key], "cpu"
        floor = base * (1 - tolerance)
        extra = f" [wall {now:g}]" if kind == "cpu" else ""
        if value < floor:
            lines.append(
                f"FAIL {key}: {kind} {value:g} < {floor:.3g} (baseline {base:g} - {tolerance:.0%}){extra}"
            )
        else:
            lines.append(f"ok   {key}: {kind} {value:g} >= {floor:.3g} (baseline {base:g}){extra}")
    return lines

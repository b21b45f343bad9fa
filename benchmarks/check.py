"""``--check BASELINE``: fail when a ratio falls more than 30% below the committed baseline."""

from __future__ import annotations

from benchmarks.results import Results

TOLERANCE = 0.30


def compare(current: Results, baseline: Results, tolerance: float = TOLERANCE) -> list[str]:
    """One line per ratio; lines starting with ``FAIL`` are regressions (or missing ratios)."""
    lines = []
    for key, base in sorted(baseline.ratios.items()):
        floor = base * (1 - tolerance)
        now = current.ratios.get(key)
        if now is None:
            reason = current.skipped.get(key, "not measured")
            lines.append(f"FAIL {key}: missing ({reason}); baseline {base:g}")
        elif now < floor:
            lines.append(f"FAIL {key}: {now:g} < {floor:.3g} (baseline {base:g} - {tolerance:.0%})")
        else:
            lines.append(f"ok   {key}: {now:g} >= {floor:.3g} (baseline {base:g})")
    return lines

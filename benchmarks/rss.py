"""Resident set size of this process, in KiB."""

from __future__ import annotations

import gc
import os


def rss_kib() -> float:
    """Current RSS (after a garbage collection), KiB."""
    gc.collect()
    try:
        import psutil  # type: ignore[import-untyped]

        return float(psutil.Process().memory_info().rss) / 1024
    except ImportError:  # Linux fallback
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1024

"""``PluginMetrics``: what a plugin did, for task logs, XCom, Stats and Dagster metadata."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


class LogHistogram:
    """Constant-memory histogram of positive values: log-spaced buckets ~4.4% wide.

    A long stream (millions of batches) must not grow the task's memory, so batch times are
    counted in buckets rather than kept; quantiles are accurate to a bucket width.
    """

    __slots__ = ("buckets", "count", "max", "total", "zeros")
    STEPS_PER_OCTAVE = 16

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.zeros = 0
        self.total = 0.0
        self.max = 0.0

    def record(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value > self.max or self.count == 1:
            self.max = value
        if value <= 0:  # quantiles of non-positive values are reported as 0
            self.zeros += 1
            return
        key = math.floor(math.log2(value) * self.STEPS_PER_OCTAVE)
        self.buckets[key] = self.buckets.get(key, 0) + 1

    def merge(self, other: LogHistogram) -> None:
        self.count += other.count
        self.zeros += other.zeros
        self.total += other.total
        self.max = max(self.max, other.max)
        for k, n in other.buckets.items():
            self.buckets[k] = self.buckets.get(k, 0) + n

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def quantile(self, q: float) -> float:
        """The upper edge of the bucket holding the ``q`` quantile (capped at the maximum)."""
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(q * self.count)) - self.zeros
        if rank <= 0:
            return 0.0
        seen = 0
        for key in sorted(self.buckets):
            seen += self.buckets[key]
            if seen >= rank:
                return min(self.max, 2 ** ((key + 1) / self.STEPS_PER_OCTAVE))
        return self.max


@dataclass
class PluginMetrics:
    """Counters and timings of one plugin (merged over its instances when run in parallel).

    Times are seconds; ``memory_usage_bytes`` is the high-water mark of guest linear memory.
    Plugin-emitted counters and histograms (``dataflare.counter_add``/``histogram_record``) are
    kept under their own names.
    """

    plugin: str
    load_time_s: float = 0.0
    init_time_s: float = 0.0
    batches: int = 0
    rows_in: int = 0
    rows_out: int = 0
    rows_error: int = 0
    process_time_s: float = 0.0
    memory_usage_bytes: int = 0
    fuel_consumed: int = 0
    instances: int = 0
    load_source: str = ""
    batch_times: LogHistogram = field(default_factory=LogHistogram, repr=False)
    counters: dict[str, int] = field(default_factory=dict)
    histograms: dict[str, LogHistogram] = field(default_factory=dict, repr=False)

    # -- recording ---------------------------------------------------------------------------

    def record_batch(self, seconds: float, rows_in: int, rows_out: int, rows_error: int) -> None:
        self.batches += 1
        self.rows_in += rows_in
        self.rows_out += rows_out
        self.rows_error += rows_error
        self.process_time_s += seconds
        self.batch_times.record(seconds)

    def counter_add(self, name: str, value: int) -> None:
        self.counters[name] = self.counters.get(name, 0) + value

    def histogram_record(self, name: str, value: float) -> None:
        hist = self.histograms.get(name)
        if hist is None:
            hist = self.histograms[name] = LogHistogram()
        hist.record(value)

    def merge(self, other: PluginMetrics) -> None:
        """Add ``other`` (another instance of the same plugin) into this one."""
        self.load_time_s = max(self.load_time_s, other.load_time_s)
        self.init_time_s = max(self.init_time_s, other.init_time_s)
        self.batches += other.batches
        self.rows_in += other.rows_in
        self.rows_out += other.rows_out
        self.rows_error += other.rows_error
        self.process_time_s += other.process_time_s
        self.memory_usage_bytes = max(self.memory_usage_bytes, other.memory_usage_bytes)
        self.fuel_consumed += other.fuel_consumed
        self.instances += other.instances
        self.batch_times.merge(other.batch_times)
        for k, v in other.counters.items():
            self.counter_add(k, v)
        for k, h in other.histograms.items():
            self.histograms.setdefault(k, LogHistogram()).merge(h)

    # -- derived -----------------------------------------------------------------------------

    @property
    def avg_batch_time_s(self) -> float:
        return self.process_time_s / self.batches if self.batches else 0.0

    @property
    def p99_batch_time_s(self) -> float:
        return self.batch_times.quantile(0.99)

    @property
    def throughput_rows_s(self) -> float:
        return self.rows_in / self.process_time_s if self.process_time_s > 0 else 0.0

    @property
    def error_rate(self) -> float:
        return self.rows_error / self.rows_in if self.rows_in else 0.0

    def summary(self) -> dict[str, Any]:
        """A small JSON-able dict (for XCom, Dagster metadata, ``--metrics-json``)."""
        out: dict[str, Any] = {
            "plugin": self.plugin,
            "load_time_ms": round(self.load_time_s * 1e3, 3),
            "load_source": self.load_source,
            "init_time_ms": round(self.init_time_s * 1e3, 3),
            "batches": self.batches,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_error": self.rows_error,
            "error_rate": round(self.error_rate, 6),
            "avg_batch_ms": round(self.avg_batch_time_s * 1e3, 3),
            "p99_batch_ms": round(self.p99_batch_time_s * 1e3, 3),
            "throughput_rows_s": round(self.throughput_rows_s, 1),
            "memory_usage_bytes": self.memory_usage_bytes,
            "instances": self.instances,
        }
        if self.fuel_consumed:
            out["fuel_consumed"] = self.fuel_consumed
        if self.counters:
            out["counters"] = dict(self.counters)
        if self.histograms:
            out["histograms"] = {
                k: {
                    "count": h.count,
                    "mean": h.mean,
                    "p50": h.quantile(0.5),
                    "p99": h.quantile(0.99),
                }
                for k, h in self.histograms.items()
            }
        return out

    def table_rows(self) -> list[tuple[str, str]]:
        """(metric, value) rows for a printed summary table."""
        s = self.summary()
        rows = [
            ("load time", f"{s['load_time_ms']:.2f} ms ({self.load_source})"),
            ("init time", f"{s['init_time_ms']:.2f} ms"),
            ("batches", f"{self.batches:,}"),
            (
                "rows in / out / error",
                f"{self.rows_in:,} / {self.rows_out:,} / {self.rows_error:,}",
            ),
            ("error rate", f"{self.error_rate:.4%}"),
            ("avg / p99 batch", f"{s['avg_batch_ms']:.3f} / {s['p99_batch_ms']:.3f} ms"),
            ("throughput", f"{self.throughput_rows_s:,.0f} rows/s"),
            ("guest memory (peak)", f"{self.memory_usage_bytes / 2**20:.2f} MiB"),
            ("instances", str(self.instances)),
        ]
        if self.fuel_consumed:
            rows.append(("fuel", f"{self.fuel_consumed:,}"))
        for k, v in sorted(self.counters.items()):
            rows.append((f"{self.plugin}.{k}", f"{v:,}"))
        for k, h in sorted(s.get("histograms", {}).items()):
            rows.append(
                (f"{self.plugin}.{k}", f"n={h['count']} mean={h['mean']:.4g} p99={h['p99']:.4g}")
            )
        return rows

    def format_table(self) -> str:
        """The summary as an aligned text table (for task logs)."""
        rows = self.table_rows()
        width = max(len(k) for k, _ in rows)
        lines = [f"PluginMetrics[{self.plugin}]"]
        lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
        return "\n".join(lines)

"""``RunReport``: what a pipeline run did, for logs, XCom, Dagster metadata and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dataflare_provider.errors import ErrorRateExceeded
from dataflare_provider.runtime.metrics import PluginMetrics


@dataclass
class RunReport:
    """The outcome of one run (including the part an earlier try committed)."""

    input: str | None
    output: str | None
    dead_letter: str | None
    rows_in: int = 0
    rows_out: int = 0
    rows_error: int = 0
    batches: int = 0
    resumed_batches: int = 0
    resumed_rows: int = 0
    duration_s: float = 0.0
    plugins: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[PluginMetrics] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.rows_error / self.rows_in if self.rows_in else 0.0

    @property
    def throughput_rows_s(self) -> float:
        return self.rows_in / self.duration_s if self.duration_s > 0 else 0.0

    def error_rate_exceeded(
        self, max_error_rate: float | None, detail: str = ""
    ) -> ErrorRateExceeded | None:
        """The error to raise when more rows were rejected than ``max_error_rate`` allows."""
        if max_error_rate is None or self.error_rate <= max_error_rate:
            return None
        return ErrorRateExceeded(
            f"{self.rows_error:,} of {self.rows_in:,} rows failed "
            f"({self.error_rate:.2%} > max_error_rate {max_error_rate:.2%}){detail}",
            rows_error=self.rows_error, rows_in=self.rows_in,
        )  # fmt: skip

    def summary(self) -> dict[str, Any]:
        """A small JSON-able dict (the XCom return value)."""
        return {
            "input": self.input,
            "output": self.output,
            "dead_letter": self.dead_letter,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_error": self.rows_error,
            "error_rate": round(self.error_rate, 6),
            "batches": self.batches,
            "resumed_batches": self.resumed_batches,
            "duration_s": round(self.duration_s, 3),
            "throughput_rows_s": round(self.throughput_rows_s, 1),
            "plugins": [
                {**{k: v for k, v in p.items() if k != "config"}, **m.summary()}
                for p, m in zip(self.plugins, self.metrics, strict=False)
            ],
        }

    def format_table(self) -> str:
        """The run and every plugin's metrics as text, for task logs."""
        head = [
            "DataFlare run summary",
            f"  input        {self.input}",
            f"  output       {self.output}",
        ]
        if self.dead_letter:
            head.append(f"  dead letter  {self.dead_letter}")
        head += [
            f"  rows         {self.rows_in:,} in / {self.rows_out:,} out / {self.rows_error:,} error"
            f" ({self.error_rate:.4%})",
            f"  batches      {self.batches:,}"
            + (
                f" ({self.resumed_batches:,} committed by an earlier try)"
                if self.resumed_batches
                else ""
            ),
            f"  duration     {self.duration_s:.3f} s ({self.throughput_rows_s:,.0f} rows/s)",
        ]
        return "\n".join(head + [m.format_table() for m in self.metrics])

"""The issue's targets for the runtime, shown by this suite (not asserted by tests)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    key: str
    op: str  # "<" or ">="
    value: float

    @property
    def check(self) -> Callable[[float, float], bool]:
        return {"<": operator.lt, ">=": operator.ge}[self.op]

    def met(self, actual: float | None) -> bool | None:
        return None if actual is None else self.check(actual, self.value)

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


TARGETS = (
    Target("load_cached_ms_small", "<", 1),
    Target("crossing_us", "<", 5),
    Target("int64_map_vs_pyarrow", ">=", 0.5),
    Target("int64_map_vs_python_loop", ">=", 30),
    Target("int64_map_vs_extism", ">=", 2),
    Target("utf8_lower_vs_pyarrow", ">=", 0.3),
    Target("idle_instance_kib", "<", 64),
    Target("parallel_2_vs_1", ">=", 1.6),
    Target("rss_growth_10k_batches_kib", "<", 1024),
)

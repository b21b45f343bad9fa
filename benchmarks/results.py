"""The report every case writes into.

``{"ratios", "cpu_ratios", "figures", "details", "skipped", "env"}``: ``ratios`` are wall-time
ratios (higher is better); ``cpu_ratios`` the same comparisons in thread CPU time, for the
single-threaded cases (steady on a shared machine, where wall time also counts other processes).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FIELDS = ("ratios", "cpu_ratios", "figures", "details", "skipped", "env")


@dataclass
class Results:
    ratios: dict[str, float] = field(default_factory=dict)
    cpu_ratios: dict[str, float] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)

    def ratio(self, key: str, value: float) -> None:
        self.ratios[key] = round(value, 3)

    def cpu_ratio(self, key: str, value: float) -> None:
        self.cpu_ratios[key] = round(value, 3)

    def figure(self, key: str, value: float) -> None:
        self.figures[key] = round(value, 3)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")

    @classmethod
    def read(cls, path: Path) -> Results:
        data = json.loads(path.read_text())
        return cls(**{k: data.get(k, {}) for k in FIELDS})

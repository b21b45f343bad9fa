"""Built-in plugins: reference implementations and benchmark subjects."""

from __future__ import annotations

from dataflare_plugin.plugin import Processor
from dataflare_plugin.types import Record, Result


class Identity(Processor):
    """Returns every record unchanged (measures the cost of the boundary itself)."""

    def process(self, record: Record) -> Result:
        return record

    def process_batch(self, records: list[Record]) -> list[Result]:
        return list(records)

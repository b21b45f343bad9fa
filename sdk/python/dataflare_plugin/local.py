"""Run a plugin class in plain Python, without building it: same inputs, same outputs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from dataflare_plugin.plugin import Processor, Source, results_of
from dataflare_plugin.types import Error, Record, Skip


def run_local(
    processor: Processor,
    records: Iterable[Record],
    config: dict[str, Any] | None = None,
    batch_size: int = 1024,
) -> list[Record | Error | Skip]:
    """``init`` with ``config``, then ``process_batch`` over ``records`` in batches, then the
    records of ``finish``. Returns one result per input record, then the finish records."""
    processor.init(json.loads(json.dumps(config or {})))
    items = list(records)
    out: list[Record | Error | Skip] = []
    for start in range(0, len(items), batch_size):
        out.extend(results_of(processor, items[start : start + batch_size]))
    out.extend(processor.finish())
    return out


def run_local_source(
    source: Source, config: dict[str, Any] | None = None, batch_size: int = 1024
) -> list[Record]:
    """Read a source to the end."""
    source.init(json.loads(json.dumps(config or {})))
    out: list[Record] = []
    while True:
        batch = source.read_batch(batch_size)
        if not batch:
            return out
        out.extend(batch)

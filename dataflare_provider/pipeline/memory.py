"""Run plugins over Arrow data in memory: a ``Table``, a ``RecordBatchReader`` or batches."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import pyarrow as pa

from dataflare_provider.errors import ConfigError
from dataflare_provider.io.readers import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS, rechunk
from dataflare_provider.pipeline.chain import DEAD_LETTER_SCHEMA, Chain, ChainResult, merged_metrics
from dataflare_provider.pipeline.report import RunReport
from dataflare_provider.pipeline.steps import Step
from dataflare_provider.runtime.pool import ordered_map

log = logging.getLogger("dataflare_provider.pipeline")

ArrowData: TypeAlias = "pa.Table | pa.RecordBatchReader | pa.RecordBatch | Iterable[pa.RecordBatch]"


@dataclass
class TableResult:
    """Output table, dead-letter table (uniform schema, see :mod:`.chain`) and the report."""

    output: pa.Table
    dead_letter: pa.Table
    report: RunReport


def _batches(data: ArrowData) -> Iterable[pa.RecordBatch]:
    if isinstance(data, pa.Table):
        batches: list[pa.RecordBatch] = data.to_batches()
        return batches
    if isinstance(data, pa.RecordBatch):
        return [data]
    return data


def transform_batches(
    steps: Sequence[Step],
    data: ArrowData,
    *,
    batch_size: int = DEFAULT_BATCH_ROWS,
    max_batch_bytes: int = DEFAULT_BATCH_BYTES,
    workers: int = 1,
    logger: logging.Logger | None = None,
    report: RunReport | None = None,
) -> Iterator[ChainResult]:
    """Stream ``data`` through the plugins; one :class:`ChainResult` per input batch, in order,
    then one for the end-of-stream output of stateful plugins."""
    if not steps:
        raise ConfigError("a pipeline needs at least one plugin")
    if any(s.plugin.stateful for s in steps):
        workers = 1
    chains = [Chain(steps, logger or log) for _ in range(workers)]
    try:
        items = enumerate(rechunk(_batches(data), batch_size, max_batch_bytes))
        last = -1
        for result in ordered_map(chains, Chain.process, items):
            last = result.index
            yield result
        yield chains[0].finish(last + 1)
    finally:
        if report is not None:
            report.metrics = merged_metrics(chains)
        for chain in chains:
            chain.close()


def transform_table(
    steps: Sequence[Step],
    data: ArrowData,
    *,
    batch_size: int = DEFAULT_BATCH_ROWS,
    max_batch_bytes: int = DEFAULT_BATCH_BYTES,
    workers: int = 1,
    max_error_rate: float | None = None,
    logger: logging.Logger | None = None,
) -> TableResult:
    """Run the plugins over ``data`` and collect the results as tables."""
    started = time.perf_counter()
    report = RunReport("memory", "memory", "memory", plugins=[s.describe() for s in steps])
    outputs: list[pa.RecordBatch] = []
    dead: list[pa.RecordBatch] = []
    for chunk in transform_batches(
        steps, data, batch_size=batch_size, max_batch_bytes=max_batch_bytes, workers=workers,
        logger=logger, report=report,
    ):  # fmt: skip
        report.rows_in += chunk.rows_in
        report.batches += 1 if chunk.rows_in or chunk.output is not None else 0
        if chunk.output is not None:
            outputs.append(chunk.output)
            report.rows_out += chunk.output.num_rows
        for rows in chunk.dead:
            dead.append(rows)
            report.rows_error += rows.num_rows
    report.duration_s = time.perf_counter() - started
    output = pa.Table.from_batches(outputs) if outputs else pa.table({})
    result = TableResult(output, pa.Table.from_batches(dead, schema=DEAD_LETTER_SCHEMA), report)
    too_many = report.error_rate_exceeded(max_error_rate)
    if too_many is not None:
        too_many.result = result  # the rejected rows are kept: callers write the dead letter
        raise too_many
    return result

"""A chain of plugin instances that one thread pushes a batch through, step by step."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from dataflare_provider.pipeline.steps import Step
from dataflare_provider.runtime.metrics import PluginMetrics
from dataflare_provider.runtime.plugin import ERROR_COLUMN, ProcessResult

PLUGIN_COLUMN = "_dataflare_plugin"
RECORD_COLUMN = "_dataflare_record"
BATCH_COLUMN = "_dataflare_batch"

DEAD_LETTER_SCHEMA = pa.schema(
    [
        pa.field(BATCH_COLUMN, pa.int64()),
        pa.field(PLUGIN_COLUMN, pa.utf8()),
        pa.field(ERROR_COLUMN, pa.utf8()),
        pa.field(RECORD_COLUMN, pa.utf8()),
    ]
)


def dead_letter_rows(batch: pa.RecordBatch, plugin: str, batch_index: int) -> pa.RecordBatch:
    """Rows a plugin rejected, in the uniform dead-letter form: the error, the plugin that raised
    it, the input batch index and the row's other columns as a JSON object.

    One schema for every plugin of a pipeline keeps dead-letter files appendable and readable
    whatever the plugins' own schemas are.
    """
    errors = batch.column(ERROR_COLUMN)
    data = batch.drop_columns([ERROR_COLUMN])
    records = [json.dumps(row, default=str, ensure_ascii=False) for row in data.to_pylist()]
    n = batch.num_rows
    return pa.RecordBatch.from_arrays(
        [
            pa.array([batch_index] * n, pa.int64()),
            pa.array([plugin] * n, pa.utf8()),
            errors.cast(pa.utf8()),
            pa.array(records, pa.utf8()),
        ],
        schema=DEAD_LETTER_SCHEMA,
    )


@dataclass
class ChainResult:
    """The chain's output for one input batch and every row a step rejected."""

    index: int
    output: pa.RecordBatch | None
    dead: list[pa.RecordBatch] = field(default_factory=list)
    rows_in: int = 0


class Chain:
    """One instance of every step; used by one thread at a time."""

    def __init__(self, steps: Sequence[Step], logger: logging.Logger) -> None:
        self.steps = list(steps)
        self.instances: list[Any] = []
        try:
            for step in self.steps:
                self.instances.append(step.plugin.instantiate(step.config, logger=logger))
        except BaseException:
            self.close()
            raise

    def process(self, item: tuple[int, pa.RecordBatch]) -> ChainResult:
        index, batch = item
        result = ChainResult(index, None, rows_in=batch.num_rows)
        self._run_from(0, batch, result)
        return result

    def _run_from(self, start: int, batch: pa.RecordBatch | None, result: ChainResult) -> None:
        for step, inst in zip(self.steps[start:], self.instances[start:], strict=True):
            if batch is None:
                break
            out: ProcessResult = inst.process(batch)
            if out.dead_letter is not None:
                result.dead.append(dead_letter_rows(out.dead_letter, step.name, result.index))
            batch = out.output
        if batch is not None:
            result.output = batch

    def finish(self, index: int) -> ChainResult:
        """End of stream: every step's ``finish``, its output flowing through the later steps.

        Outputs of several steps are concatenated when their schemas agree.
        """
        result = ChainResult(index, None)
        outputs: list[pa.RecordBatch] = []
        for i, (step, inst) in enumerate(zip(self.steps, self.instances, strict=True)):
            tail: ProcessResult = inst.finish()
            if tail.dead_letter is not None:
                result.dead.append(dead_letter_rows(tail.dead_letter, step.name, index))
            if tail.output is not None:
                partial = ChainResult(index, None)
                self._run_from(i + 1, tail.output, partial)
                result.dead.extend(partial.dead)
                if partial.output is not None:
                    outputs.append(partial.output)
        if outputs:
            result.output = (
                outputs[0]
                if len(outputs) == 1
                else pa.Table.from_batches(outputs).combine_chunks().to_batches()[0]
            )
        return result

    def interrupt(self) -> None:
        for inst in self.instances:
            inst.interrupt()

    def close(self) -> None:
        for inst in self.instances:
            inst.close()


def merged_metrics(chains: Sequence[Chain]) -> list[PluginMetrics]:
    """Per-step metrics, merged over the chains (one per worker thread)."""
    merged = []
    for i, step in enumerate(chains[0].steps if chains else []):
        m = PluginMetrics(step.name, load_source=step.plugin.load_source)
        for chain in chains:
            inst = chain.instances[i]
            if hasattr(inst, "mem"):
                inst.metrics.memory_usage_bytes = max(
                    inst.metrics.memory_usage_bytes, inst.mem.high_water
                )
            m.merge(inst.metrics)
        merged.append(m)
    return merged

"""Run plugins over data: files in, files out (resumable), or Arrow in memory.

:class:`TransformRun` is what the Airflow operators, the Dagster assets and ``dataflare run`` all
call. It streams the input batch by batch (never the whole input in memory), pushes each batch
through the chain of plugins on ``workers`` threads (order kept), commits output per range of input
batches (see :mod:`.checkpoint`), logs progress, enforces ``max_error_rate``, and returns a
:class:`RunReport`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from dataflare_provider.errors import ConfigError, PluginInterrupted
from dataflare_provider.io.formats import Format, detect_format, parse_format
from dataflare_provider.io.location import Location, resolve_location
from dataflare_provider.io.readers import (
    DEFAULT_BATCH_BYTES,
    DEFAULT_BATCH_ROWS,
    InputFiles,
    rechunk,
)
from dataflare_provider.pipeline.chain import Chain, ChainResult, merged_metrics
from dataflare_provider.pipeline.checkpoint import PartWriter, Staging, Target
from dataflare_provider.pipeline.report import RunReport
from dataflare_provider.pipeline.steps import Step
from dataflare_provider.runtime.pool import ordered_map

log = logging.getLogger("dataflare_provider.pipeline")

DEFAULT_COMMIT_EVERY = 16


@dataclass(frozen=True)
class Progress:
    """A progress snapshot (for progress bars and log lines)."""

    batches: int
    rows_in: int
    rows_out: int
    rows_error: int
    elapsed_s: float

    @property
    def rows_per_s(self) -> float:
        return self.rows_in / self.elapsed_s if self.elapsed_s > 0 else 0.0


def output_target(
    target: Any, fmt: str | Format | None, storage_options: dict[str, Any] | None
) -> Target:
    """A file target when the path has a data-file extension (or a format is forced on a path
    without a trailing slash), else a directory of part files."""
    loc = resolve_location(target, storage_options)
    path = loc.path
    is_dir = path.endswith("/") or (detect_format(path) is None and (
        fmt is None or loc.fs.isdir(path)
    ))  # fmt: skip
    if is_dir:
        chosen = parse_format(fmt, "x.parquet") if fmt else Format.PARQUET
        return Target(Location(loc.fs, path.rstrip("/") or "/"), chosen, True)
    return Target(loc, parse_format(fmt, path), False)


class TransformRun:
    """One run of a chain of plugins from an input location (or a source plugin) to an output."""

    def __init__(
        self,
        steps: Sequence[Step],
        output: Any,
        input: Any = None,
        *,
        dead_letter: Any = None,
        input_format: str | Format | None = None,
        output_format: str | Format | None = None,
        dead_letter_format: str | Format | None = None,
        batch_size: int = DEFAULT_BATCH_ROWS,
        max_batch_bytes: int = DEFAULT_BATCH_BYTES,
        workers: int = 1,
        max_error_rate: float | None = None,
        resume: bool = True,
        commit_every: int = DEFAULT_COMMIT_EVERY,
        storage_options: dict[str, Any] | None = None,
        logger: logging.Logger | None = None,
        progress_interval_s: float = 10.0,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        if not steps:
            raise ConfigError("a pipeline needs at least one plugin")
        if batch_size < 1 or max_batch_bytes < 1 or workers < 1 or commit_every < 1:
            raise ConfigError("batch_size, max_batch_bytes, workers and commit_every must be >= 1")
        if max_error_rate is not None and not 0 <= max_error_rate <= 1:
            raise ConfigError(f"max_error_rate must be within [0, 1], got {max_error_rate}")
        self.steps = list(steps)
        self.log = logger or log
        self.source_step = self.steps[0] if self.steps[0].plugin.kind == "source" else None
        if input is None and self.source_step is None:
            raise ConfigError("an input is required unless the first plugin is a source")
        if input is not None and self.source_step is not None:
            raise ConfigError(f"plugin {self.source_step.name} is a source; it takes no input")
        self.input = (
            InputFiles(input, format=input_format, storage_options=storage_options)
            if input is not None
            else None
        )
        self.output = output_target(output, output_format, storage_options)
        self.dead_letter = (
            output_target(dead_letter, dead_letter_format, storage_options) if dead_letter else None
        )
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes
        self.max_error_rate = max_error_rate
        self.commit_every = commit_every
        self.progress_interval_s = progress_interval_s
        self.on_progress = on_progress
        stateful = self.source_step is not None or any(s.plugin.stateful for s in self.steps)
        self.resumable = resume and not stateful
        self.workers = 1 if stateful else workers
        if stateful and workers > 1:
            self.log.warning(
                "stateful plugin or source in the pipeline: running 1 worker, not %d", workers
            )
        self._interrupted = threading.Event()
        self._chains: list[Chain] = []

    def fingerprint(self) -> str:
        """Identifies what this run computes; a retry resumes only when it is unchanged."""
        data = {
            "steps": [s.describe() for s in self.steps],
            "input": self.input.fingerprint() if self.input else None,
            "batch_size": self.batch_size,
            "max_batch_bytes": self.max_batch_bytes,
            "commit_every": self.commit_every,
            "output": [self.output.location.uri, self.output.format.value, self.output.is_dir],
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def interrupt(self) -> None:
        """Stop the run from another thread (Airflow ``on_kill``): running guest calls trap."""
        self._interrupted.set()
        for chain in self._chains:
            chain.interrupt()

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> RunReport:
        started = time.perf_counter()
        staging = Staging(self.output, self.fingerprint(), self.log)
        start = staging.open(self.resumable)
        report = RunReport(
            self.input.location.uri if self.input else f"source:{self.steps[0].name}",
            self.output.location.uri,
            self.dead_letter.location.uri if self.dead_letter else None,
            plugins=[s.describe() for s in self.steps],
        )
        for m in staging.markers:
            report.resumed_batches += m.last - m.first + 1
            report.resumed_rows += m.rows_in
        report.rows_in = report.resumed_rows
        report.rows_out = sum(m.rows_out for m in staging.markers)
        report.rows_error = sum(m.rows_error for m in staging.markers)
        report.batches = report.resumed_batches
        try:
            self._chains = [Chain(self.steps, self.log) for _ in range(self.workers)]
            self._stream(staging, start, report, started)
        finally:
            report.metrics = merged_metrics(self._chains)
            for chain in self._chains:
                chain.close()
        report.duration_s = time.perf_counter() - started
        where = (
            f", the rejected rows are in {self.dead_letter.location}" if self.dead_letter else ""
        )
        too_many = report.error_rate_exceeded(
            self.max_error_rate, f"; the output was not committed{where}"
        )
        if too_many is not None:
            staging.finalize_dead_letter_only(self.dead_letter)
            raise too_many
        rows_out, _ = staging.finalize(self.dead_letter)
        report.rows_out = rows_out
        self.log.info("%s", report.format_table())
        return report

    def _batches(self, start: int) -> Iterator[tuple[int, pa.RecordBatch]]:
        if self.input is not None:
            source: Iterable[pa.RecordBatch] = self.input.batches(
                self.batch_size, self.max_batch_bytes
            )
        else:
            source = rechunk(self._source_batches(), self.batch_size, self.max_batch_bytes)
        for index, batch in enumerate(source):
            if self._interrupted.is_set():
                raise PluginInterrupted("the run was interrupted")
            if index >= start:
                yield index, batch

    def _source_batches(self) -> Iterator[pa.RecordBatch]:
        inst = self._chains[0].instances[0]
        while True:
            result = inst.read(self.batch_size)
            if result is None:
                return
            if result.output is not None:
                yield result.output

    def _stream(self, staging: Staging, start: int, report: RunReport, started: float) -> None:
        chains = self._chains
        skip_first = 1 if self.source_step is not None else 0

        def run_chain(chain: Chain, item: tuple[int, pa.RecordBatch]) -> ChainResult:
            if skip_first:
                index, batch = item
                result = ChainResult(index, None, rows_in=batch.num_rows)
                chain._run_from(1, batch, result)
                return result
            return chain.process(item)

        open_range = _OpenRange(staging, start, self.dead_letter is not None)
        next_progress = time.monotonic() + self.progress_interval_s
        results = ordered_map(
            chains, run_chain, self._batches(start), name="dataflare-worker", threaded=True
        )
        for result in _committing_partial_on_failure(results, open_range.commit_quietly):
            self._write(result, open_range, report)
            open_range.add(result)
            report.batches += 1
            if open_range.size >= self.commit_every:
                open_range.commit()
            if time.monotonic() >= next_progress:
                self._progress(report, started)
                next_progress = time.monotonic() + self.progress_interval_s
        tail = chains[0].finish(open_range.last + 1)
        if tail.output is not None or tail.dead:
            self._write(tail, open_range, report)
            open_range.last = max(open_range.last, open_range.first)
        open_range.commit()
        self._progress(report, started)

    def _write(self, result: ChainResult, open_range: _OpenRange, report: RunReport) -> None:
        report.rows_in += result.rows_in
        if result.output is not None and result.output.num_rows:
            open_range.main().write(result.output)
            report.rows_out += result.output.num_rows
        for rows in result.dead:
            report.rows_error += rows.num_rows
            dead = open_range.dead()
            if dead is not None:
                dead.write(rows)

    def _progress(self, report: RunReport, started: float) -> None:
        p = Progress(report.batches, report.rows_in, report.rows_out, report.rows_error,
                     time.perf_counter() - started)  # fmt: skip
        self.log.info(
            "progress: %s batches, %s rows in, %s out, %s errors, %s rows/s",
            f"{p.batches:,}", f"{p.rows_in:,}", f"{p.rows_out:,}", f"{p.rows_error:,}",
            f"{p.rows_per_s:,.0f}",
        )  # fmt: skip
        if self.on_progress is not None:
            self.on_progress(p)


class _OpenRange:
    """The input batches whose output is being written and not yet committed."""

    def __init__(self, staging: Staging, first: int, keep_dead: bool) -> None:
        self.staging = staging
        self.keep_dead = keep_dead
        self.first = first
        self.last = first - 1
        self.rows_in = 0
        self._main: PartWriter | None = None
        self._dead: PartWriter | None = None

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def main(self) -> PartWriter:
        if self._main is None:
            self._main = self.staging.part_writer("part", self.first)
        return self._main

    def dead(self) -> PartWriter | None:
        if self._dead is None and self.keep_dead:
            self._dead = self.staging.part_writer("dead", self.first)
        return self._dead

    def add(self, result: ChainResult) -> None:
        self.rows_in += result.rows_in
        self.last = result.index

    def commit(self) -> None:
        """Seal what was written for batches ``first..last`` and start the next range."""
        if self.size > 0:
            self.staging.commit(self.first, self.last, self.rows_in, self._main, self._dead)
        self.first, self.rows_in, self._main, self._dead = self.last + 1, 0, None, None

    def commit_quietly(self) -> None:
        """Before a failure propagates, commit the batches that did complete, so the retry
        redoes as little as possible (a failure to do so must not hide the original one)."""
        try:
            self.commit()
        except Exception as exc:
            self.staging.log.warning(
                "could not commit batches %d..%d before failing: %s", self.first, self.last, exc
            )


def _committing_partial_on_failure(
    results: Iterator[ChainResult], commit: Callable[[], None]
) -> Iterator[ChainResult]:
    """``results``, calling ``commit`` before re-raising when producing the next one fails."""
    while True:
        try:
            result = next(results)
        except StopIteration:
            return
        except BaseException:
            commit()
            raise
        yield result


def run_transform(
    steps: Sequence[Step], output: Any, input: Any = None, **kwargs: Any
) -> RunReport:
    """Shorthand for ``TransformRun(steps, output, input, **kwargs).run()``."""
    return TransformRun(steps, output, input, **kwargs).run()

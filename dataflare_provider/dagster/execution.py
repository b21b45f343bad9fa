"""What a WASM asset does when it runs: fill the path templates for the partition, load the
plugins through the resource, run them (files -> files resumably through ``TransformRun``, or in
memory), and hand back an :class:`Outcome` for the asset to turn into Dagster events.

Log lines of the plugins (lifecycle, guest logs, progress) go to ``context.log``; so do the
``dataflare_provider`` library's own log records while the asset runs.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.dataset as pds

from dataflare_provider.dagster.errors import dagster_errors
from dataflare_provider.dagster.plugins import PluginSpec, label
from dataflare_provider.dagster.resource import DataFlareResource
from dataflare_provider.errors import ConfigError, ErrorRateExceeded
from dataflare_provider.io import InputFiles, write_batches
from dataflare_provider.io.formats import Format
from dataflare_provider.pipeline import DEAD_LETTER_SCHEMA, RunReport, Step
from dataflare_provider.pipeline.memory import ArrowData
from dataflare_provider.pipeline.runner import output_target

TEMPLATE_FIELDS = frozenset({"partition_key", "name"})


def template_fields(template: str) -> set[str]:
    """The ``{fields}`` a path template uses."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}


@dataclass(frozen=True)
class TransformPlan:
    """Everything a WASM asset was defined with (see ``assets.wasm_transform_asset``)."""

    name: str
    specs: tuple[PluginSpec | Step, ...]
    input: str | None = None
    output: str | None = None
    dead_letter: str | None = None
    upstream: tuple[str, ...] = ()  # argument names of the upstream tables, in order
    max_error_rate: float | None = None
    retry_deterministic: bool = False
    resume: bool = True
    resource_key: str = "dataflare"
    options: Mapping[str, Any] = field(default_factory=dict)  # TransformRun options

    @property
    def files_to_files(self) -> bool:
        """Input files (or a source plugin) to output files, resumable; else in memory."""
        return self.output is not None and not self.upstream

    def fill(self, template: str | None, partition_key: str | None) -> str | None:
        if template is None:
            return None
        values = {"name": self.name, "partition_key": partition_key}
        missing = template_fields(template) - TEMPLATE_FIELDS
        if missing:
            raise ConfigError(f"unknown path template fields {sorted(missing)} in {template!r}")
        if "partition_key" in template_fields(template) and partition_key is None:
            raise ConfigError(f"{template!r} needs a partition key")
        return template.format(**values)


@dataclass
class Outcome:
    """What a run produced; ``error`` is set (and nothing committed) when too many rows failed."""

    report: RunReport | None
    output: pa.Table | None = None  # in-memory output (no output path)
    dead_letter: pa.Table | None = None  # in-memory dead-letter rows
    schema: pa.Schema | None = None  # of the main output
    output_uri: str | None = None
    dead_letter_uri: str | None = None
    dead_letter_rows: int = 0
    error: ErrorRateExceeded | None = None

    @property
    def rows_in(self) -> int:
        if self.report is not None:
            return self.report.rows_in
        return int(self.error.context.get("rows_in", 0)) if self.error else 0

    @property
    def rows_error(self) -> int:
        if self.report is not None:
            return self.report.rows_error
        return int(self.error.context.get("rows_error", 0)) if self.error else 0


class _ForwardHandler(logging.Handler):
    def __init__(self, target: logging.Logger) -> None:
        super().__init__(logging.INFO)
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.target.log(record.levelno, "%s", record.getMessage())
        except Exception:  # a log line must never fail the run
            self.handleError(record)


@contextmanager
def forward_logs(target: logging.Logger) -> Iterator[None]:
    """Send ``dataflare_provider`` log records (plugin loads, registry warnings) to ``target``."""
    lib = logging.getLogger("dataflare_provider")
    handler = _ForwardHandler(target)
    old_level = lib.level
    lib.addHandler(handler)
    if lib.getEffectiveLevel() > logging.INFO:
        lib.setLevel(logging.INFO)
    try:
        yield
    finally:
        lib.removeHandler(handler)
        lib.setLevel(old_level)


def _as_arrow(value: Any, name: str) -> ArrowData:
    if isinstance(value, pa.Table | pa.RecordBatchReader | pa.RecordBatch):
        return value
    try:
        return pa.table(value)  # pandas, polars, Arrow C stream objects, dicts of columns
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise ConfigError(
            f"upstream {name!r} is a {type(value).__name__}, not Arrow data (pyarrow.Table, "
            "RecordBatchReader or anything pyarrow.table() accepts)"
        ) from exc


def upstream_data(plan: TransformPlan, inputs: Mapping[str, Any]) -> ArrowData:
    """The upstream tables, in the order given; several are concatenated (schemas unified)."""
    values = [_as_arrow(inputs[n], n) for n in plan.upstream]
    if len(values) == 1:
        return values[0]
    tables = [
        v.read_all()
        if isinstance(v, pa.RecordBatchReader)
        else pa.Table.from_batches([v])
        if isinstance(v, pa.RecordBatch)
        else v
        for v in values
    ]
    return pa.concat_tables(tables, promote_options="default")  # type: ignore[arg-type]


def output_schema(
    uri: str, fmt: Any, storage_options: Mapping[str, Any] | None
) -> pa.Schema | None:
    """The schema of a written output (a file or a directory of parts), if readable."""
    target = output_target(uri, fmt, dict(storage_options or {}))
    kind = {Format.PARQUET: "parquet", Format.CSV: "csv"}.get(target.format, "json")
    try:
        return pds.dataset(target.location.path, filesystem=target.location.fs, format=kind).schema
    except (OSError, pa.ArrowException, ValueError):
        return None


def compact(table: pa.Table) -> pa.Table:
    """``table`` in fresh buffers when its chunks are slices of much larger buffers.

    Pass-through columns are zero-copy slices of the input batches, and pickle (the default IO
    manager) writes a slice's whole parent buffers: 65,536-row slices of a 1M-row table pickle to
    ~16x the data. Copying costs ~50 ms per 20 MB and happens only when slices dominate.
    """
    referenced = sum(
        buf.size
        for column in table.columns
        for chunk in column.chunks
        for buf in chunk.buffers()
        if buf is not None
    )
    if referenced <= 2 * table.nbytes + 2**20:
        return table
    try:
        arrays = [pa.concat_arrays([*c.chunks, c.chunks[0].slice(0, 0)]) for c in table.columns]
        return pa.Table.from_arrays(arrays, schema=table.schema)
    except pa.ArrowException:  # e.g. dictionaries that do not concatenate: keep the slices
        return table


def _write_table(table: pa.Table, uri: str, fmt: Any, opts: Mapping[str, Any] | None) -> str:
    target = output_target(uri, fmt, dict(opts or {}))
    loc = target.location
    if target.is_dir:
        loc = loc.child(f"part-00000{target.format.extension}")
    write_batches(table.to_batches(), loc, target.format, empty_schema=table.schema)
    return loc.uri


def _log_steps(log: logging.Logger, steps: list[Step]) -> None:
    for s in steps:
        d = s.describe()
        log.info(
            "plugin %s %s from %s (%s, wasm sha256:%s)",
            s.name, d["version"] or "", d["reference"], d["digest"] or "local file",
            (d["wasm_sha256"] or "")[:12],
        )  # fmt: skip


def execute(
    context: dg.AssetExecutionContext, plan: TransformPlan, inputs: Mapping[str, Any]
) -> Outcome:
    """Run ``plan`` for the current partition. Raises what ``errors.dagster_errors`` maps to;
    returns an outcome with ``error`` set when too many rows were rejected."""
    log = context.log
    partition_key = context.partition_key if context.has_partition_key else None
    resource: DataFlareResource = getattr(context.resources, plan.resource_key)
    with (
        forward_logs(log),
        dagster_errors(retry_deterministic=plan.retry_deterministic, logger=log),
    ):
        if context.retry_number:
            log.info(
                "attempt %d: committed output of earlier attempts is reused where possible",
                context.retry_number + 1,
            )
        input_uri = plan.fill(plan.input, partition_key)
        output_uri = plan.fill(plan.output, partition_key)
        dead_uri = plan.fill(plan.dead_letter, partition_key)
        log.info(
            "DataFlare: %s over %s -> %s",
            " | ".join(label(s) for s in plan.specs),
            input_uri or ", ".join(plan.upstream) or "(source)", output_uri or "(returned table)",
        )  # fmt: skip
        steps = resource.steps(list(plan.specs))
        _log_steps(log, steps)
        if plan.files_to_files:
            return _files_to_files(resource, plan, steps, input_uri, output_uri, dead_uri, log)
        return _in_memory(resource, plan, steps, inputs, input_uri, output_uri, dead_uri, log)


def _files_to_files(
    resource: DataFlareResource,
    plan: TransformPlan,
    steps: list[Step],
    input_uri: str | None,
    output_uri: str | None,
    dead_uri: str | None,
    log: logging.Logger,
) -> Outcome:
    opts = dict(plan.options)
    try:
        report = resource.run(
            steps, input=input_uri, output=output_uri, dead_letter=dead_uri,
            max_error_rate=plan.max_error_rate, resume=plan.resume, logger=log, **opts,
        )  # fmt: skip
    except ErrorRateExceeded as exc:
        return Outcome(None, output_uri=output_uri, dead_letter_uri=dead_uri, error=exc,
                       dead_letter_rows=int(exc.context.get("rows_error", 0)))  # fmt: skip
    assert output_uri is not None
    schema = output_schema(output_uri, opts.get("output_format"), opts.get("storage_options"))
    return Outcome(report, schema=schema, output_uri=report.output, dead_letter_uri=dead_uri,
                   dead_letter_rows=report.rows_error)  # fmt: skip


def _in_memory(
    resource: DataFlareResource,
    plan: TransformPlan,
    steps: list[Step],
    inputs: Mapping[str, Any],
    input_uri: str | None,
    output_uri: str | None,
    dead_uri: str | None,
    log: logging.Logger,
) -> Outcome:
    opts = plan.options
    batch_size = opts.get("batch_size") or resource.batch_size
    if input_uri is not None:
        files = InputFiles(input_uri, format=opts.get("input_format"),
                           storage_options=opts.get("storage_options"))  # fmt: skip
        data: ArrowData = files.batches(batch_size, resource.max_batch_bytes)
    else:
        data = upstream_data(plan, inputs)
    # The rate is enforced here rather than by transform_table, which drops the rejected rows
    # when it raises: they are kept (returned or written) even when the asset fails.
    result = resource.transform_table(steps, data, logger=log, batch_size=batch_size)
    report = result.report
    if input_uri is not None:
        report.input = input_uri
    log.info("%s", report.format_table())
    error = report.error_rate_exceeded(plan.max_error_rate, "; the output was not committed")
    if dead_uri is not None:
        dead_uri = _write_table(result.dead_letter, dead_uri, opts.get("dead_letter_format"),
                                opts.get("storage_options"))  # fmt: skip
        report.dead_letter = dead_uri
        log.info("wrote %s rejected rows to %s", f"{result.dead_letter.num_rows:,}", dead_uri)
    outcome = Outcome(
        report, dead_letter=result.dead_letter, schema=result.output.schema,
        dead_letter_uri=dead_uri, dead_letter_rows=result.dead_letter.num_rows, error=error,
    )  # fmt: skip
    if error is not None:
        return outcome
    if output_uri is not None:
        outcome.output_uri = _write_table(result.output, output_uri, opts.get("output_format"),
                                          opts.get("storage_options"))  # fmt: skip
        report.output = outcome.output_uri
        log.info("wrote %s rows to %s", f"{result.output.num_rows:,}", outcome.output_uri)
    else:
        outcome.output = compact(result.output)
    return outcome


__all__ = ["DEAD_LETTER_SCHEMA", "Outcome", "TransformPlan", "execute", "template_fields"]

"""A run's report as typed Dagster metadata, and the error-rate asset check.

Keys: ``dagster/row_count`` and ``dagster/column_schema`` (the standard table metadata), run totals
under ``dataflare/``, and per plugin ``dataflare/<plugin>/<metric>`` (``PluginMetrics``) plus the
plugin's reference, version and digests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dagster as dg
import pyarrow as pa

from dataflare_provider.pipeline import RunReport
from dataflare_provider.runtime.metrics import PluginMetrics

ERROR_RATE_CHECK = "error_rate"

MV = dg.MetadataValue


def column_schema(schema: pa.Schema) -> dg.TableSchema:
    """An Arrow schema as a Dagster ``TableSchema``."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=f.name,
                type=str(f.type),
                constraints=dg.TableColumnConstraints(nullable=f.nullable),
            )
            for f in schema
        ]
    )


def table_metadata(
    rows: int, schema: pa.Schema | None, *, partitioned: bool = False
) -> dict[str, MV]:
    """``dagster/row_count`` (and ``dagster/partition_row_count``) and ``dagster/column_schema``."""
    meta: dict[str, MV] = {"dagster/row_count": MV.int(rows)}
    if partitioned:
        meta["dagster/partition_row_count"] = MV.int(rows)
    if schema is not None:
        meta["dagster/column_schema"] = MV.table_schema(column_schema(schema))
    return meta


def _plugin_prefixes(names: Sequence[str]) -> list[str]:
    """``dataflare/<name>``, made unique when a chain runs a plugin twice."""
    out = []
    for i, name in enumerate(names):
        out.append(f"dataflare/{name}" if names.count(name) == 1 else f"dataflare/{name}#{i + 1}")
    return out


def plugin_metadata(
    prefix: str, described: dict[str, Any], m: PluginMetrics | None
) -> dict[str, MV]:
    """One plugin's identity and metrics."""
    meta: dict[str, MV] = {}
    for key in ("reference", "version", "digest", "wasm_sha256"):
        if described.get(key):
            meta[f"{prefix}/{key}"] = MV.text(str(described[key]))
    if m is None:
        return meta
    meta.update(
        {
            f"{prefix}/load_time_ms": MV.float(round(m.load_time_s * 1e3, 3)),
            f"{prefix}/load_source": MV.text(m.load_source or "unknown"),
            f"{prefix}/init_time_ms": MV.float(round(m.init_time_s * 1e3, 3)),
            f"{prefix}/batches": MV.int(m.batches),
            f"{prefix}/rows_in": MV.int(m.rows_in),
            f"{prefix}/rows_out": MV.int(m.rows_out),
            f"{prefix}/rows_error": MV.int(m.rows_error),
            f"{prefix}/error_rate": MV.float(round(m.error_rate, 6)),
            f"{prefix}/avg_batch_ms": MV.float(round(m.avg_batch_time_s * 1e3, 3)),
            f"{prefix}/p99_batch_ms": MV.float(round(m.p99_batch_time_s * 1e3, 3)),
            f"{prefix}/throughput_rows_s": MV.float(round(m.throughput_rows_s, 1)),
            f"{prefix}/memory_usage_bytes": MV.int(m.memory_usage_bytes),
            f"{prefix}/instances": MV.int(m.instances),
        }
    )
    if m.fuel_consumed:
        meta[f"{prefix}/fuel_consumed"] = MV.int(m.fuel_consumed)
    for name, value in sorted(m.counters.items()):
        meta[f"{prefix}/{name}"] = MV.int(value)
    hist = m.summary().get("histograms", {})
    for name, summary in sorted(hist.items()):
        meta[f"{prefix}/{name}"] = MV.json(summary)
    return meta


def report_metadata(
    report: RunReport,
    schema: pa.Schema | None,
    *,
    partitioned: bool = False,
) -> dict[str, MV]:
    """Everything a :class:`RunReport` says, as typed metadata of the main output."""
    meta = table_metadata(report.rows_out, schema, partitioned=partitioned)
    meta.update(
        {
            "dataflare/rows_in": MV.int(report.rows_in),
            "dataflare/rows_out": MV.int(report.rows_out),
            "dataflare/rows_error": MV.int(report.rows_error),
            "dataflare/error_rate": MV.float(round(report.error_rate, 6)),
            "dataflare/batches": MV.int(report.batches),
            "dataflare/resumed_batches": MV.int(report.resumed_batches),
            "dataflare/duration_s": MV.float(round(report.duration_s, 3)),
            "dataflare/throughput_rows_s": MV.float(round(report.throughput_rows_s, 1)),
        }
    )
    for key, value in (("input", report.input), ("output", report.output),
                       ("dead_letter", report.dead_letter)):  # fmt: skip
        if value and value != "memory":
            meta[f"dataflare/{key}"] = MV.path(value)
    names = [str(p.get("plugin")) for p in report.plugins]
    metrics = {m.plugin: m for m in report.metrics}
    by_index = report.metrics if len(report.metrics) == len(names) else []
    for i, (prefix, described) in enumerate(
        zip(_plugin_prefixes(names), report.plugins, strict=True)
    ):
        m = by_index[i] if by_index else metrics.get(names[i])
        meta.update(plugin_metadata(prefix, described, m))
    meta["dataflare/plugins"] = MV.json(
        [{k: v for k, v in p.items() if v is not None} for p in report.plugins]
    )
    meta["dataflare/summary"] = MV.md(f"```\n{report.format_table()}\n```")
    return meta


def dead_letter_metadata(rows: int, schema: pa.Schema, location: str | None) -> dict[str, MV]:
    """Metadata of a dead-letter output."""
    meta = table_metadata(rows, schema)
    if location:
        meta["dataflare/path"] = MV.path(location)
    return meta


def error_rate_check(
    rows_error: int,
    rows_in: int,
    max_error_rate: float,
    *,
    asset_key: dg.AssetKey | None = None,
) -> dg.AssetCheckResult:
    """Passes when at most ``max_error_rate`` of the rows were rejected."""
    rate = rows_error / rows_in if rows_in else 0.0
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=ERROR_RATE_CHECK,
        passed=rate <= max_error_rate,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "error_rate": MV.float(round(rate, 6)),
            "max_error_rate": MV.float(max_error_rate),
            "rows_error": MV.int(rows_error),
            "rows_in": MV.int(rows_in),
        },
        description=f"{rows_error:,} of {rows_in:,} rows rejected ({rate:.2%}; "
        f"max {max_error_rate:.2%})",
    )

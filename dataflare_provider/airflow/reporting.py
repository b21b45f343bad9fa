"""A run's metrics as Airflow ``Stats`` and as the ``extra`` of output asset events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, AssetAlias
from airflow.sdk.observability.stats import Stats, normalize_name_for_stats

from dataflare_provider.pipeline import RunReport

PREFIX = "dataflare"


def stats_tags(dag_id: str | None, task_id: str | None) -> dict[str, str]:
    return {k: v for k, v in {"dag_id": dag_id, "task_id": task_id}.items() if v}


def emit_run_stats(report: RunReport, tags: Mapping[str, str]) -> None:
    """Counters and timers of a finished run; plugin-emitted counters under the plugin's name."""
    tags = dict(tags)
    Stats.incr(f"{PREFIX}.runs", tags=tags)
    Stats.incr(f"{PREFIX}.rows_in", count=report.rows_in, tags=tags)
    Stats.incr(f"{PREFIX}.rows_out", count=report.rows_out, tags=tags)
    Stats.incr(f"{PREFIX}.rows_error", count=report.rows_error, tags=tags)
    Stats.incr(f"{PREFIX}.batches", count=report.batches, tags=tags)
    if report.resumed_batches:
        Stats.incr(f"{PREFIX}.resumed_batches", count=report.resumed_batches, tags=tags)
    Stats.timing(f"{PREFIX}.run_duration", timedelta(seconds=report.duration_s), tags=tags)
    for m in report.metrics:
        name = normalize_name_for_stats(m.plugin, log_warning=False)
        ptags = {**tags, "plugin": m.plugin}
        Stats.timing(f"{PREFIX}.plugin.load_time", timedelta(seconds=m.load_time_s), tags=ptags)
        Stats.timing(f"{PREFIX}.plugin.init_time", timedelta(seconds=m.init_time_s), tags=ptags)
        Stats.timing(
            f"{PREFIX}.plugin.process_time", timedelta(seconds=m.process_time_s), tags=ptags
        )
        Stats.timing(
            f"{PREFIX}.plugin.p99_batch_time", timedelta(seconds=m.p99_batch_time_s), tags=ptags
        )
        Stats.gauge(f"{PREFIX}.plugin.memory_usage_bytes", m.memory_usage_bytes, tags=ptags)
        Stats.gauge(f"{PREFIX}.plugin.throughput_rows_s", m.throughput_rows_s, tags=ptags)
        Stats.incr(f"{PREFIX}.plugin.rows_error", count=m.rows_error, tags=ptags)
        for counter, value in m.counters.items():
            key = normalize_name_for_stats(counter, log_warning=False)
            Stats.incr(f"{PREFIX}.plugin.{name}.{key}", count=value, tags=ptags)


def emit_failure_stats(failure_class: str, tags: Mapping[str, str]) -> None:
    Stats.incr(f"{PREFIX}.failures", tags={**tags, "failure_class": failure_class})


def asset_extra(report: RunReport) -> dict[str, Any]:
    """The metrics attached to output asset events (small and JSON-able)."""
    summary = report.summary()
    keep = ("plugin", "version", "digest", "rows_in", "rows_out", "rows_error", "avg_batch_ms",
            "p99_batch_ms", "throughput_rows_s", "memory_usage_bytes", "counters")  # fmt: skip
    return {
        "dataflare": {
            **{k: v for k, v in summary.items() if k != "plugins"},
            "plugins": [{k: p[k] for k in keep if k in p} for p in summary["plugins"]],
        }
    }


def asset_uri(uri: str) -> str:
    """An asset URI for an output location (local paths become ``file://`` URIs)."""
    return uri if "://" in uri else f"file://{uri}"


def record_outlet_events(outlets: Iterable[Any], outlet_events: Any, report: RunReport) -> int:
    """Attach the metrics to the events of the task's asset outlets; returns how many."""
    extra = asset_extra(report)
    count = 0
    for outlet in outlets:
        if isinstance(outlet, Asset):
            outlet_events[outlet].extra.update(extra)
            count += 1
        elif isinstance(outlet, AssetAlias) and report.output:
            uri = asset_uri(report.output)
            outlet_events[outlet].add(Asset(name=uri, uri=uri), extra=extra)
            count += 1
    return count

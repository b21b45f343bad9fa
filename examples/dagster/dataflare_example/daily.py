"""Daily partitions, files -> files: every day's raw events are generated into
``raw/<day>.parquet``, cleaned by a chain of two plugins into ``clean/<day>.parquet`` (rejected rows
in ``rejected/<day>.parquet``), then aggregated per event type into a table (IO manager).

A failed attempt of ``events_clean`` leaves committed output ranges behind; the retry (the asset's
``RetryPolicy``) resumes after them.

    cd examples/dagster
    dagster definitions validate -m dataflare_example.daily
    dagster asset materialize --select '*' --partition 2026-11-27 -m dataflare_example.daily
"""

import datetime as dt

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dataflare_example.plugins import (
    AGGREGATOR,
    BASIC_TRANSFORMER,
    ROW_FILTER,
    data_dir,
    example_plugins,
)
from dataflare_provider.dagster import DataFlareResource, PluginSpec, wasm_transform_asset

daily = dg.DailyPartitionsDefinition(start_date="2026-11-01")
EVENTS = data_dir() / "events"
EVENT_TYPES = ["Click", "VIEW", "Purchase", "signup"]


def sample_events(day: str, rows: int = 5_000) -> pa.Table:
    """Deterministic events of one day; about 1% lack a latency (rejected by the filter)."""
    seed = dt.date.fromisoformat(day).toordinal()
    rng = np.random.default_rng(seed)
    start = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp()
    latency = rng.exponential(120.0, rows)
    missing = rng.random(rows) < 0.01
    return pa.table(
        {
            "ts": pa.array(((start + np.sort(rng.uniform(0, 86_400, rows))) * 1e6).astype(
                np.int64), pa.timestamp("us", tz="UTC")),
            "user": pa.array([f"User-{i}" for i in rng.integers(0, 500, rows)]),
            "event": pa.array([EVENT_TYPES[i] for i in rng.integers(0, len(EVENT_TYPES), rows)]),
            "latency_ms": pa.array(latency, pa.float64(), mask=missing),
        }
    )  # fmt: skip


@dg.asset(partitions_def=daily, group_name="events")
def events_raw(context: dg.AssetExecutionContext) -> dg.MaterializeResult[None]:
    """One day of generated events as Parquet."""
    path = EVENTS / "raw" / f"{context.partition_key}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    table = sample_events(context.partition_key)
    pq.write_table(table, path)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": table.num_rows, "path": dg.MetadataValue.path(str(path))}
    )


events_clean = wasm_transform_asset(
    [
        PluginSpec(BASIC_TRANSFORMER, {"lowercase": ["user", "event"]}),
        PluginSpec(ROW_FILTER, {"column": "latency_ms", "op": ">=", "value": 0}),
    ],
    name="events_clean",
    input=str(EVENTS / "raw" / "{partition_key}.parquet"),
    output=str(EVENTS / "clean" / "{partition_key}.parquet"),
    dead_letter=str(EVENTS / "rejected" / "{partition_key}.parquet"),
    partitions_def=daily,
    deps=[events_raw, example_plugins],
    max_error_rate=0.05,
    batch_size=1_000,
    group_name="events",
)

events_by_type = wasm_transform_asset(
    AGGREGATOR,
    name="events_by_type",
    config={"group_by": "event", "sum": "latency_ms"},
    input=str(EVENTS / "clean" / "{partition_key}.parquet"),
    partitions_def=daily,
    deps=[events_clean],
    group_name="events",
)

defs = dg.Definitions(
    assets=[example_plugins, events_raw, events_clean, events_by_type],
    resources={"dataflare": DataFlareResource()},
    executor=dg.in_process_executor,
)

"""Several plugins in one task: filter, transform and aggregate the day's orders.

``row-filter`` keeps orders with ``amount >= 20`` (null amounts go to the dead letter),
``basic-transformer`` lowercases ``region``, ``streaming-aggregator`` sums ``amount`` per region.
Each batch flows through the three plugins in memory; only the result is written. The output
asset's events carry the run's metrics in ``extra``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from _dataflare_example_support import ensure_example_plugins, examples_dir, write_orders
from airflow.sdk import Asset, dag, task

from dataflare_provider.airflow.operators.transform import WasmPipelineOperator

REGION_TOTALS = Asset(
    name="dataflare_example_region_totals", uri="file:///dataflare-examples/region_totals"
)


@dag(
    dag_id="dataflare_pipeline",
    schedule="@daily",
    start_date=datetime(2026, 11, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=5)},
    tags=["dataflare", "example"],
)
def dataflare_pipeline() -> None:
    @task
    def prepare(ds: str | None = None) -> dict[str, Any]:
        ensure_example_plugins()
        base = examples_dir() / "pipeline"
        for i in range(3):
            write_orders(base / "raw" / f"date={ds}" / f"orders-{i}.parquet", 30_000, seed=10 + i)
        return {
            "input": f"{base}/raw/date={ds}/",
            "output": f"{base}/region_totals/date={ds}.parquet",
            "dead_letter": f"{base}/rejected/date={ds}.parquet",
        }

    paths = prepare()
    totals = WasmPipelineOperator(
        task_id="region_totals",
        plugins=[
            {
                "plugin": "dataflare/row-filter:^1.0",
                "config": {"column": "amount", "op": ">=", "value": 20},
            },
            {"plugin": "dataflare/basic-transformer:^1.0", "config": {"lowercase": ["region"]}},
            {
                "plugin": "dataflare/streaming-aggregator:^1.0",
                "config": {"group_by": "region", "sum": "amount"},
            },
        ],
        input=paths["input"],
        output=paths["output"],
        dead_letter=paths["dead_letter"],
        max_error_rate=0.05,
        limits={"timeout_s": 30, "memory_mb": 64},
        outlets=[REGION_TOTALS],
    )

    @task
    def show(summary: dict[str, Any]) -> list[dict[str, Any]]:
        """The region totals (small: one row per region)."""
        import pyarrow.parquet as pq

        rows: list[dict[str, Any]] = pq.read_table(summary["output"]).to_pylist()
        for row in rows:
            print(row)
        return rows

    show(totals.output)


dataflare_pipeline()

"""Daily transform of a partitioned dataset, one mapped task per partition.

``raw/date=<ds>/region=<r>/`` -> basic-transformer (lowercase ``name``/``region``, derive
``amount_cents``) -> ``clean/date=<ds>/region=<r>/``. ``list_partitions`` returns one
``{"input", "output"}`` dict per partition and ``WasmTransformOperator.partial(...).expand_kwargs``
maps the transform over them: each partition is its own task instance, so a Celery or Kubernetes
executor spreads them over workers, and a failed partition retries alone.

Runs on a fresh machine: the example plugins are published to the local registry and the sample
input is generated on the first run (under ``$DATAFLARE_EXAMPLES_DIR``, default
``$DATAFLARE_HOME/airflow-examples``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from _dataflare_example_support import REGIONS, ensure_example_plugins, examples_dir, write_orders
from airflow.sdk import dag, task

from dataflare_provider.airflow.operators.transform import WasmTransformOperator


@dag(
    dag_id="dataflare_daily_partitions",
    schedule="@daily",
    start_date=datetime(2026, 11, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=5)},
    tags=["dataflare", "example"],
)
def dataflare_daily_partitions() -> None:
    @task
    def setup_plugins() -> dict[str, str]:
        return ensure_example_plugins(("basic-transformer",))

    @task
    def list_partitions(ds: str | None = None) -> list[dict[str, Any]]:
        """One input/output pair per region of the day (sample input made when missing)."""
        base = examples_dir() / "daily"
        partitions = []
        for i, region in enumerate(REGIONS):
            raw = base / "raw" / f"date={ds}" / f"region={region}"
            write_orders(raw / "orders.parquet", rows=20_000 + 5_000 * i, seed=i + 1)
            clean = base / "clean" / f"date={ds}" / f"region={region}"
            partitions.append({"input": f"{raw}/", "output": f"{clean}/"})
        return partitions

    @task
    def summarize(summaries: list[dict[str, Any]]) -> dict[str, int]:
        """The mapped tasks' XCom summaries, added up."""
        total = {k: sum(s[k] for s in summaries) for k in ("rows_in", "rows_out", "rows_error")}
        print(f"{len(summaries)} partitions: {total}")
        return total

    clean = WasmTransformOperator.partial(
        task_id="clean",
        plugin="dataflare/basic-transformer:^1.0",
        config={
            "lowercase": ["name", "region"],
            "derive": [{"name": "amount_cents", "from": "amount", "multiply": 100}],
        },
        batch_size=8_192,
        commit_every=2,
    ).expand_kwargs(list_partitions())

    setup_plugins() >> clean
    summarize(clean.output)


dataflare_daily_partitions()

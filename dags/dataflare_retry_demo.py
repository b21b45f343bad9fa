"""A transient fault in the middle of a run, and a retry that resumes.

The input is six Parquet files read through ``dataflare-flaky://``, a local filesystem whose
fourth file open fails once per DAG run (``ConnectionResetError``). The first try commits the
output ranges of the first files, then fails with a retryable ``DataFlareTransientError``;
the second try skips the committed ranges (``resumed_batches`` in its XCom summary) and the final
output has every row exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from _dataflare_example_support import ensure_example_plugins, examples_dir, write_orders
from airflow.sdk import dag, task

from dataflare_provider.airflow.operators.transform import WasmTransformOperator

FILES = 6
ROWS_PER_FILE = 10_000


@dag(
    dag_id="dataflare_retry_demo",
    schedule=None,
    start_date=datetime(2026, 11, 1),
    catchup=False,
    tags=["dataflare", "example"],
)
def dataflare_retry_demo() -> None:
    @task
    def prepare(run_id: str | None = None) -> dict[str, Any]:
        ensure_example_plugins(("basic-transformer",))
        base = examples_dir() / "retry-demo"
        for i in range(FILES):
            write_orders(base / "raw" / f"orders-{i}.parquet", ROWS_PER_FILE, seed=100 + i)
        safe_run = "".join(c if c.isalnum() else "_" for c in str(run_id))
        return {
            "input": f"dataflare-flaky://{base}/raw/",
            "output": f"{base}/clean/{safe_run}.parquet",
            "storage_options": {
                "fail_on_open": 4,
                "state_file": f"{base}/faults/{safe_run}",
            },
        }

    paths = prepare()
    WasmTransformOperator(
        task_id="transform",
        plugin="dataflare/basic-transformer:^1.0",
        config={
            "lowercase": ["name"],
            "derive": [{"name": "amount_x2", "from": "amount", "multiply": 2}],
        },
        input=paths["input"],
        output=paths["output"],
        storage_options=paths["storage_options"],
        batch_size=5_000,
        commit_every=2,
        retries=2,
        retry_delay=timedelta(seconds=1),
    )


dataflare_retry_demo()

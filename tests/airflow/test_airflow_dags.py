"""Every example DAG in dags/ run with ``dag.test()``: real plugins from the local registry, real
files, a sqlite metadata DB; outputs compared with what the plugins' documented semantics give."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def tis(dr: Any) -> dict[tuple[str, int], Any]:
    return {(ti.task_id, ti.map_index): ti for ti in dr.get_task_instances()}


def table_checksum(table: pa.Table) -> str:
    """Row count and content hash, independent of batch boundaries."""
    h = hashlib.sha256()
    for row in table.to_pylist():
        h.update(repr(sorted(row.items())).encode())
    return f"{table.num_rows}:{h.hexdigest()}"


def test_dag_files_parse(dag_bag: Any) -> None:
    assert set(dag_bag.dags) >= {
        "dataflare_daily_partitions",
        "dataflare_pipeline",
        "dataflare_retry_demo",
    }


def test_daily_partitions_dag(run_dag: Any, examples_dir: Path, stats: Any) -> None:
    runs_before = stats.total("dataflare.runs", dag_id="dataflare_daily_partitions")
    dr = run_dag("dataflare_daily_partitions", logical_date=datetime(2026, 11, 27, tzinfo=UTC))
    assert dr.state == "success"
    by_key = tis(dr)
    mapped = [ti for (task, _), ti in by_key.items() if task == "clean"]
    assert len(mapped) == 3 and all(ti.state == "success" for ti in mapped)
    total_rows = 0
    for region in ("EU", "US", "APAC"):
        raw = pq.read_table(examples_dir / "daily/raw/date=2026-11-27" / f"region={region}")
        out_dir = examples_dir / "daily/clean/date=2026-11-27" / f"region={region}"
        assert (out_dir / "_SUCCESS").exists()
        out = pq.read_table(out_dir)
        expected = pa.table(
            {
                "order_id": raw["order_id"],
                "name": pc.ascii_lower(raw["name"]),
                "region": pc.ascii_lower(raw["region"]),
                "amount": raw["amount"],
                "amount_cents": pc.multiply(raw["amount"], 100.0),
            }
        )
        assert out.equals(expected, check_metadata=False)
        total_rows += raw.num_rows
    summary = by_key[("summarize", -1)].xcom_pull(task_ids="summarize")
    assert summary == {"rows_in": total_rows, "rows_out": total_rows, "rows_error": 0}
    # Airflow Stats: one run per mapped task, rows counted
    assert stats.total("dataflare.runs", dag_id="dataflare_daily_partitions") == runs_before + 3
    assert stats.total("dataflare.rows_in", task_id="clean") >= total_rows


def test_pipeline_dag(
    run_dag: Any, examples_dir: Path, caplog: pytest.LogCaptureFixture, stats: Any
) -> None:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    caplog.set_level("INFO")
    dr = run_dag("dataflare_pipeline")
    assert dr.state == "success", tis(dr)
    ds = dr.logical_date.strftime("%Y-%m-%d")
    base = examples_dir / "pipeline"
    raw = pq.read_table(base / "raw" / f"date={ds}")
    amount = raw["amount"]
    kept = raw.filter(pc.greater_equal(amount, 20))
    expected: dict[str, tuple[int, float]] = {}
    for region, value in zip(kept["region"].to_pylist(), kept["amount"].to_pylist(), strict=True):
        count, total = expected.get(region.lower(), (0, 0.0))
        expected[region.lower()] = (count + 1, total + value)
    out = pq.read_table(base / "region_totals" / f"date={ds}.parquet").to_pylist()
    assert [r["region"] for r in out] == list(expected)  # order of first appearance
    for row in out:
        count, total = expected[row["region"]]
        assert row["count"] == count
        assert row["sum"] == pytest.approx(total, rel=1e-12)
    dead = pq.read_table(base / "rejected" / f"date={ds}.parquet")
    assert dead.num_rows == pc.sum(pc.is_null(amount)).as_py() > 0
    assert set(dead["_dataflare_error"].to_pylist()) == {"amount is null"}

    summary = tis(dr)[("region_totals", -1)].xcom_pull(task_ids="region_totals")
    assert summary["rows_in"] == raw.num_rows
    assert summary["rows_error"] == dead.num_rows
    assert [p["plugin"] for p in summary["plugins"]] == [
        "row-filter", "basic-transformer", "streaming-aggregator",
    ]  # fmt: skip

    # the output asset's event carries the metrics
    with create_session() as session:
        events = session.scalars(
            select(AssetEvent).where(AssetEvent.source_run_id == dr.run_id)
        ).all()
    assert len(events) == 1
    extra = events[0].extra["dataflare"]
    assert extra["rows_in"] == raw.num_rows and extra["rows_out"] == len(expected)
    assert (
        extra["plugins"][0]["counters"]["rows_dropped"]
        == raw.num_rows - kept.num_rows - dead.num_rows
    )

    # task log: lifecycle transitions, progress, the summary table, the per-plugin metrics
    text = caplog.text
    for line in (
        "plugin row-filter: Loading -> Initializing",
        "plugin streaming-aggregator: Initializing -> Ready",
        "plugin basic-transformer: Stopping -> Stopped",
        "progress: ",
        "DataFlare run summary",
        "PluginMetrics[row-filter]",
        "row-filter.rows_dropped",
        "avg / p99 batch",
    ):
        assert line in text, line
    assert stats.total("dataflare.plugin.row-filter.rows_dropped") > 0


def test_retry_demo_dag_resumes(run_dag: Any, examples_dir: Path, published_examples: Any) -> None:
    """The first try fails after committing some ranges; the retry resumes; the output equals
    a clean run's (row count and content checksum)."""
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from dataflare_provider.pipeline import resolve_step, run_transform

    dr = run_dag("dataflare_retry_demo")
    assert dr.state == "success"
    ti = tis(dr)[("transform", -1)]
    assert ti.try_number == 2
    with create_session() as session:
        history = session.scalars(
            select(TaskInstanceHistory).where(
                TaskInstanceHistory.run_id == dr.run_id,
                TaskInstanceHistory.task_id == "transform",
            )
        ).all()
    assert [(h.try_number, h.state) for h in history] == [(1, "failed")]  # then retried
    summary = ti.xcom_pull(task_ids="transform")
    assert summary["resumed_batches"] == 6  # 3 files x 2 batches before the 4th file failed
    assert summary["batches"] == 12 and summary["rows_in"] == 60_000

    base = examples_dir / "retry-demo"
    clean = base / "clean-reference.parquet"
    step = resolve_step(
        published_examples["basic-transformer"],
        {"lowercase": ["name"], "derive": [{"name": "amount_x2", "from": "amount", "multiply": 2}]},
    )
    run_transform([step], clean, f"{base}/raw/", batch_size=5_000)
    resumed = pq.read_table(summary["output"])
    reference = pq.read_table(clean)
    assert resumed.num_rows == 60_000
    assert table_checksum(resumed) == table_checksum(reference)
    assert resumed.equals(reference)


def test_supervised_task_log_file(run_dag: Any, tmp_path: Path) -> None:
    """The task log *file* of a task run by Airflow's supervisor in a task subprocess contains the
    lifecycle transitions, progress and the metrics summary."""
    import json
    import subprocess
    import sys

    dr = run_dag("dataflare_pipeline")  # upstream XComs for the task to re-run
    assert dr.state == "success"
    log_path = tmp_path / "region_totals.log"
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_supervised_task.py")),
         "dataflare_pipeline", "region_totals", str(log_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    events = [r["event"] for r in records]
    text = "\n".join(events)
    for line in (
        "plugin row-filter 1.0.0 (sha256:",
        "plugin row-filter: Loading -> Initializing",
        "plugin streaming-aggregator: Initializing -> Ready",
        "plugin basic-transformer: Ready -> Stopping",
        "progress: 3 batches, 90,000 rows in",
        "DataFlare run summary",
        "PluginMetrics[streaming-aggregator]",
        "avg / p99 batch",
        "metrics attached to 1 asset event(s)",
    ):
        assert line in text, line
    assert all(r.get("task_id") == "region_totals" for r in records if "dataflare" in r["logger"])

"""Failure classes -> Airflow retries, with real plugins in a real DAG run (``dag.test()``).

One DAG, independent tasks: a permanent failure (bad config: no retry, no data read), a
deterministic guest failure (fuel: no retry by default, retried with
``retry_on_plugin_failure=True``), a data failure (error rate: no retry, dead letter kept), and a
source plugin that succeeds.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

SDK_TESTS = Path(__file__).resolve().parents[2] / "sdk" / "c" / "tests"


@pytest.fixture(scope="module")
def sdk_plugins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The C SDK's test plugins, built from source: ``sdk_source`` (config {"rows": N} -> id,
    label) and ``sdk_selftest`` (mode "log": logs at every level, counts rows)."""
    from dataflare_provider.toolchain.c import compile_c

    out = tmp_path_factory.mktemp("sdk")
    return {
        name: compile_c(
            [SDK_TESTS / f"{name}.c"], out / f"{name}.wasm", extra_flags=["-flto", "-mbulk-memory"]
        )
        for name in ("sdk_source", "sdk_selftest")
    }


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def failures_run(
    run_dag: Any, published_examples: dict[str, str], sdk_plugins: dict[str, Path],
    tmp_path_factory: Any,
) -> tuple[Any, Path, list[str]]:  # fmt: skip
    from airflow.sdk import DAG

    from dataflare_provider.airflow.operators.source import WasmSourceOperator
    from dataflare_provider.airflow.operators.transform import WasmTransformOperator

    base = tmp_path_factory.mktemp("failures")
    n = 50_000
    amount = pa.array([None if i % 10 == 0 else float(i % 300) for i in range(n)], pa.float64())
    pq.write_table(pa.table({"name": ["Ada"] * n, "amount": amount}), base / "in.parquet")
    inp = str(base / "in.parquet")
    fast = {"retry_delay": timedelta(seconds=0)}
    with DAG("dataflare_test_failures", schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        WasmTransformOperator(
            task_id="bad_config",
            plugin=published_examples["row-filter"],
            config={"column": "amount", "op": "~", "value": 1},
            input=inp,
            output=str(base / "bad_config" / "out.parquet"),
            retries=3,
            **fast,
        )
        for task_id, retry in (("fuel", False), ("fuel_retried", True)):
            WasmTransformOperator(
                task_id=task_id,
                plugin=published_examples["basic-transformer"],
                config={"lowercase": ["name"]},
                input=inp,
                output=str(base / task_id / "out.parquet"),
                limits={"fuel": 2_000},
                retry_on_plugin_failure=retry,
                retries=1,
                **fast,
            )
        WasmTransformOperator(
            task_id="error_rate",
            plugin=published_examples["row-filter"],
            config={"column": "amount", "op": ">=", "value": 100},
            input=inp,
            output=str(base / "error_rate" / "out.parquet"),
            dead_letter=str(base / "error_rate" / "rejected.parquet"),
            max_error_rate=0.05,
            retries=2,
            **fast,
        )
        WasmSourceOperator(
            task_id="source",
            plugin=str(sdk_plugins["sdk_source"]),
            config={"rows": 25_000},
            processors=[
                {
                    "plugin": published_examples["basic-transformer"],
                    "config": {"derive": [{"name": "id10", "from": "id", "multiply": 10}]},
                }
            ],
            output=str(base / "source" / "generated.parquet"),
            batch_size=10_000,
        )
        WasmTransformOperator(
            task_id="guest_log",
            plugin=str(sdk_plugins["sdk_selftest"]),
            config={"mode": "log"},
            input=inp,
            output=str(base / "guest_log" / "out.parquet"),
        )
    records = Records()
    root = logging.getLogger()
    root.addHandler(records)
    try:
        dr = run_dag(dag)
    finally:
        root.removeHandler(records)
    return dr, base, records.messages


def _ti(dr: Any, task_id: str) -> Any:
    (ti,) = [ti for ti in dr.get_task_instances() if ti.task_id == task_id]
    return ti


def test_permanent_failure_does_not_retry(failures_run: tuple[Any, Path, list[str]]) -> None:
    dr, base, _ = failures_run
    ti = _ti(dr, "bad_config")
    assert (ti.state, ti.try_number) == ("failed", 1)  # retries=3, yet one try
    assert not (base / "bad_config").exists()  # failed before any data moved


def test_deterministic_failure_fails_by_default(failures_run: tuple[Any, Path, list[str]]) -> None:
    dr, _, _ = failures_run
    ti = _ti(dr, "fuel")
    assert (ti.state, ti.try_number) == ("failed", 1)


def test_deterministic_failure_retried_when_asked(
    failures_run: tuple[Any, Path, list[str]],
) -> None:
    dr, _, _ = failures_run
    ti = _ti(dr, "fuel_retried")
    assert (ti.state, ti.try_number) == ("failed", 2)  # retries=1: tried twice


def test_error_rate_fails_and_keeps_dead_letter(failures_run: tuple[Any, Path, list[str]]) -> None:
    dr, base, _ = failures_run
    ti = _ti(dr, "error_rate")
    assert (ti.state, ti.try_number) == ("failed", 1)
    rejected = pq.read_table(base / "error_rate" / "rejected.parquet")
    assert rejected.num_rows == 5_000  # every 10th amount is null
    assert not (base / "error_rate" / "out.parquet").exists()  # output not committed


def test_source_operator(failures_run: tuple[Any, Path, list[str]]) -> None:
    dr, base, _ = failures_run
    assert _ti(dr, "source").state == "success"
    out = pq.read_table(base / "source" / "generated.parquet")
    assert out["id"].to_pylist() == list(range(25_000))
    assert out["id10"].to_pylist() == [10 * i for i in range(25_000)]
    assert out["label"][0].as_py() is None and out["label"][1].as_py() == "id-1"
    summary = _ti(dr, "source").xcom_pull(task_ids="source")
    assert summary["rows_out"] == 25_000
    assert summary["input"].startswith("source:")


def test_guest_log_lines_and_counters(
    failures_run: tuple[Any, Path, list[str]], stats: Any
) -> None:
    """Guest log lines reach the task log prefixed with the plugin's name; plugin counters
    reach the summary and Airflow Stats."""
    dr, _, messages = failures_run
    ti = _ti(dr, "guest_log")
    assert ti.state == "success"
    for line in ("[sdk_selftest] info two", "[sdk_selftest] warn 3.0", "[sdk_selftest] error 4"):
        assert line in messages, line
    summary = ti.xcom_pull(task_ids="guest_log")
    assert summary["rows_out"] == 0
    assert summary["plugins"][0]["counters"] == {"rows_seen": 50_000}
    assert stats.total("dataflare.plugin.sdk_selftest.rows_seen", task_id="guest_log") == 50_000

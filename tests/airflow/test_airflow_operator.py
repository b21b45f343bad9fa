"""Operators outside a DAG run: failure mapping, plugin specs, templating, path kinds, on_kill."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataflare_provider.errors import (
    DataFlareIOError,
    ErrorRateExceeded,
    FuelExhaustedError,
    PluginConfigError,
    PluginInterrupted,
)
from dataflare_provider.registry.errors import RegistryUnavailableError, UnsignedPluginError

pytestmark = pytest.mark.airflow

LOWER = {"lowercase": ["name"]}


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("orders") / "orders.parquet"
    n = 300_000
    pq.write_table(
        pa.table({"id": pa.array(range(n), pa.int64()), "name": ["Ada LOVELACE"] * n}),
        path,
        row_group_size=50_000,
    )
    return path


@pytest.mark.parametrize(
    ("error", "retry_on_plugin_failure", "expected", "fails_now"),
    [
        (DataFlareIOError("read failed", path="x"), False, "DataFlareTransientError", False),
        (RegistryUnavailableError("down"), False, "DataFlareTransientError", False),
        (PluginInterrupted("killed"), False, "DataFlareTransientError", False),
        (PluginConfigError("bad", plugin="p"), False, "DataFlarePermanentError", True),
        (UnsignedPluginError("unsigned"), False, "DataFlarePermanentError", True),
        (FuelExhaustedError("fuel", plugin="p"), False, "DataFlarePluginFailure", True),
        (FuelExhaustedError("fuel"), True, "DataFlarePluginRetryableFailure", False),
        (ErrorRateExceeded("too many", rows_error=5), False, "DataFlareDataError", True),
    ],
)
def test_failure_class_mapping(
    error: Any, retry_on_plugin_failure: bool, expected: str, fails_now: bool
) -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    from dataflare_provider.airflow.exceptions import airflow_exception_for

    exc = airflow_exception_for(error, retry_on_plugin_failure=retry_on_plugin_failure)
    assert type(exc).__name__ == expected
    assert isinstance(exc, AirflowException)
    assert isinstance(exc, AirflowFailException) is fails_now
    assert exc.failure_class == error.failure_class
    assert exc.context == error.context


def test_pipeline_specs() -> None:
    from dataflare_provider.airflow.operators.transform import pipeline_specs
    from dataflare_provider.errors import ConfigError

    specs = pipeline_specs(
        ["ns/a:^1", {"plugin": "ns/b:1.0.0", "config": {"x": 1}, "limits": {"memory_mb": 8}}],
        {"timeout_s": 5},
    )
    assert specs == [
        ("ns/a:^1", {}, {"timeout_s": 5}),
        ("ns/b:1.0.0", {"x": 1}, {"timeout_s": 5, "memory_bytes": 8 * 2**20}),
    ]
    for bad in ("ns/a:^1", [], [{"config": {}}], [{"plugin": "a", "confg": {}}]):
        with pytest.raises(ConfigError):
            pipeline_specs(bad, None)  # type: ignore[arg-type]


def test_templated_fields_render() -> None:
    from airflow.sdk import DAG

    from dataflare_provider.airflow.operators.transform import WasmTransformOperator

    with DAG("render", schedule=None):
        op = WasmTransformOperator(
            task_id="t",
            plugin="dataflare/{{ params.plugin }}:^1.0",
            config={"lowercase": ["{{ params.column }}"]},
            input="/raw/{{ ds }}/",
            output="/clean/{{ ds }}.parquet",
            dead_letter="/rejected/{{ ds }}.parquet",
        )
    assert set(op.template_fields) >= {"plugin", "config", "input_path", "output_path",
                                       "dead_letter_path", "limits", "storage_options"}  # fmt: skip
    op.render_template_fields(
        {"ds": "2026-11-27", "params": {"plugin": "row-filter", "column": "name"}}
    )  # type: ignore[arg-type]
    assert op.plugin == "dataflare/row-filter:^1.0"
    assert op.config == {"lowercase": ["name"]}
    assert (op.input_path, op.output_path) == ("/raw/2026-11-27/", "/clean/2026-11-27.parquet")
    assert op.dead_letter_path == "/rejected/2026-11-27.parquet"
    with pytest.raises(TypeError):
        WasmTransformOperator("t", "p", "i", "o")  # type: ignore[misc]  # keyword-only


def test_object_storage_path_and_fsspec_uri(
    orders: Path, published_examples: dict[str, str]
) -> None:
    from airflow.sdk import ObjectStoragePath

    from dataflare_provider.airflow.operators.transform import WasmTransformOperator

    op = WasmTransformOperator(
        task_id="osp",
        plugin=published_examples["basic-transformer"],
        config=LOWER,
        input=ObjectStoragePath(f"file://{orders}"),
        output="memory://dataflare-tests/clean/out.parquet",
    )
    summary = op.execute({})  # type: ignore[arg-type]
    assert summary["rows_out"] == 300_000
    assert summary["output"] == "memory://dataflare-tests/clean/out.parquet"
    with fsspec.open("memory://dataflare-tests/clean/out.parquet", "rb") as f:
        out = pq.read_table(f)
    assert out.num_rows == 300_000 and out["name"][0].as_py() == "ada lovelace"


def test_on_kill_interrupts_and_retry_resumes(
    orders: Path, tmp_path: Path, published_examples: dict[str, str]
) -> None:
    from dataflare_provider.airflow.exceptions import DataFlareTransientError
    from dataflare_provider.airflow.operators.transform import WasmTransformOperator

    output = tmp_path / "out.parquet"

    def operator() -> WasmTransformOperator:
        return WasmTransformOperator(
            task_id="killed", plugin=published_examples["basic-transformer"], config=LOWER,
            input=str(orders), output=str(output), batch_size=500, commit_every=4,
        )  # fmt: skip

    op = operator()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["summary"] = op.execute({})  # type: ignore[arg-type]
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    staging = tmp_path / ".dataflare-staging-out.parquet"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(staging.glob("commit-*.json"))) < 3:
        time.sleep(0.005)
    op.on_kill()
    worker.join(60)
    error = outcome.get("error")
    assert isinstance(error, DataFlareTransientError), outcome
    assert isinstance(error.__cause__, PluginInterrupted)
    assert not output.exists()
    committed = len(list(staging.glob("commit-*.json")))
    assert committed >= 3

    summary = operator().execute({})  # type: ignore[arg-type]  # the retry
    assert summary["resumed_batches"] >= 3 * 4
    assert summary["rows_out"] == summary["rows_in"] == 300_000
    out = pq.read_table(output)
    assert out["id"].to_pylist() == list(range(300_000))


def test_sigterm_on_main_thread_interrupts(
    orders: Path, tmp_path: Path, published_examples: dict[str, str]
) -> None:
    """As in Airflow's task runner: execute() on the main thread, SIGTERM -> on_kill() in the
    signal handler. With workers=1 the handler runs between two batch calls."""
    import os
    import signal

    from dataflare_provider.airflow.exceptions import DataFlareTransientError
    from dataflare_provider.airflow.operators.transform import WasmTransformOperator

    op = WasmTransformOperator(
        task_id="sigterm", plugin=published_examples["basic-transformer"], config=LOWER,
        input=str(orders), output=str(tmp_path / "out.parquet"), batch_size=500, commit_every=4,
    )  # fmt: skip
    staging = tmp_path / ".dataflare-staging-out.parquet"

    def kill_when_committed() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(staging.glob("commit-*.json"))) < 2:
            time.sleep(0.005)
        os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, lambda signum, frame: op.on_kill())
    killer = threading.Thread(target=kill_when_committed)
    try:
        killer.start()
        with pytest.raises(DataFlareTransientError) as err:
            op.execute({})  # type: ignore[arg-type]
    finally:
        killer.join()
        signal.signal(signal.SIGTERM, previous)
    assert isinstance(err.value.__cause__, PluginInterrupted)
    assert not (tmp_path / "out.parquet").exists()


def test_lineage_datasets() -> None:
    from dataflare_provider.airflow.lineage import dataset_id

    assert dataset_id("/data/x.parquet") == ("file", "/data/x.parquet")
    assert dataset_id("s3://bucket/a/b/") == ("s3://bucket", "a/b/")
    assert dataset_id("memory://x/y") == ("memory://x", "y")


def test_openlineage_facets() -> None:
    """Inputs and outputs with row counts when the openlineage provider is installed, else None
    (checked by hand in a fresh venv with apache-airflow-providers-openlineage 2.20.3)."""
    import importlib.util

    from dataflare_provider.airflow.lineage import operator_lineage
    from dataflare_provider.pipeline import RunReport

    report = RunReport("/in/", "/out.parquet", "s3://b/dl.parquet", rows_in=10, rows_out=7,
                       rows_error=3)  # fmt: skip
    lineage = operator_lineage(report, "/in/", "/out.parquet")
    if importlib.util.find_spec("airflow.providers.openlineage") is None:
        assert lineage is None
        return
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("file", "/in/")]
    out, dead = lineage.outputs
    assert (out.name, out.outputFacets["outputStatistics"].rowCount) == ("/out.parquet", 7)
    assert (dead.namespace, dead.outputFacets["outputStatistics"].rowCount) == ("s3://b", 3)

"""DataFlareResource from plain Python, failure mapping, definition-time checks."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from dataflare_provider.dagster import (
    DataFlareResource,
    LimitsConfig,
    PluginSpec,
    as_dagster_error,
    wasm_transform_asset,
)
from dataflare_provider.errors import (
    DataFlareIOError,
    ErrorRateExceeded,
    PluginConfigError,
    PluginTrapError,
)
from dataflare_provider.pipeline import DEAD_LETTER_SCHEMA
from dataflare_provider.registry import RegistrySettings

pytestmark = pytest.mark.dagster

TABLE = pa.table(
    {"name": ["Ada", "BOB", None, "cy"], "amount": pa.array([1, 200, None, 300], pa.int64())}
)


def _chain(refs: dict[str, str]) -> list[PluginSpec]:
    return [
        PluginSpec(refs["basic-transformer"], {"lowercase": ["name"]}),
        PluginSpec(refs["row-filter"], {"column": "amount", "op": ">=", "value": 100}),
    ]


def test_pull_and_resolve(published_examples: dict[str, str]) -> None:
    res = DataFlareResource()
    ref = published_examples["row-filter"]
    digest = res.resolve(ref)
    pulled = res.pull(ref)
    assert digest.startswith("sha256:") and pulled.digest == digest
    assert (pulled.manifest.name, pulled.version) == ("row-filter", "1.0.0")
    assert pulled.path.is_file()


def test_chain_over_table_and_reader(published_examples: dict[str, str]) -> None:
    res = DataFlareResource()
    for data in (TABLE, pa.RecordBatchReader.from_batches(TABLE.schema, TABLE.to_batches())):
        result = res.transform_table(_chain(published_examples), data)
        assert result.output.to_pylist() == [
            {"name": "bob", "amount": 200},
            {"name": "cy", "amount": 300},
        ]
        assert result.dead_letter.schema == DEAD_LETTER_SCHEMA
        assert result.dead_letter.column("_dataflare_error").to_pylist() == ["amount is null"]
        assert [m.plugin for m in result.report.metrics] == ["basic-transformer", "row-filter"]
        assert result.report.metrics[1].counters == {"rows_dropped": 1}


def test_single_plugin_with_config(published_examples: dict[str, str]) -> None:
    res = DataFlareResource()
    out = res.transform_table(
        published_examples["basic-transformer"], TABLE, config={"lowercase": ["name"]}
    ).output
    assert out.column("name").to_pylist() == ["ada", "bob", None, "cy"]


def test_files_to_files(published_examples: dict[str, str], tmp_path: Path) -> None:
    pq.write_table(TABLE, tmp_path / "in.parquet")
    report = DataFlareResource(workers=2).run(
        _chain(published_examples),
        input=str(tmp_path / "in.parquet"),
        output=str(tmp_path / "out.parquet"),
        dead_letter=str(tmp_path / "dead.parquet"),
    )
    assert (report.rows_in, report.rows_out, report.rows_error) == (4, 2, 1)
    assert pq.read_table(tmp_path / "out.parquet").column("name").to_pylist() == ["bob", "cy"]
    assert pq.read_table(tmp_path / "dead.parquet").num_rows == 1


def test_limits_layering(published_examples: dict[str, str]) -> None:
    """Manifest limits < resource defaults < per-plugin limits, field by field."""
    res = DataFlareResource(limits=LimitsConfig(memory_mb=32))
    ref = published_examples["basic-transformer"]
    (step,) = res.steps(PluginSpec(ref, {}, limits={"fuel": 10_000_000}))
    limits = step.plugin.limits  # type: ignore[attr-defined]
    assert limits.memory_bytes == 32 * 2**20  # resource default over the manifest's 64 MiB
    assert limits.fuel == 10_000_000  # per plugin
    assert limits.timeout_s == 60.0  # neither set: the runtime default
    (plain,) = DataFlareResource().steps(ref)
    assert plain.plugin.limits.memory_bytes == 64 * 2**20  # type: ignore[attr-defined]


def test_failure_classes_map_to_retries() -> None:
    transient = DataFlareIOError("cannot read x: boom")
    assert as_dagster_error(transient) is transient  # RetryPolicy retries it
    for exc in (
        PluginConfigError("bad config", plugin="p"),
        PluginTrapError("trap", plugin="p"),
        ErrorRateExceeded("too many", rows_error=5, rows_in=10),
    ):
        failure = as_dagster_error(exc)
        assert isinstance(failure, dg.Failure) and failure.allow_retries is False
        assert type(exc).__name__ in (failure.description or "")
        assert failure.metadata["dataflare/failure_class"].value == exc.failure_class.value
    trap = PluginTrapError("trap")
    assert as_dagster_error(trap, retry_deterministic=True) is trap
    rate = as_dagster_error(ErrorRateExceeded("x", rows_error=5, rows_in=10))
    assert isinstance(rate, dg.Failure) and rate.metadata["dataflare/rows_error"].value == 5


def test_config_checked_at_definition_time(published_examples: dict[str, str]) -> None:
    ref = published_examples["row-filter"]
    with pytest.raises(dg.DagsterInvalidDefinitionError, match=r"row-filter.*op"):
        wasm_transform_asset(ref, name="bad", config={"column": "a", "op": "~", "value": 1},
                             upstream="up")  # fmt: skip
    # a .wasm path with its plugin.toml alongside is checked too
    wasm = Path(__file__).resolve().parents[2] / "examples/row-filter/build/row-filter.wasm"
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="required property"):
        wasm_transform_asset(str(wasm), name="bad2", config={"column": "a"}, upstream="up")


def test_unavailable_plugin_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dataflare_provider.dagster"):
        asset = wasm_transform_asset(
            "dataflare/not-published-yet:^1.0", name="later", config={"x": 1}, upstream="up"
        )
    assert asset.key == dg.AssetKey("later")
    assert "validated when" in caplog.text
    with pytest.raises(dg.DagsterInvalidDefinitionError):
        wasm_transform_asset("Not A Reference!", name="bad", upstream="up")


def test_definition_errors() -> None:
    daily = dg.DailyPartitionsDefinition(start_date="2026-11-01")
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="overwrite"):
        wasm_transform_asset("x/y.wasm", name="a", input="in/{partition_key}.parquet",
                             output="out.parquet", partitions_def=daily)  # fmt: skip
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="no partitions_def"):
        wasm_transform_asset("x/y.wasm", name="a", input="in/{partition_key}.parquet",
                             output="out/{partition_key}.parquet")  # fmt: skip
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="not both"):
        wasm_transform_asset("x/y.wasm", name="a", input="in.parquet", upstream="up")
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="unknown fields"):
        wasm_transform_asset("x/y.wasm", name="a", input="in/{day}.parquet", output="o.parquet")


def test_reference_filter_matches_pyarrow(published_examples: dict[str, str]) -> None:
    """The row-filter example, against pyarrow on the same table (sanity of the setup)."""
    res = DataFlareResource()
    table = pa.table({"amount": pa.array(range(-50, 50), pa.int64())})
    out = res.transform_table(
        published_examples["row-filter"], table, config={"column": "amount", "op": ">", "value": 7}
    ).output
    assert out.equals(table.filter(pc.greater(table["amount"], 7)))


def test_unreachable_registry_does_not_stall_loading(caplog: pytest.LogCaptureFixture) -> None:
    """One failed attempt per registry, not one per asset of a code location."""
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = RegistrySettings(registry=f"127.0.0.1:{port}")
    started = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="dataflare_provider.dagster"):
        for i in range(4):
            wasm_transform_asset("dataflare/row-filter:^1.0", name=f"a{i}", upstream="up",
                                 config={"column": "x", "op": "~", "value": 1},  # invalid, unseen
                                 registry=down)  # fmt: skip
    assert time.perf_counter() - started < 10
    assert caplog.text.count("Connection refused") == 1
    assert caplog.text.count("unreachable moments ago") == 3

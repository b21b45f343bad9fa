"""``dagster.materialize`` of the example code locations and of small WASM assets, with the real
example plugins from the session's local registry."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from types import ModuleType
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from dataflare_provider.dagster import (
    DataFlareResource,
    wasm_transform_asset,
    wasm_transform_multi_asset,
)
from dataflare_provider.pipeline import DEAD_LETTER_SCHEMA

pytestmark = pytest.mark.dagster


def _meta(result: dg.ExecuteInProcessResult, key: str) -> dict[str, Any]:
    """The metadata of ``key``'s materialization, as plain values."""
    (event,) = [
        e for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(key)
    ]  # fmt: skip
    return dict(event.materialization.metadata)


def _materialize(module: ModuleType, **kwargs: Any) -> dg.ExecuteInProcessResult:
    defs: dg.Definitions = module.defs
    return dg.materialize(list(defs.assets or []), resources=dict(defs.resources or {}), **kwargs)


def _in_order_totals(table: pa.Table, key: str, value: str) -> dict[str, tuple[int, float]]:
    """count and sum per key, summed in stream order like the aggregator."""
    out: dict[str, tuple[int, float]] = {}
    for k, v in zip(table[key].to_pylist(), table[value].to_pylist(), strict=True):
        n, s = out.get(k, (0, 0.0))
        out[k] = (n + 1, s + (v if v is not None else 0.0))
    return out


def test_orders_example(example_modules: dict[str, ModuleType]) -> None:
    orders = example_modules["orders"]
    result = _materialize(orders)
    assert result.success
    raw = orders.sample_orders()
    nulls = raw["amount"].null_count
    assert 0 < nulls < raw.num_rows * 0.05

    clean = result.output_for_node("orders_clean")
    expected_clean = raw.append_column(
        "amount_cents", pc.multiply(raw["amount"], 100.0)
    ).set_column(1, "customer", pc.utf8_lower(raw["customer"]))
    assert clean.equals(expected_clean)

    valid = result.output_for_node("orders_valid", "main")
    rejected = result.output_for_node("orders_valid", "dead_letter")
    assert valid.equals(expected_clean.filter(pc.greater(expected_clean["amount"], 0)))
    assert rejected.schema == DEAD_LETTER_SCHEMA and rejected.num_rows == nulls
    assert set(rejected["_dataflare_error"].to_pylist()) == {"amount is null"}
    first = json.loads(rejected["_dataflare_record"][0].as_py())
    assert first["amount"] is None and first["customer"].islower()

    totals = result.output_for_node("order_totals")
    assert totals.column_names == ["country", "count", "sum"]
    got = {r["country"]: (r["count"], r["sum"]) for r in totals.to_pylist()}
    assert got == _in_order_totals(valid, "country", "amount_cents")

    # metadata: standard table keys, plugin identity and metrics as typed values
    res = DataFlareResource()
    meta = _meta(result, "orders_valid")
    assert meta["dagster/row_count"] == dg.MetadataValue.int(valid.num_rows)
    schema = meta["dagster/column_schema"].value
    assert [c.name for c in schema.columns] == valid.column_names
    assert schema.columns[-1].type == "double"
    assert meta["dataflare/row-filter/version"].value == "1.0.0"
    assert meta["dataflare/row-filter/digest"].value == res.resolve("dataflare/row-filter:^1.0")
    assert meta["dataflare/rows_error"] == dg.MetadataValue.int(nulls)
    assert isinstance(meta["dataflare/row-filter/p99_batch_ms"], dg.FloatMetadataValue)
    assert isinstance(meta["dataflare/row-filter/memory_usage_bytes"], dg.IntMetadataValue)
    assert meta["dataflare/row-filter/memory_usage_bytes"].value > 0
    assert meta["dataflare/row-filter/rows_dropped"].value == raw.num_rows - nulls - valid.num_rows
    assert "PluginMetrics[row-filter]" in meta["dataflare/summary"].value
    dead_meta = _meta(result, "orders_rejected")
    assert dead_meta["dagster/row_count"].value == nulls
    checks = {(c.asset_key.to_user_string(), c.check_name): c for c in
              result.get_asset_check_evaluations()}  # fmt: skip
    assert checks["orders_valid", "error_rate"].passed
    assert checks["orders_valid", "error_rate"].metadata["rows_error"].value == nulls

    # files -> files chain over a directory of four Parquet files
    data = orders.data_dir() / "orders"
    large = pq.read_table(data / "large_orders.parquet")
    lowered = raw.set_column(1, "customer", pc.utf8_lower(raw["customer"])).set_column(
        2, "country", pc.utf8_lower(raw["country"])
    )
    assert large.equals(lowered.filter(pc.greater_equal(lowered["amount"], 250)))
    assert pq.read_table(data / "large_orders_rejected.parquet").num_rows == nulls
    lmeta = _meta(result, "large_orders")
    assert lmeta["dagster/row_count"].value == large.num_rows
    assert lmeta["dataflare/output"].value == str(data / "large_orders.parquet")
    assert lmeta["dataflare/batches"].value == 4  # one per input file
    assert {"dataflare/basic-transformer/load_time_ms", "dataflare/row-filter/init_time_ms",
            "dataflare/basic-transformer/throughput_rows_s"} <= set(lmeta)  # fmt: skip
    assert checks["large_orders", "error_rate"].passed


def test_daily_partitions(example_modules: dict[str, ModuleType]) -> None:
    daily = example_modules["daily"]
    days = ["2026-11-26", "2026-11-27"]
    outputs = {}
    for day in days:
        result = _materialize(daily, partition_key=day)
        assert result.success
        raw = daily.sample_events(day)
        clean = pq.read_table(daily.EVENTS / "clean" / f"{day}.parquet")
        rejected = pq.read_table(daily.EVENTS / "rejected" / f"{day}.parquet")
        keep = raw.filter(pc.is_valid(raw["latency_ms"]))
        expected = keep.set_column(1, "user", pc.utf8_lower(keep["user"])).set_column(
            2, "event", pc.utf8_lower(keep["event"])
        )
        assert clean.equals(expected)
        assert rejected.num_rows == raw["latency_ms"].null_count > 0
        meta = _meta(result, "events_clean")
        assert meta["dagster/partition_row_count"].value == clean.num_rows
        assert meta["dataflare/batches"].value == 5  # 5,000 rows in batches of 1,000
        by_type = result.output_for_node("events_by_type")
        assert sorted(by_type["event"].to_pylist()) == ["click", "purchase", "signup", "view"]
        assert pc.sum(by_type["count"]).as_py() == clean.num_rows
        outputs[day] = by_type
        (mat,) = [e for e in result.get_asset_materialization_events()
                  if e.asset_key == dg.AssetKey("events_by_type")]  # fmt: skip
        assert mat.partition == day
    assert not outputs[days[0]].equals(outputs[days[1]])


def _noisy_table(rows: int = 1_000) -> pa.Table:
    amount = pa.array([None if i % 10 == 0 else i for i in range(rows)], pa.int64())
    return pa.table({"id": pa.array(range(rows), pa.int64()), "amount": amount})


def test_error_rate_failure_keeps_dead_letter(published_examples: dict[str, str]) -> None:
    @dg.asset
    def noisy() -> pa.Table:
        return _noisy_table()

    strict = wasm_transform_multi_asset(
        published_examples["row-filter"],
        name="strict",
        config={"column": "amount", "op": ">=", "value": 0},
        upstream=noisy,
        max_error_rate=0.01,
        retry_policy=dg.RetryPolicy(max_retries=2),
    )
    result = dg.materialize([noisy, strict], resources={"dataflare": DataFlareResource()},
                            raise_on_error=False)  # fmt: skip
    assert not result.success
    events = result.events_for_node("strict")
    assert not [e for e in events if e.is_step_up_for_retry]  # data failures are not retried
    (failure,) = result.get_step_failure_events()
    user = failure.step_failure_data.user_failure_data
    assert user is not None and "ErrorRateExceeded" in (user.description or "")
    assert user.metadata["dataflare/failure_class"].value == "data"
    keys = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey("strict_dead_letter") in keys and dg.AssetKey("strict") not in keys
    assert _meta(result, "strict_dead_letter")["dagster/row_count"].value == 100
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["error_rate"].value == 0.1


def test_error_rate_failure_files(published_examples: dict[str, str], tmp_path: Path) -> None:
    pq.write_table(_noisy_table(), tmp_path / "in.parquet")
    asset = wasm_transform_asset(
        published_examples["row-filter"],
        name="strict_files",
        config={"column": "amount", "op": ">=", "value": 0},
        input=str(tmp_path / "in.parquet"),
        output=str(tmp_path / "out" / "clean.parquet"),
        dead_letter=str(tmp_path / "rejected" / "clean.parquet"),
        max_error_rate=0.05,
    )
    result = dg.materialize([asset], resources={"dataflare": DataFlareResource()},
                            raise_on_error=False)  # fmt: skip
    assert not result.success
    assert not (tmp_path / "out" / "clean.parquet").exists()  # not committed
    assert pq.read_table(tmp_path / "rejected" / "clean.parquet").num_rows == 100  # kept
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["rows_in"].value == 1_000


def test_upstream_tables_concatenate_in_order(published_examples: dict[str, str]) -> None:
    @dg.asset
    def part_b() -> pa.Table:
        return pa.table({"name": ["B"]})

    @dg.asset
    def part_a() -> pa.Table:
        return pa.table({"name": ["A"]})

    lower = wasm_transform_asset(
        published_examples["basic-transformer"], name="lower",
        config={"lowercase": ["name"]}, upstream=[part_b, part_a],
    )  # fmt: skip
    result = dg.materialize([part_a, part_b, lower], resources={"dataflare": DataFlareResource()})
    assert result.output_for_node("lower")["name"].to_pylist() == ["b", "a"]


def test_returned_table_pickles_compactly(published_examples: dict[str, str]) -> None:
    """Pass-through columns are slices of the input batches; the table handed to the (pickling)
    default IO manager is compacted so it does not pickle every slice's parent buffers."""
    table = pa.table({"amount": pa.array(range(300_000), pa.int64())})

    @dg.asset
    def wide() -> pa.Table:
        return table

    same = wasm_transform_asset(published_examples["basic-transformer"], name="same",
                                config={}, upstream=wide)  # fmt: skip
    result = dg.materialize([wide, same], resources={"dataflare": DataFlareResource()})
    out = result.output_for_node("same")
    assert out.equals(table)
    assert len(pickle.dumps(out)) < 1.1 * table.nbytes + 10_000


def test_multi_asset_files(published_examples: dict[str, str], tmp_path: Path) -> None:
    pq.write_table(_noisy_table(), tmp_path / "in.parquet")
    asset = wasm_transform_multi_asset(
        published_examples["row-filter"],
        name="kept",
        dead_letter_name="dropped",
        config={"column": "amount", "op": ">=", "value": 500},
        input=str(tmp_path / "in.parquet"),
        output=str(tmp_path / "kept.parquet"),
        dead_letter=str(tmp_path / "dropped.parquet"),
    )
    result = dg.materialize([asset], resources={"dataflare": DataFlareResource()})
    kept, dropped = _meta(result, "kept"), _meta(result, "dropped")
    assert kept["dagster/row_count"].value == pq.read_table(tmp_path / "kept.parquet").num_rows
    assert kept["dagster/row_count"].value == 450  # 500..999 without the multiples of 10
    assert dropped["dagster/row_count"].value == 100
    assert dropped["dataflare/path"].value == str(tmp_path / "dropped.parquet")
    assert pq.read_table(tmp_path / "dropped.parquet").schema == DEAD_LETTER_SCHEMA

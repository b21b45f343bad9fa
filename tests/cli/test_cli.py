"""``dataflare run`` and ``dataflare plugin inspect`` as a user runs them (real console script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

N = 1_000_000
DATAFLARE = [sys.executable, "-m", "dataflare_provider.cli"]


def dataflare(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DATAFLARE, *map(str, args)], capture_output=True, text=True, env=os.environ
    )


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    keys = pa.array([f"Key{i % 1013}" for i in range(N)])
    table = pa.table(
        {
            "key": keys,
            "x": pa.array(range(N), pa.int64()),
            "amount": pa.array([None if i % 101 == 0 else float(i % 1000) for i in range(N)]),
        }
    )
    path = tmp_path_factory.mktemp("cli") / "million.parquet"
    pq.write_table(table, path)
    return path, table


def test_run_basic_transformer(example_plugins, million, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src, table = million
    out, metrics = tmp_path / "out.parquet", tmp_path / "metrics.json"
    config = {"lowercase": ["key"], "derive": [{"name": "y", "from": "x", "multiply": 3, "add": 1}]}
    proc = dataflare(
        "run", example_plugins["basic-transformer"], "-i", src, "-o", out,
        "-c", json.dumps(config), "--workers", "2", "--metrics-json", metrics,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    expected = table.set_column(0, "key", pc.ascii_lower(table["key"])).append_column(
        "y", pc.add(pc.multiply(table["x"], 3), 1)
    )
    assert pq.read_table(out).equals(expected)
    summary = json.loads(metrics.read_text())
    assert summary["rows_in"] == summary["rows_out"] == N
    assert summary["plugins"][0]["instances"] == 2
    assert "1,000,000 rows in" in proc.stdout


def test_run_row_filter_with_dead_letter(example_plugins, million, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src, table = million
    out, dead = tmp_path / "out.parquet", tmp_path / "dead.jsonl"
    config = {"column": "amount", "op": ">=", "value": 500}
    proc = dataflare("run", example_plugins["row-filter"], "-i", src, "-o", out,
                     "-c", json.dumps(config), "--dead-letter", dead)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    keep = pc.fill_null(pc.greater_equal(table["amount"], 500), False)
    assert pq.read_table(out).equals(table.filter(keep))
    rejected = dead.read_text().splitlines()
    assert len(rejected) == table["amount"].null_count
    assert json.loads(rejected[0])["_dataflare_error"] == "amount is null"


def test_run_streaming_aggregator(example_plugins, million, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src, table = million
    out = tmp_path / "agg.csv"
    proc = dataflare("run", example_plugins["streaming-aggregator"], "-i", src, "-o", out,
                     "-c", '{"group_by": "key", "sum": "amount"}')  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    from pyarrow import csv

    got = csv.read_csv(out).sort_by("key")
    expected = table.group_by("key").aggregate([([], "count_all"), ("amount", "sum")])
    expected = expected.sort_by("key")
    assert got["key"].to_pylist() == expected["key"].to_pylist()
    assert got["count"].to_pylist() == expected["count_all"].to_pylist()
    assert got["sum"].to_pylist() == pytest.approx(expected["amount_sum"].to_pylist())


def test_run_reports_bad_config_clearly(example_plugins, million, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src, _ = million
    proc = dataflare("run", example_plugins["row-filter"], "-i", src, "-o", tmp_path / "o.parquet",
                     "-c", '{"column": "amount"}')  # fmt: skip
    assert proc.returncode == 1
    assert "config" in proc.stderr and "permanent" in proc.stderr
    assert not (tmp_path / "o.parquet").exists()


def test_inspect_a_bare_module(test_plugin) -> None:  # type: ignore[no-untyped-def]
    proc = dataflare("plugin", "inspect", test_plugin("aggregate_state"), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["abi_version"] == 1 and info["kind"] == "processor" and info["stateful"]
    assert info["exports"]["dataflare_process"] == "i32,i32,i32,i32->i32"
    assert info["ok"] and info["memory_min_bytes"] > 0


def test_inspect_refuses_a_module_with_forbidden_imports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import wasmtime

    path = tmp_path / "evil.wasm"
    path.write_bytes(
        wasmtime.wat2wasm('(module (import "env" "system" (func)) (memory (export "memory") 1))')
    )
    proc = dataflare("plugin", "inspect", path)
    assert proc.returncode == 1
    assert "env.system" in proc.stdout and "REFUSED" in proc.stdout

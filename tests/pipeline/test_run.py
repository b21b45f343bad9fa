"""The pipeline over files: formats, directories, chains, dead letters, error rate, resume."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from dataflare_provider.errors import (
    DataFlareIOError,
    ErrorRateExceeded,
    PluginConfigError,
    PluginInterrupted,
)
from dataflare_provider.io.readers import InputFiles
from dataflare_provider.pipeline import (
    DEAD_LETTER_SCHEMA,
    TransformRun,
    resolve_step,
    run_transform,
    transform_table,
)

N = 50_000


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return pa.table(
        {
            "name": pa.array([f"User{i % 777}" for i in range(N)]),
            "x": pa.array(range(N), pa.int64()),
            "amount": pa.array([None if i % 50 == 0 else float(i % 300) for i in range(N)]),
        }
    )


@pytest.fixture(scope="module")
def input_parquet(table: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "in.parquet"
    pq.write_table(table, path, row_group_size=7_000)
    return path


def transformer(example_plugins: dict[str, Path]):  # type: ignore[no-untyped-def]
    return resolve_step(
        example_plugins["basic-transformer"],
        {"lowercase": ["name"], "derive": [{"name": "y", "from": "x", "multiply": 3, "add": 1}]},
    )


def expected_transform(table: pa.Table) -> pa.Table:
    return table.set_column(0, "name", pc.ascii_lower(table["name"])).append_column(
        "y", pc.add(pc.multiply(table["x"], 3), 1)
    )


def checksum(table: pa.Table) -> str:
    return hashlib.sha256(json.dumps(table.to_pylist(), default=str).encode()).hexdigest()


def test_file_to_file_matches_pyarrow(example_plugins, input_parquet, table, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out.parquet"
    report = run_transform([transformer(example_plugins)], out, input_parquet, batch_size=4096)
    assert pq.read_table(out).equals(expected_transform(table))
    assert report.rows_in == report.rows_out == N
    assert report.batches == -(-N // 4096)  # Parquet batches span row groups
    assert not list(tmp_path.glob(".dataflare-staging*"))  # staging cleaned up


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_text_formats_round_trip(example_plugins, table, tmp_path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    small = table.slice(0, 2000).drop_columns(["amount"])
    src = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        pa_csv.write_csv(small, src)
    else:
        src.write_text("".join(json.dumps(r) + "\n" for r in small.to_pylist()))
    out = tmp_path / f"out.{fmt}"
    run_transform([transformer(example_plugins)], out, src)
    got = (
        pa_csv.read_csv(out)
        if fmt == "csv"
        else pa.Table.from_pylist([json.loads(line) for line in out.read_text().splitlines()])
    )
    assert got.to_pylist() == expected_transform(small).to_pylist()


def test_directory_in_directory_out_with_chain_and_dead_letter(
    example_plugins, table, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        pq.write_table(table.slice(i * 10_000, 10_000), src / f"part-{i}.parquet")
    (src / "_SUCCESS").write_text("")
    steps = [
        transformer(example_plugins),
        resolve_step(example_plugins["row-filter"], {"column": "amount", "op": ">=", "value": 150}),
    ]
    out = tmp_path / "out"
    report = run_transform(
        steps, f"{out}/", src, dead_letter=tmp_path / "dead.parquet", workers=2, batch_size=3000
    )
    got = pq.read_table(out)
    data = expected_transform(table.slice(0, 30_000))
    kept = data.filter(pc.fill_null(pc.greater_equal(data["amount"], 150), False))
    assert got.sort_by("x").equals(kept)
    assert (out / "_SUCCESS").exists()
    dead = pq.read_table(tmp_path / "dead.parquet")
    assert dead.schema.equals(DEAD_LETTER_SCHEMA)
    assert dead.num_rows == report.rows_error == data["amount"].null_count
    assert set(dead["_dataflare_error"].to_pylist()) == {"amount is null"}
    assert set(dead["_dataflare_plugin"].to_pylist()) == {"row-filter"}
    record = json.loads(dead["_dataflare_record"][0].as_py())
    assert record["amount"] is None and record["name"] == record["name"].lower()
    assert [m.plugin for m in report.metrics] == ["basic-transformer", "row-filter"]
    assert report.metrics[0].instances == 2


def test_stateful_plugin_aggregates_across_batches(
    example_plugins, input_parquet, table, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    step = resolve_step(example_plugins["streaming-aggregator"], {"group_by": "name", "sum": "x"})
    out = tmp_path / "agg.parquet"
    run_transform([step], out, input_parquet, batch_size=5000, workers=2)
    got = pq.read_table(out).sort_by("name")
    expected = table.group_by("name").aggregate([("x", "count"), ("x", "sum")]).sort_by("name")
    assert got["name"].equals(expected["name"])
    assert got["count"].to_pylist() == expected["x_count"].to_pylist()
    assert got["sum"].to_pylist() == expected["x_sum"].to_pylist()


def test_error_rate_fails_and_keeps_dead_letter(example_plugins, input_parquet, tmp_path) -> None:  # type: ignore[no-untyped-def]
    step = resolve_step(example_plugins["row-filter"], {"column": "amount", "op": ">", "value": 0})
    out, dead = tmp_path / "out.parquet", tmp_path / "dead.parquet"
    with pytest.raises(
        ErrorRateExceeded, match=r"1,000 of 50,000 rows failed \(2.00% > max_error_rate 1.00%\)"
    ):
        run_transform([step], out, input_parquet, dead_letter=dead, max_error_rate=0.01)
    assert not out.exists()
    assert pq.read_table(dead).num_rows == 1000


def test_config_is_checked_against_the_manifest_schema(example_plugins) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PluginConfigError, match="lowercase"):
        resolve_step(example_plugins["basic-transformer"], {"lowercase": "name"})


def failing_input(fail_after: int):  # type: ignore[no-untyped-def]
    """``InputFiles.batches`` that lets ``fail_after`` batches through, then fails once like a
    flaky network read."""
    original = InputFiles.batches
    state = {"armed": True}

    def batches(files: InputFiles, *args, **kwargs) -> Iterator[pa.RecordBatch]:  # type: ignore[no-untyped-def]
        for i, batch in enumerate(original(files, *args, **kwargs)):
            if state["armed"] and i == fail_after:
                state["armed"] = False
                raise DataFlareIOError("connection reset while reading input")
            yield batch

    return batches


def test_retry_resumes_without_losing_or_duplicating_rows(
    example_plugins, input_parquet, table, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    clean = tmp_path / "clean.parquet"
    run_transform(
        [transformer(example_plugins)], clean, input_parquet, batch_size=2000, commit_every=3
    )

    out = tmp_path / "out.parquet"
    monkeypatch.setattr(InputFiles, "batches", failing_input(fail_after=11))
    with pytest.raises(DataFlareIOError) as info:
        run_transform(
            [transformer(example_plugins)], out, input_parquet, batch_size=2000, commit_every=3
        )
    assert info.value.retryable
    assert not out.exists()
    staging = tmp_path / ".dataflare-staging-out.parquet"
    # 0..2, 3..5, 6..8 as usual, and 9..10 committed on the way out of the failed try
    assert len(list(staging.glob("commit-*.json"))) == 4

    report = run_transform(
        [transformer(example_plugins)], out, input_parquet, batch_size=2000, commit_every=3
    )
    assert report.resumed_batches == 11
    assert report.rows_in == N and report.rows_out == N
    assert report.metrics[0].rows_in == N - 11 * 2000  # only the rest went through the plugin
    got = pq.read_table(out)
    assert got.num_rows == N and checksum(got) == checksum(pq.read_table(clean))


def test_changed_config_does_not_resume(
    example_plugins, input_parquet, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out.parquet"
    monkeypatch.setattr(InputFiles, "batches", failing_input(fail_after=5))
    with pytest.raises(DataFlareIOError):
        run_transform(
            [transformer(example_plugins)], out, input_parquet, batch_size=2000, commit_every=2
        )
    other = resolve_step(example_plugins["basic-transformer"], {"lowercase": ["name"]})
    report = run_transform([other], out, input_parquet, batch_size=2000, commit_every=2)
    assert report.resumed_batches == 0
    assert pq.read_table(out).column_names == ["name", "x", "amount"]


def test_interrupt_stops_a_running_plugin(test_plugin, input_parquet, tmp_path) -> None:  # type: ignore[no-untyped-def]
    step = resolve_step(test_plugin("hostile"), {"mode": "loop"}, limits={"timeout_s": 60})
    run = TransformRun([step], tmp_path / "out.parquet", input_parquet)
    threading.Timer(0.3, run.interrupt).start()
    with pytest.raises(PluginInterrupted):
        run.run()


def test_in_memory_table(example_plugins, table) -> None:  # type: ignore[no-untyped-def]
    steps = [
        transformer(example_plugins),
        resolve_step(example_plugins["row-filter"], {"column": "amount", "op": "<", "value": 10}),
    ]
    result = transform_table(steps, table, batch_size=10_000, workers=2)
    data = expected_transform(table)
    assert result.output.equals(data.filter(pc.fill_null(pc.less(data["amount"], 10), False)))
    assert result.dead_letter.num_rows == data["amount"].null_count == result.report.rows_error
    assert result.report.rows_in == N


def test_outputs_in_new_directories(example_plugins, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Single-part output and dead-letter files land in directories that did not exist yet."""
    pq.write_table(pa.table({"amount": pa.array([1.0, None, 300.0])}), tmp_path / "in.parquet")
    step = resolve_step(example_plugins["row-filter"], {"column": "amount", "op": ">=", "value": 100})
    report = run_transform(
        [step], tmp_path / "new" / "out.parquet", tmp_path / "in.parquet",
        dead_letter=tmp_path / "rejected" / "dl.parquet",
    )  # fmt: skip
    assert report.rows_error == 1
    assert pq.read_table(tmp_path / "new" / "out.parquet")["amount"].to_pylist() == [300.0]
    assert pq.read_table(tmp_path / "rejected" / "dl.parquet").num_rows == 1


def test_io_errors_are_classified_by_errno() -> None:
    import errno

    from dataflare_provider.io.errors import PermanentIOError, io_error

    assert io_error("read", OSError(errno.ECONNRESET, "reset")).retryable
    missing = io_error("read", FileNotFoundError(errno.ENOENT, "gone"))
    assert isinstance(missing, PermanentIOError) and not missing.retryable
    assert missing.context["errno"] == "ENOENT"


def test_in_memory_error_rate_keeps_the_rejected_rows(example_plugins, table) -> None:  # type: ignore[no-untyped-def]
    step = resolve_step(example_plugins["row-filter"], {"column": "amount", "op": ">", "value": 0})
    with pytest.raises(ErrorRateExceeded) as info:
        transform_table([step], table, max_error_rate=0.001)
    assert info.value.result.dead_letter.num_rows == table["amount"].null_count

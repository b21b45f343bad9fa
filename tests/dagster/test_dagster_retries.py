"""Retries: a transient I/O fault is retried under the RetryPolicy and the retry resumes from the
committed output ranges (identical output); permanent and deterministic failures are not retried
(the latter configurably).

The fault is injected below the pipeline, in the filesystem: ``flaky://`` is the local filesystem
except that opening the chosen input file fails (``OSError(EIO)``) a set number of times. The
pipeline sees a real read error, classifies it (``DataFlareIOError``, transient) and Dagster decides
the retry."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.local import LocalFileSystem

from dataflare_provider.dagster import DataFlareResource, PluginSpec, wasm_transform_asset

pytestmark = pytest.mark.dagster

FAST_RETRY = dg.RetryPolicy(max_retries=2)  # no delay


class FlakyFileSystem(LocalFileSystem):  # type: ignore[misc]
    """The local filesystem, but reading a file whose name is in ``failures`` fails that many
    times; ``opened`` records every file opened for reading."""

    protocol = ("flaky",)
    failures: ClassVar[dict[str, int]] = {}
    opened: ClassVar[list[str]] = []

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, str) and path.startswith("flaky://"):
            path = path[len("flaky://") :]
        return super()._strip_protocol(path)

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        path = self._strip_protocol(path)
        if "r" in mode:
            name = Path(path).name
            type(self).opened.append(name)
            if self.failures.get(name, 0) > 0:
                self.failures[name] -= 1
                raise OSError(errno.EIO, f"injected I/O error reading {path}")
        return super()._open(path, mode, **kwargs)


fsspec.register_implementation("flaky", FlakyFileSystem, clobber=True)


def _events(result: dg.ExecuteInProcessResult, node: str, kind: str) -> list[dg.DagsterEvent]:
    return [e for e in result.events_for_node(node) if e.event_type_value == kind]


def _attempts(result: dg.ExecuteInProcessResult, node: str) -> int:
    return len(_events(result, node, "STEP_START")) + len(_events(result, node, "STEP_RESTARTED"))


def _write_input(root: Path, files: int = 6, rows: int = 500) -> Path:
    src = root / "in"
    src.mkdir()
    for i in range(files):
        ids = pa.array(range(i * rows, (i + 1) * rows), pa.int64())
        names = pa.array([f"Name-{j}" for j in range(i * rows, (i + 1) * rows)])
        amount = pa.array([None if j % 97 == 0 else j % 1000 for j in range(i * rows, (i + 1) * rows)],
                          pa.int64())  # fmt: skip
        pq.write_table(
            pa.table({"id": ids, "name": names, "amount": amount}), src / f"part-{i}.parquet"
        )
    return src


def _chain(refs: dict[str, str]) -> list[PluginSpec]:
    return [
        PluginSpec(refs["basic-transformer"], {"lowercase": ["name"]}),
        PluginSpec(refs["row-filter"], {"column": "amount", "op": ">=", "value": 500}),
    ]


def test_transient_fault_retried_and_resumed(
    published_examples: dict[str, str], tmp_path: Path
) -> None:
    src = _write_input(tmp_path)
    resources = {"dataflare": DataFlareResource()}

    def asset(name: str, input_uri: str) -> dg.AssetsDefinition:
        return wasm_transform_asset(
            _chain(published_examples), name=name, input=input_uri,
            output=str(tmp_path / name / "out.parquet"),
            dead_letter=str(tmp_path / name / "rejected.parquet"),
            batch_size=500, commit_every=1, retry_policy=FAST_RETRY,
        )  # fmt: skip

    reference = dg.materialize([asset("clean", str(src) + "/")], resources=resources)
    assert reference.success

    FlakyFileSystem.failures = {"part-3.parquet": 1}
    FlakyFileSystem.opened = []
    result = dg.materialize([asset("flaky", f"flaky://{src}/")], resources=resources)
    assert result.success
    assert len(_events(result, "flaky", "STEP_UP_FOR_RETRY")) == 1  # one retry, then success
    assert _attempts(result, "flaky") == 2
    # attempt 1 read part-0..2 (committed one by one) and failed opening part-3; attempt 2
    # skipped the committed batches: part-0..2 are read again only to find the batch
    # boundaries, their rows are not processed again.
    assert FlakyFileSystem.opened.count("part-3.parquet") == 2
    meta = dict(result.get_asset_materialization_events()[0].materialization.metadata)
    assert meta["dataflare/resumed_batches"].value == 3
    assert meta["dataflare/batches"].value == 6
    assert meta["dataflare/basic-transformer/rows_in"].value == 3 * 500  # this attempt only
    assert meta["dataflare/rows_in"].value == 6 * 500  # the whole run

    for name in ("out.parquet", "rejected.parquet"):
        want = pq.read_table(tmp_path / "clean" / name)
        got = pq.read_table(tmp_path / "flaky" / name)
        assert got.num_rows > 0 and got.equals(want), name
    leftovers = [p.name for p in (tmp_path / "flaky").iterdir()]
    assert sorted(leftovers) == ["out.parquet", "rejected.parquet"]  # staging area removed


def test_transient_fault_in_memory_retried(
    published_examples: dict[str, str], tmp_path: Path
) -> None:
    """Without an output path there is nothing to resume: the retry recomputes the table."""
    src = _write_input(tmp_path, files=3)
    FlakyFileSystem.failures = {"part-1.parquet": 2}
    asset = wasm_transform_asset(
        _chain(published_examples), name="mem", input=f"flaky://{src}/", retry_policy=FAST_RETRY
    )
    result = dg.materialize([asset], resources={"dataflare": DataFlareResource()})
    assert result.success and len(_events(result, "mem", "STEP_UP_FOR_RETRY")) == 2
    plain = (
        DataFlareResource().transform_table(_chain(published_examples), pq.read_table(src)).output
    )
    assert result.output_for_node("mem").equals(plain)


@pytest.mark.parametrize(
    ("plugin", "config", "error"),
    [
        ("basic-transformer", {"lowercase": ["no_such_column"]}, "PluginSchemaError"),
        (None, {}, "PluginNotFoundError"),
    ],
)
def test_permanent_failure_one_attempt(
    published_examples: dict[str, str], plugin: str | None, config: dict[str, Any], error: str
) -> None:
    @dg.asset
    def up() -> pa.Table:
        return pa.table({"name": ["A"]})

    ref = published_examples[plugin] if plugin else "dataflare/never-published:^1.0"
    asset = wasm_transform_asset(ref, name="perm", config=config, upstream=up,
                                 retry_policy=dg.RetryPolicy(max_retries=3))  # fmt: skip
    result = dg.materialize([up, asset], resources={"dataflare": DataFlareResource()},
                            raise_on_error=False)  # fmt: skip
    assert not result.success
    assert not _events(result, "perm", "STEP_UP_FOR_RETRY")
    assert _attempts(result, "perm") == 1
    (failure,) = result.get_step_failure_events()
    user = failure.step_failure_data.user_failure_data
    assert user is not None and user.description is not None
    assert user.description.startswith(f"{error} (permanent failure, not retried)")
    if plugin:
        assert "no_such_column" in user.description
    assert user.metadata["dataflare/failure_class"].value == "permanent"


@pytest.mark.parametrize("retry_deterministic", [False, True])
def test_deterministic_failure_configurable(test_plugin: Any, retry_deterministic: bool) -> None:
    @dg.asset
    def up() -> pa.Table:
        return pa.table({"x": pa.array([1, 2, 3], pa.int64())})

    asset = wasm_transform_asset(
        str(test_plugin("hostile")), name="trap", config={"mode": "trap"}, upstream=up,
        retry_policy=dg.RetryPolicy(max_retries=1), retry_deterministic=retry_deterministic,
    )  # fmt: skip
    result = dg.materialize([up, asset], resources={"dataflare": DataFlareResource()},
                            raise_on_error=False)  # fmt: skip
    assert not result.success
    assert _attempts(result, "trap") == 1 + retry_deterministic
    (failure,) = result.get_step_failure_events()
    data = failure.step_failure_data
    if retry_deterministic:  # the trap itself, retried until the policy gave up
        assert data.error is not None and "Exceeded max_retries" in data.error.message
        assert "PluginTrapError" in data.error.to_string()
    else:
        assert data.user_failure_data is not None
        assert "PluginTrapError (the plugin fails the same way on this input" in str(
            data.user_failure_data.description
        )

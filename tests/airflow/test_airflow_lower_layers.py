"""Faults in the layers below the Airflow provider (found while building it, since fixed there) and
the provider's handling of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.local import LocalFileSystem

from dataflare_provider.errors import DataFlareError
from dataflare_provider.pipeline import resolve_step, run_transform

pytestmark = pytest.mark.airflow


class WriteFaultFileSystem(LocalFileSystem):
    """Local files under ``dataflare-wfault://``; opening a staged part file for writing fails."""

    protocol = ("dataflare-wfault",)

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        path = str(path)
        if path.startswith("dataflare-wfault://"):
            path = path[len("dataflare-wfault://") :]
        return super()._strip_protocol(path)

    def _open(self, path: Any, mode: str = "rb", **kwargs: Any) -> Any:
        if "w" in mode and "/.part-" in str(path):
            raise ConnectionResetError(f"injected fault: connection reset writing {path}")
        return super()._open(path, mode, **kwargs)


fsspec.register_implementation("dataflare-wfault", WriteFaultFileSystem, clobber=True)


@pytest.fixture
def small_input(tmp_path: Path) -> Path:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"name": ["Ada", "GRACE"]}), path)
    return path


def test_part_write_error_is_classified(
    small_input: Path, tmp_path: Path, example_plugins: dict[str, Path]
) -> None:
    step = resolve_step(example_plugins["basic-transformer"], {})
    with pytest.raises(DataFlareError) as err:
        run_transform([step], f"dataflare-wfault://{tmp_path}/out.parquet", small_input)
    assert err.value.failure_class == "transient"


def test_operator_treats_escaped_os_errors_as_transient(
    small_input: Path, tmp_path: Path, published_examples: dict[str, str]
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from dataflare_provider.airflow.exceptions import DataFlareTransientError
    from dataflare_provider.airflow.operators.transform import WasmTransformOperator

    op = WasmTransformOperator(
        task_id="wfault",
        plugin=published_examples["basic-transformer"],
        input=str(small_input),
        output=f"dataflare-wfault://{tmp_path}/out.parquet",
    )
    with pytest.raises(DataFlareTransientError) as err:
        op.execute({})  # type: ignore[arg-type]
    assert not isinstance(err.value, AirflowFailException)
    causes = []
    cause: BaseException | None = err.value
    while cause is not None:
        causes.append(cause)
        cause = cause.__cause__
    assert any(isinstance(c, ConnectionResetError) for c in causes)

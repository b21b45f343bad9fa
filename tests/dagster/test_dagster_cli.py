"""The example code locations through the ``dagster`` CLI, as on a fresh machine: empty
``DATAFLARE_HOME`` (no plugins published: the ``example_plugins`` asset builds and publishes them)
and empty ``DAGSTER_HOME``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dataflare_provider.registry import RegistryClient, RegistrySettings

pytestmark = [pytest.mark.dagster, pytest.mark.slow]

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "dagster"


def _dagster(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "dagster", *args], cwd=EXAMPLE_DIR, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, (
        f"dagster {' '.join(args)}:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    )
    return proc


def test_example_definitions_cli(tmp_path: Path, example_plugins: dict[str, Path]) -> None:
    home, dagster_home = tmp_path / "dataflare", tmp_path / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("")
    env = {**os.environ, "DATAFLARE_HOME": str(home), "DAGSTER_HOME": str(dagster_home)}
    env.pop("DATAFLARE_EXAMPLE_DATA", None)

    out = _dagster(["definitions", "validate", "-m", "dataflare_example.orders",
                    "-m", "dataflare_example.daily"], env)  # fmt: skip
    assert "All code locations passed validation" in out.stdout + out.stderr

    _dagster(["asset", "materialize", "--select", "*", "-m", "dataflare_example.orders"], env)
    data = home / "examples" / "dagster"
    assert pq.read_table(data / "orders" / "large_orders.parquet").num_rows > 0
    with RegistryClient(RegistrySettings(local_dir=home / "registry")) as client:
        assert client.resolve("dataflare/row-filter:^1.0").startswith("sha256:")  # published

    _dagster(["asset", "materialize", "--select", "*", "--partition", "2026-11-27",
              "-m", "dataflare_example.daily"], env)  # fmt: skip
    assert pq.read_table(data / "events" / "clean" / "2026-11-27.parquet").num_rows > 0
    assert pq.read_table(data / "events" / "rejected" / "2026-11-27.parquet").num_rows > 0

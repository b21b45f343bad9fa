"""The built Python example through ``dataflare run`` and the Airflow operator: the same output as
the pure-Python run of the same class."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataflare_provider.runtime.component import ComponentPlugin
from dataflare_provider.runtime.component.local import LocalProcessor
from dataflare_provider.runtime.loader import load_plugin

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "python-json-enrich" / "src"
PROBE = Path(__file__).parent / "plugins" / "probe"
CONFIG = {"upper": ["name"], "add": {"source": "crm"}}


def _class(path: Path, name: str):  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_plugin_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    table = pa.table(
        {
            "id": pa.array(range(500), pa.int64()),
            "name": [f"user{i}" for i in range(500)],
            "email": [None if i % 7 == 0 else f"u{i}@x.org" for i in range(500)],
        }
    )
    path = tmp_path_factory.mktemp("people") / "people.parquet"
    pq.write_table(table, path)
    return path, table


def test_load_plugin_picks_the_component_path(json_enrich_wasm: Path, json_enrich) -> None:  # type: ignore[no-untyped-def]
    plugin = load_plugin(json_enrich_wasm)
    assert isinstance(plugin, ComponentPlugin)
    assert plugin.load_source in ("memory", "disk")


def test_dataflare_run_output_equals_the_pure_python_run(
    json_enrich_wasm: Path,
    json_enrich,
    people: tuple[Path, pa.Table],
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    path, table = people
    out = tmp_path / "out.parquet"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dataflare"), "run", str(json_enrich_wasm),
         "-i", str(path), "-o", str(out), "-c", json.dumps(CONFIG), "--batch-size", "200"],
        capture_output=True, text=True, env=dict(os.environ), timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = pq.read_table(out)
    local = LocalProcessor(_class(EXAMPLE / "json_enrich.py", "JsonEnrich")(), CONFIG)
    want = pa.Table.from_batches(
        [r.output for b in table.to_batches(max_chunksize=200) if (r := local.process(b)).output]
    )
    assert got.num_rows == 500
    assert got.select(want.column_names).to_pylist() == want.to_pylist()


def test_airflow_operator_runs_the_component(
    probe_wasm: Path,
    probe,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    pytest.importorskip("airflow")
    from dataflare_provider.airflow.operators.transform import WasmTransformOperator

    table = pa.table({"op": ["echo", "fail", "skip", "echo"], "v": [1, 2, 3, 4]})
    src = tmp_path / "ops.parquet"
    pq.write_table(table, src)
    op = WasmTransformOperator(
        task_id="probe", plugin=str(probe_wasm), input=str(src), output=str(tmp_path / "out/"),
        dead_letter=str(tmp_path / "dead/"), config={}, max_error_rate=0.5,
    )  # fmt: skip
    summary = op.execute({})
    assert (summary["rows_in"], summary["rows_out"], summary["rows_error"]) == (4, 2, 1)
    got = pq.read_table(tmp_path / "out")
    want = LocalProcessor(_class(PROBE / "plugin.py", "Probe")(), {}).process(table.to_batches()[0])
    assert want.output is not None
    assert got.select(want.output.schema.names).to_pylist() == want.output.to_pylist()
    dead = pq.read_table(tmp_path / "dead").to_pylist()
    assert len(dead) == 1 and "asked to fail" in json.dumps(dead)


@pytest.mark.slow  # one more componentize-py build (~15 s)
def test_dataflare_plugin_build_of_the_python_project(tmp_path: Path) -> None:
    """The CLI's project build (plugin.toml + src/*.py) goes through build_python_plugin."""
    import shutil

    project = tmp_path / "python-json-enrich"
    shutil.copytree(ROOT / "examples" / "python-json-enrich", project,
                    ignore=shutil.ignore_patterns("build"))  # fmt: skip
    from dataflare_provider.toolchain.project import build, load_project

    proj = load_project(project)
    assert proj.language == "python"
    report = build(proj)
    from dataflare_provider.runtime.component import is_component

    assert is_component(report.path.read_bytes())

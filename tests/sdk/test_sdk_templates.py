"""`dataflare plugin new` -> `build` -> `test` for every template, then `dataflare run` on the
built plugin; a deliberately wrong plugin fails `plugin test` with a readable diff."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sdk_support import VECTORS
from typer.testing import Result

sys.path.insert(0, str(VECTORS))
import generate

CORE_TEMPLATES = ("c", "rust", "go", "assemblyscript")
CONFIG = {"lowercase": ["name"], "derive": [{"name": "cents", "from": "amount", "multiply": 100}]}


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("template", [*CORE_TEMPLATES, "python"])
def test_new_build_test_run(cli: Callable[..., Result], tmp_path: Path, template: str) -> None:
    name = f"my-{template}-plugin"
    out = _ok(cli("plugin", "new", name, "--template", template, "--dir", str(tmp_path)))
    project = tmp_path / name
    assert "created" in out
    for f in ("plugin.toml", "fixtures/cases.json", "tests/test_plugin.py", "README.md"):
        assert (project / f).exists(), f
    out = _ok(cli("plugin", "build", str(project)))
    wasm = project / "build" / f"{name}.wasm"
    assert wasm.exists() and f"built {wasm}" in out
    out = _ok(cli("plugin", "test", str(project), "--no-build"))
    assert " 0 failed" in out.splitlines()[-1]
    if template != "python":  # the starter is the reference plugin: the shared vectors run too
        assert "shared vectors basic-transformer: 42 passed, 0 failed" in out
    # its manifest is valid for the registry: publish to the session's local store
    out = _ok(cli("plugin", "publish", str(wasm), "-m", str(project / "plugin.toml")))
    assert f"published local/{name}:0.1.0" in out

    # the built plugin through `dataflare run`
    src = tmp_path / "in.parquet"
    batch = pa.record_batch(
        {"name": ["Ada", "GRACE", "Émile"], "amount": pa.array([1, 2, 3], pa.int32())}
    )
    pq.write_table(pa.Table.from_batches([batch]), src)
    dst = tmp_path / "out.parquet"
    config = CONFIG if template != "python" else {"lowercase": ["name"]}
    _ok(cli("run", str(wasm), "-i", str(src), "-o", str(dst), "-c", json.dumps(config)))
    table = pq.read_table(dst)
    assert table.column("name").to_pylist() == ["ada", "grace", "Émile"]  # ASCII only
    if template != "python":
        assert table.column("cents").to_pylist() == [100, 200, 300]


def test_wrong_plugin_fails_with_a_readable_diff(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """A plugin that adds 1 too many in `derive` fails `plugin test`, naming rows and values."""
    _ok(cli("plugin", "new", "wrong", "--template", "c", "--dir", str(tmp_path)))
    src = tmp_path / "wrong" / "plugin.c"
    text = src.read_text()
    assert "m + a);" in text
    src.write_text(text.replace("m + a);", "m + a + 1);"))  # integer derive is off by one
    result = cli("plugin", "test", str(tmp_path / "wrong"))
    assert result.exit_code == 1
    out = result.output
    assert "FAIL derive-int32" in out
    assert "column 2 'y' (int64):" in out and "row(s) differ" in out
    assert "got " in out and ", expected " in out
    assert "0 failed" not in out.splitlines()[-1]


def test_optimize_runs_wasm_opt(cli: Callable[..., Result], tmp_path: Path) -> None:
    _ok(cli("plugin", "new", "opt", "--template", "c", "--dir", str(tmp_path)))
    out = _ok(cli("plugin", "build", str(tmp_path / "opt"), "--optimize"))
    assert "wasm-opt" in out
    out = _ok(cli("plugin", "test", str(tmp_path / "opt"), "--no-build"))
    assert out.splitlines()[-1].endswith(" 0 failed")


def test_new_refuses_bad_names_and_templates(cli: Callable[..., Result], tmp_path: Path) -> None:
    assert cli("plugin", "new", "x", "--template", "cobol", "--dir", str(tmp_path)).exit_code == 1
    assert cli("plugin", "new", "9lives", "--dir", str(tmp_path)).exit_code == 1
    _ok(cli("plugin", "new", "twice", "-t", "c", "--dir", str(tmp_path)))
    result = cli("plugin", "new", "twice", "-t", "c", "--dir", str(tmp_path))
    assert result.exit_code == 1 and "not empty" in result.output


def test_reference_matches_generator(tmp_path: Path) -> None:
    """The generator's reference is the README's semantics on a tiny hand-checked batch."""
    batch = pa.record_batch({"name": ["AbC", None], "amount": pa.array([-3, 4], pa.int8())})
    out = generate.basic_transformer(
        batch,
        {
            "lowercase": ["name"],
            "derive": [{"name": "d", "from": "amount", "multiply": -2, "add": 1}],
        },
    )
    assert out.column("name").to_pylist() == ["abc", None]
    assert out.column("d").to_pylist() == [7, -7]


@pytest.mark.parametrize(
    ("template_file", "example_file"),
    [
        ("c/plugin.c", "basic-transformer/basic_transformer.c"),
        ("rust/src/lib.rs", "basic-transformer-rust/src/lib.rs"),
        ("go/main.go", "basic-transformer-go/main.go"),
        ("assemblyscript/assembly/index.ts", "basic-transformer-ts/assembly/index.ts"),
    ],
)
def test_starters_are_the_reference_examples(template_file: str, example_file: str) -> None:
    """The templates' starter is examples/basic-transformer*, verbatim (tested there too)."""
    from dataflare_provider.cli.sdk import TEMPLATES

    root = Path(__file__).resolve().parents[2]
    assert (TEMPLATES / template_file).read_text() == (root / "examples" / example_file).read_text()

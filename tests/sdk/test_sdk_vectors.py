"""The shared vectors (tests/vectors) against the reference plugin built with every SDK."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from sdk_support import LANGUAGES, PLUGINS, VECTORS

from dataflare_provider.runtime import Plugin
from dataflare_provider.runtime.inspect import inspect_module
from dataflare_provider.testing import load_cases, normalise, run_vectors

sys.path.insert(0, str(VECTORS))
import generate

WASI = "wasi_snapshot_preview1."


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("plugin", PLUGINS)
def test_shared_vectors(sdk_build: Callable[..., Path], plugin: str, language: str) -> None:
    """basic-transformer: every type, nulls, slices, empty batches, config/schema errors;
    row-filter: filtering (take), ``_dataflare_error`` (dead letter), no output (status 1)."""
    report = run_vectors(sdk_build(language, plugin), VECTORS / plugin)
    assert len(report.results) == len(load_cases(VECTORS / plugin)["cases"])
    assert report.ok, "\n".join(str(r) for r in report.failed)


@pytest.mark.parametrize("language", LANGUAGES)
def test_passthrough_is_zero_copy(sdk_build: Callable[..., Path], language: str) -> None:
    batch = generate.mixed_batch(50, seed=9)
    with Plugin.from_file(sdk_build(language)).instantiate({}) as inst:
        for b in (batch, batch.slice(3, 40)):
            out = inst.process(b).output
            assert out is not None and out.equals(b)
            for name in b.schema.names:
                a, c = b.column(name), out.column(name)
                if not pa.types.is_null(a.type):
                    assert [x.address if x else 0 for x in a.buffers()] == [
                        x.address if x else 0 for x in c.buffers()
                    ], name


@pytest.mark.parametrize("language", ["rust", "go", "assemblyscript"])
@pytest.mark.parametrize("plugin", PLUGINS)
def test_module_shape(sdk_build: Callable[..., Path], plugin: str, language: str) -> None:
    """Only the exports the plugin needs (no dataflare_finish: not stateful), only allowed
    imports (dataflare.* and WASI preview 1), a reactor where the toolchain has one."""
    info = inspect_module(sdk_build(language, plugin).read_bytes())
    assert not info.violations
    assert info.kind == "processor" and info.abi_version == 1 and not info.stateful
    assert "dataflare_finish" not in info.exports
    assert all(i.startswith(("dataflare.", WASI)) for i in info.imports), info.imports
    if language in ("rust", "go"):
        assert "_initialize" in info.exports
    if language == "assemblyscript":  # abort goes through dataflare.log: no env.abort
        assert all(i.startswith("dataflare.") for i in info.imports), info.imports
    if plugin == "row-filter":  # the rows_dropped counter
        assert any(i.startswith("dataflare.counter_add:") for i in info.imports)


def test_identical_outputs_across_sdks(sdk_build: Callable[..., Path]) -> None:
    """Beyond the vectors: a large random batch gives the same bytes from every SDK."""
    rng = random.Random(11)
    n = 30_000
    batch = pa.record_batch({
        "x": generate.numeric_values(pa.float32(), n, rng), "s": pa.array(generate.words(n, rng)),
        "ls": pa.array(generate.words(n, rng), pa.large_string()),
        "u": generate.numeric_values(pa.uint64(), n, rng),
    })  # fmt: skip
    config = {"lowercase": ["s", "ls"],
              "derive": [{"name": "y", "from": "x", "multiply": 0.3, "add": -1.5},
                         {"name": "v", "from": "u", "multiply": 7, "add": -3}]}  # fmt: skip
    expected = normalise(generate.basic_transformer(batch.slice(5), config))
    for language in LANGUAGES:
        with Plugin.from_file(sdk_build(language)).instantiate(config) as inst:
            out = inst.process(batch.slice(5)).output
            assert out is not None and normalise(out) == expected, language


def test_generator_is_reproducible(tmp_path: Path) -> None:
    """The committed vectors are what tests/vectors/generate.py writes."""
    subprocess.run([sys.executable, str(VECTORS / "generate.py"), str(tmp_path)], check=True)
    for name in ("basic-transformer", "row-filter"):
        committed, fresh = VECTORS / name, tmp_path / name
        assert json.loads((committed / "cases.json").read_text()) == json.loads(
            (fresh / "cases.json").read_text()
        )
        files = sorted(p.name for p in committed.glob("*.arrow"))
        assert files == sorted(p.name for p in fresh.glob("*.arrow"))
        for f in files:
            a = pa.ipc.open_file(str(committed / f)).read_all()
            b = pa.ipc.open_file(str(fresh / f)).read_all()
            assert a.equals(b), f


@pytest.mark.parametrize("language", LANGUAGES)
def test_linear_memory_stays_flat(sdk_build: Callable[..., Path], language: str) -> None:
    """The per-call arenas (and Go's GC) reuse memory: no growth from batch 10 to batch 60."""
    rng = random.Random(12)
    n = 20_000
    batch = pa.record_batch({"x": generate.numeric_values(pa.float64(), n, rng),
                             "s": pa.array(generate.words(n, rng))})  # fmt: skip
    config = {"lowercase": ["s"], "derive": [{"name": "y", "from": "x", "multiply": 2}]}
    with Plugin.from_file(sdk_build(language)).instantiate(config) as inst:
        for _ in range(10):
            inst.process(batch)
        size = inst.mem.size
        for _ in range(50):
            inst.process(batch)
        assert inst.mem.size == size, (language, size, inst.mem.size)
        assert size <= 16 * 2**20

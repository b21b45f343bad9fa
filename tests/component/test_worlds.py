"""The source and destination worlds through ComponentInstance.read / process / finish.

Slow: two more componentize-py builds and compiles."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from dataflare_provider.errors import PluginError

pytestmark = pytest.mark.slow

IO = Path(__file__).parent / "plugins" / "io"


@pytest.fixture(scope="module")
def worlds(component_build_dir: Path, component_cache):  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from dataflare_provider.runtime.component import ComponentPlugin
    from dataflare_provider.runtime.component.build import build_python_plugin

    jobs = {"source": "plugin:Counter", "destination": "plugin:JsonLines"}
    with ThreadPoolExecutor(2) as pool:
        futures = {
            world: pool.submit(
                build_python_plugin,
                IO,
                component_build_dir / f"io-{world}.wasm",
                entry=entry,
                world=world,
            )
            for world, entry in jobs.items()
        }
        paths = {world: f.result().path for world, f in futures.items()}
    return {w: ComponentPlugin.from_file(p, name=f"io-{w}", cache=component_cache)
            for w, p in paths.items()}  # fmt: skip


def test_source_reads_batches_to_the_end(worlds) -> None:  # type: ignore[no-untyped-def]
    plugin = worlds["source"]
    assert plugin.world == "source" and plugin.kind == "source"
    with plugin.instantiate({"count": 25}) as inst:
        batches = []
        while (res := inst.read(10)) is not None:
            batches.append(res.output)
        inst.reset()
        again = inst.read(100)
    assert [b.num_rows for b in batches] == [10, 10, 5]
    rows = pa.Table.from_batches(batches).to_pylist()
    assert [r["n"] for r in rows] == list(range(25))
    assert again is not None and again.rows_out == 25
    assert inst.metrics.rows_out == 50


def test_source_error_is_a_plugin_error(worlds) -> None:  # type: ignore[no-untyped-def]
    inst = worlds["source"].instantiate({"count": 25, "fail_at": 3})
    with pytest.raises(PluginError, match="cannot read record 3"):
        inst.read(10)
    inst.close()


def test_destination_writes_and_flushes_bytes(worlds) -> None:  # type: ignore[no-untyped-def]
    plugin = worlds["destination"]
    assert plugin.kind == "sink"
    batch = pa.record_batch({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    with plugin.instantiate({}) as inst:
        assert inst.process(batch).output is None
        inst.process(batch.slice(1))
        tail = inst.finish()
    assert tail.output is not None and tail.output.schema.names == ["data"]
    lines = tail.output.column("data")[0].as_py().decode().splitlines()
    assert [json.loads(line) for line in lines] == (batch.to_pylist() + batch.slice(1).to_pylist())

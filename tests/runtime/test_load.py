"""Loading: import/export checks, ABI version, the AOT cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
import wasmtime

from dataflare_provider.errors import (
    ABIVersionError,
    ForbiddenImportError,
    MissingExportError,
    PluginLoadError,
)
from dataflare_provider.runtime import Plugin
from dataflare_provider.runtime.cache import CompiledCache
from dataflare_provider.runtime.engine import EngineConfig

ABI_EXPORTS = """
  (memory (export "memory") 1)
  (func (export "dataflare_abi_version") (result i32) i32.const {version})
  (func (export "dataflare_alloc") (param i32 i32) (result i32) i32.const 1024)
  (func (export "dataflare_free") (param i32 i32 i32))
  (func (export "dataflare_init") (param i32 i32) (result i32) i32.const 0)
  (func (export "dataflare_last_error") (param i32))
  {process}
"""
PROCESS = '(func (export "dataflare_process") (param i32 i32 i32 i32) (result i32) i32.const 1)'


def wat_module(imports: str = "", *, version: int = 1, process: str = PROCESS) -> bytes:
    body = ABI_EXPORTS.format(version=version, process=process)
    return wasmtime.wat2wasm(f"(module {imports} {body})")


def test_minimal_wat_plugin_loads_and_runs() -> None:
    plugin = Plugin(wat_module(), name="minimal")
    with plugin.instantiate() as inst:
        assert inst.process(pa.record_batch({"x": [1]})).output is None


@pytest.mark.parametrize(
    ("imports", "named"),
    [
        ('(import "env" "evil" (func))', "env.evil"),
        (
            '(import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))',
            "wasi_snapshot_preview1.sock_accept",
        ),
        ('(import "dataflare" "open_file" (func))', "dataflare.open_file"),
        ('(import "dataflare" "log" (func (param i32)))', "dataflare.log"),
        ('(import "env" "table" (table 1 funcref))', "env.table"),
    ],
)
def test_forbidden_imports_are_refused_by_name(imports: str, named: str) -> None:
    with pytest.raises(ForbiddenImportError, match=named.replace(".", r"\.")):
        Plugin(wat_module(imports), name="evil")


def test_allowed_imports_load() -> None:
    imports = """
      (import "dataflare" "log" (func (param i32 i32 i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
    """
    Plugin(wat_module(imports), name="fine")


def test_missing_export_is_named() -> None:
    wasm = wasmtime.wat2wasm('(module (memory (export "memory") 1))')
    with pytest.raises(MissingExportError, match="missing export 'dataflare_abi_version'"):
        Plugin(wasm, name="empty")


def test_wrong_export_signature_is_named() -> None:
    bad = '(func (export "dataflare_process") (param i32) (result i32) i32.const 0)'
    with pytest.raises(MissingExportError, match="dataflare_process' is i32->i32"):
        Plugin(wat_module(process=bad), name="bad")


def test_unknown_abi_version_lists_supported() -> None:
    plugin = Plugin(wat_module(version=7), name="future")
    with pytest.raises(ABIVersionError, match="dataflare-abi 7; this host supports 1"):
        plugin.instantiate()


def test_garbage_is_not_a_module() -> None:
    with pytest.raises(PluginLoadError, match="not a valid WebAssembly module"):
        Plugin(b"\0asm garbage", name="junk")


def test_corrupt_cache_file_is_recompiled(tmp_path: Path, test_plugin) -> None:  # type: ignore[no-untyped-def]
    wasm = test_plugin("echo").read_bytes()
    first = CompiledCache(tmp_path).module(wasm)
    assert first.source == "compiled"
    path = CompiledCache(tmp_path).path_for(first.digest, EngineConfig())
    assert path.exists()
    path.write_bytes(b"this is not a compiled module" * 100)
    cache = CompiledCache(tmp_path)
    again = cache.module(wasm)
    assert again.source == "compiled"
    assert CompiledCache(tmp_path).module(wasm).source == "disk"  # replaced with a good file
    plugin = Plugin(wasm, name="echo", cache=cache)
    batch = pa.record_batch({"x": [1, 2]})
    with plugin.instantiate() as inst:
        assert inst.process(batch).output.equals(batch)  # type: ignore[union-attr]


def test_truncated_cache_file_is_recompiled(tmp_path: Path, test_plugin) -> None:  # type: ignore[no-untyped-def]
    wasm = test_plugin("echo").read_bytes()
    first = CompiledCache(tmp_path).module(wasm)
    path = CompiledCache(tmp_path).path_for(first.digest, EngineConfig())
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert CompiledCache(tmp_path).module(wasm).source == "compiled"


def test_second_process_loads_from_aot_cache(tmp_path: Path, test_plugin) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stdout);"
        "from dataflare_provider.runtime import Plugin;"
        f"Plugin.from_file({str(test_plugin('echo'))!r}, name='echo')"
    )
    env = {**os.environ, "DATAFLARE_HOME": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "from fresh compile" in first.stdout, first.stdout + first.stderr
    assert "from AOT cache" in second.stdout, second.stdout + second.stderr

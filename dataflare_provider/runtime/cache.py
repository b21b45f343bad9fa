"""On-disk AOT cache of compiled modules.

Compiling a multi-MB module takes seconds; mapping its compiled artifact with
``Module.deserialize_file`` takes about a millisecond. Artifacts are keyed by the module's sha256,
the wasmtime version and the engine-config fingerprint::

    $DATAFLARE_HOME/aot/<wasmtime-version>/<engine-fingerprint>/<sha256>.cwasm

They are written to a temporary file and renamed into place, so readers never see a partial file.
A file wasmtime refuses (corrupt, truncated, from another version) is recompiled and replaced.
Within one process, compiled modules are also kept in memory by key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import wasmtime

from dataflare_provider.runtime.engine import EngineConfig, get_engine, wasmtime_version
from dataflare_provider.settings import aot_cache_dir

log = logging.getLogger(__name__)

T = TypeVar("T", wasmtime.Module, "wasmtime.component.Component")


@dataclass(frozen=True)
class Compiled(Generic[T]):
    """A compiled module and how it was obtained."""

    module: T
    digest: str
    source: str  # "memory", "disk" or "compiled"
    seconds: float


_roots: dict[str | None, str] = {}


def _default_root() -> str:
    """``aot_cache_dir()`` as a string, memoised per value of ``$DATAFLARE_HOME``."""
    key = os.environ.get("DATAFLARE_HOME")
    root = _roots.get(key)
    if root is None:
        root = _roots[key] = os.fspath(aot_cache_dir())
    return root


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class CompiledCache:
    """Compile-once cache for core modules (and, through the generic hooks, components)."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._memory: dict[tuple[str, str, str], object] = {}
        self._verdicts: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def directory(self) -> Path:
        return self._directory or aot_cache_dir()

    def path_for(self, digest: str, config: EngineConfig, suffix: str = ".cwasm") -> Path:
        return Path(self._path_for(digest, config, suffix))

    def _path_for(self, digest: str, config: EngineConfig, suffix: str) -> str:
        # plain strings: pathlib costs ~0.1 ms a load, a tenth of a cached small-plugin load
        root = os.fspath(self._directory) if self._directory else _default_root()
        return f"{root}/{wasmtime_version()}/{config.fingerprint()}/{digest}{suffix}"

    def module(
        self, wasm: bytes, config: EngineConfig | None = None, *, digest: str | None = None
    ) -> Compiled[wasmtime.Module]:
        """Compile ``wasm`` for the shared engine of ``config``, through the cache."""
        return self._get(
            wasm,
            config or EngineConfig(),
            digest,
            kind="module",
            suffix=".cwasm",
            compile_=lambda engine, data: wasmtime.Module(engine, data),
            deserialize=wasmtime.Module.deserialize_file,
        )

    def component(
        self, wasm: bytes, config: EngineConfig | None = None, *, digest: str | None = None
    ) -> Compiled[wasmtime.component.Component]:
        """Same as :meth:`module` for a component-model binary."""
        from wasmtime.component import Component

        return self._get(
            wasm,
            config or EngineConfig(),
            digest,
            kind="component",
            suffix=".ccwasm",
            compile_=lambda engine, data: Component(engine, data),
            deserialize=Component.deserialize_file,
        )

    def _get(
        self,
        wasm: bytes,
        config: EngineConfig,
        digest: str | None,
        *,
        kind: str,
        suffix: str,
        compile_: Callable[[wasmtime.Engine, bytes], T],
        deserialize: Callable[[wasmtime.Engine, str], T],
    ) -> Compiled[T]:
        start = time.perf_counter()
        digest = digest or sha256_hex(wasm)
        key = (kind, digest, config.fingerprint())
        cached = self._memory.get(key)
        if cached is not None:
            return Compiled(cached, digest, "memory", time.perf_counter() - start)  # type: ignore[arg-type]
        engine = get_engine(config)
        path = self._path_for(digest, config, suffix)
        module: T | None = None
        source = "disk"
        if os.path.exists(path):
            try:
                module = deserialize(engine, path)
            except wasmtime.WasmtimeError as exc:
                log.warning("AOT cache file %s is unusable (%s); recompiling", path, exc)
        if module is None:
            source = "compiled"
            module = compile_(engine, wasm)
            self._store(Path(path), module.serialize())
        with self._lock:
            self._memory.setdefault(key, module)
        return Compiled(module, digest, source, time.perf_counter() - start)

    def _store(self, path: Path, data: bytes | bytearray) -> None:
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:  # a read-only or full disk must not fail the task
            log.warning("could not write AOT cache file %s: %s", path, exc)
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def verdict(
        self, compiled: Compiled[T], config: EngineConfig, policy: str
    ) -> dict[str, Any] | None:
        """The sandbox checks' result stored for this artifact under ``policy`` (a fingerprint of
        the sandbox rules), or ``None``: checked once when compiled, not at every load."""
        key = (compiled.digest, config.fingerprint(), policy)
        found = self._verdicts.get(key)
        if found is not None:
            return found
        path = self._path_for(compiled.digest, config, ".verdict.json")
        try:
            with open(path, "rb") as f:
                data = json.loads(f.read())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("policy") != policy:
            return None
        self._verdicts[key] = data
        return data

    def store_verdict(
        self, compiled: Compiled[T], config: EngineConfig, policy: str, data: dict[str, Any]
    ) -> None:
        data = {**data, "policy": policy}
        self._verdicts[(compiled.digest, config.fingerprint(), policy)] = data
        self._store(
            self.path_for(compiled.digest, config, ".verdict.json"), json.dumps(data).encode()
        )

    def clear_memory(self) -> None:
        """Forget in-process modules (the disk cache stays)."""
        with self._lock:
            self._memory.clear()
            self._verdicts.clear()


default_cache = CompiledCache()
_default_root()  # per-process setup (first pathlib use) done at import, not in the first load

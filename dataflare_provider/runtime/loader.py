"""Load a plugin binary as a core module or a component, whichever it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from dataflare_provider.runtime.binary import read_wasm
from dataflare_provider.runtime.component.detect import is_component
from dataflare_provider.runtime.lifecycle import PluginState
from dataflare_provider.runtime.metrics import PluginMetrics
from dataflare_provider.runtime.plugin import Plugin, ProcessResult


class Instance(Protocol):
    """What every plugin instance offers (core modules and components alike)."""

    name: str
    metrics: PluginMetrics

    def process(self, batch: pa.RecordBatch) -> ProcessResult: ...
    def finish(self) -> ProcessResult: ...
    def read(self, max_rows: int = ...) -> ProcessResult | None: ...
    def interrupt(self) -> None: ...
    def close(self) -> None: ...
    @property
    def state(self) -> PluginState: ...


class LoadedPlugin(Protocol):
    """What every loaded plugin offers."""

    name: str
    digest: str
    kind: str
    stateful: bool
    load_time_s: float
    load_source: str

    def instantiate(self, config: Any = ..., *, limits: Any = ..., logger: Any = ...) -> Any: ...


def load_plugin(source: bytes | str | Path, **kwargs: Any) -> LoadedPlugin:
    """A :class:`Plugin` or ``ComponentPlugin`` for a ``.wasm`` file or its bytes.

    ``digest`` (the module's sha256 hex, when already verified, e.g. by the registry) saves
    hashing it again; component-only options (``stateful``, ``mapping``) go to components.
    """
    if isinstance(source, bytes):
        wasm = source
    else:
        wasm = read_wasm(source)
        kwargs.setdefault("name", Path(source).stem)
    if is_component(wasm):
        from dataflare_provider.runtime.component import ComponentPlugin

        return ComponentPlugin(wasm, **kwargs)  # type: ignore[no-any-return]
    return Plugin(wasm, **kwargs)

"""What core-module and component plugins share before any instance exists."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Self

from dataflare_provider.errors import PluginLoadError
from dataflare_provider.runtime.engine import EngineConfig
from dataflare_provider.runtime.instance import engine_config_for
from dataflare_provider.runtime.limits import Limits

log = logging.getLogger("dataflare_provider.runtime")

LOAD_SOURCES = {"disk": "AOT cache", "memory": "process cache", "compiled": "fresh compile"}


def read_wasm(path: str | Path) -> bytes:
    """A plugin file's bytes, or a :class:`PluginLoadError` naming the path."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise PluginLoadError(f"cannot read plugin file: {exc}", path=str(path)) from None


class PluginBinary:
    """Base of ``Plugin`` and ``ComponentPlugin``: a compiled binary and how it was loaded."""

    name: str
    size: int
    digest: str
    load_source: str
    load_time_s: float

    def __init__(self, wasm: bytes, **kwargs: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> Self:
        """Load a ``.wasm`` file (name defaults to the file stem)."""
        kwargs.setdefault("name", Path(path).stem)
        return cls(read_wasm(path), **kwargs)

    @staticmethod
    def _engine_config(limits: Limits) -> EngineConfig:
        return engine_config_for(limits)

    def _log_loaded(self, what: str) -> None:
        log.info(
            "plugin %s: loaded %s (%d bytes, sha256:%s) in %.2f ms from %s",
            self.name, what, self.size, self.digest[:12], self.load_time_s * 1e3,
            LOAD_SOURCES[self.load_source],
        )  # fmt: skip

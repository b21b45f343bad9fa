"""One wasmtime :class:`~wasmtime.Engine` per process per engine configuration.

Every plugin in the process shares it (compiled code, the epoch counter). Each engine has one
daemon *ticker* thread that advances the epoch every ``tick_ms``; stores use it for wall-clock
timeouts and interruption (see :mod:`dataflare_provider.runtime.deadline`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import wasmtime

TICK_SECONDS = 0.01


@cache
def wasmtime_version() -> str:
    """Version of the installed wasmtime-py (part of every AOT cache key).

    Read from the ``wasmtime-X.Y.Z.dist-info`` directory name: ``importlib.metadata.version``
    parses the whole METADATA file and costs ~10 ms, a tenth of a cached plugin load.
    """
    site = Path(wasmtime.__file__).resolve().parent.parent
    for name in os.listdir(site):
        if name.startswith("wasmtime-") and name.endswith(".dist-info"):
            return name.removeprefix("wasmtime-").removesuffix(".dist-info")
    return version("wasmtime")


@dataclass(frozen=True)
class EngineConfig:
    """The engine settings that change generated code (and so the AOT cache key).

    Fuel metering costs ~13% on tight kernels, so it is off unless a plugin asks for a fuel budget;
    epoch interruption (~7%) is always on because wall-clock timeouts are not optional.
    """

    fuel: bool = False
    opt_level: str = "speed"

    def fingerprint(self) -> str:
        """Stable short hash of everything that makes compiled code incompatible."""
        return _fingerprint(self)

    def to_wasmtime(self) -> wasmtime.Config:
        cfg = wasmtime.Config()
        cfg.epoch_interruption = True
        cfg.consume_fuel = self.fuel
        cfg.cranelift_opt_level = self.opt_level
        cfg.wasm_component_model = True
        return cfg


@cache
def _fingerprint(config: EngineConfig) -> str:
    parts = [
        f"wasmtime={wasmtime_version()}",
        f"fuel={config.fuel}",
        f"opt={config.opt_level}",
        "epoch=True",
        f"arch={platform.machine()}",
        f"os={platform.system()}",
    ]
    text = "|".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_lock = threading.Lock()
_engines: dict[EngineConfig, wasmtime.Engine] = {}

T = TypeVar("T")


def per_engine(build: Callable[[wasmtime.Engine], T]) -> Callable[[wasmtime.Engine], T]:
    """Make ``build(engine)`` run once per engine (thread-safe): later calls share its result.

    Engines live as long as the process (see :func:`get_engine`), so keying by ``id`` is safe.
    """
    made: dict[int, T] = {}
    lock = threading.Lock()

    @functools.wraps(build)
    def get(engine: wasmtime.Engine) -> T:
        key = id(engine)
        found = made.get(key)
        if found is None:
            with lock:
                found = made.get(key)
                if found is None:
                    found = made[key] = build(engine)
        return found

    return get


def get_engine(config: EngineConfig | None = None) -> wasmtime.Engine:
    """The process-wide engine for ``config``, created (with its ticker thread) on first use."""
    config = config or EngineConfig()
    engine = _engines.get(config)
    if engine is not None:
        return engine
    with _lock:
        engine = _engines.get(config)
        if engine is None:
            engine = wasmtime.Engine(config.to_wasmtime())
            _start_ticker(engine)
            from dataflare_provider.runtime.host import linker_for

            linker_for(engine)  # WASI + host functions: per-process setup, not per plugin
            config.fingerprint()  # and the version lookup behind the AOT cache key
            _engines[config] = engine
    return engine


def _start_ticker(engine: wasmtime.Engine) -> None:
    def tick() -> None:
        while True:
            time.sleep(TICK_SECONDS)
            engine.increment_epoch()

    threading.Thread(target=tick, name="dataflare-epoch-ticker", daemon=True).start()

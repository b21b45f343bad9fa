"""The host side of the component sandbox: one component linker per engine with WASI preview 2
and the ``dataflare:core`` ``logging``/``metrics`` imports.

Like the core-module linker (:mod:`dataflare_provider.runtime.host`), host functions are defined
once per engine and find the calling instance through the thread-local set around each call.
"""

from __future__ import annotations

from typing import Any

import wasmtime
from wasmtime.component import Linker

from dataflare_provider.runtime.component.wit import LOGGING, METRICS, TYPES
from dataflare_provider.runtime.engine import per_engine
from dataflare_provider.runtime.host import MAX_MESSAGE, _ctx

# logging.level enum case -> the core ABI's level numbers (GUEST_LEVELS)
LEVELS = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "error": 4}


def _log(_store: Any, level: Any, message: str) -> None:
    ctx = _ctx()
    if ctx is not None:
        ctx.guest_log(LEVELS.get(str(level), 2), message[:MAX_MESSAGE])


def _increment_counter(_store: Any, name: str, value: int) -> None:
    ctx = _ctx()
    if ctx is not None:
        ctx.guest_counter(name, value)


def _record_histogram(_store: Any, name: str, value: float) -> None:
    ctx = _ctx()
    if ctx is not None:
        ctx.guest_histogram(name, value)


@per_engine
def component_linker_for(engine: wasmtime.Engine) -> Linker:
    """The shared component linker of ``engine``."""
    linker = Linker(engine)
    linker.add_wasip2()
    with linker.root() as root:
        with root.add_instance(LOGGING) as inst:
            inst.add_func("log", _log)
        with root.add_instance(METRICS) as inst:
            inst.add_func("increment-counter", _increment_counter)
            inst.add_func("record-histogram", _record_histogram)
        with root.add_instance(TYPES):
            pass  # types only
    return linker

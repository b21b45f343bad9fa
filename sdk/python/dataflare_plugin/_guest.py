"""Inside the component: adapters from the WIT exports (componentize-py bindings) to SDK classes.

Only imported by the generated entry module of a build (``wit_world`` exists there). The plugin
object is a module-level singleton, so it keeps its state across calls however often
componentize-py instantiates the export class.
"""

from __future__ import annotations

import json
from typing import Any

from componentize_py_types import Err  # type: ignore[import-not-found]
from wit_world.imports import types as wit  # type: ignore[import-not-found]

from dataflare_plugin.plugin import Destination, Processor, Source, exception_message, results_of
from dataflare_plugin.types import Error, Record

_instance: Any = None


def _get() -> Any:
    if _instance is None:
        raise RuntimeError("plugin used before init")
    return _instance


def _init(cls: type, config: str) -> None:
    global _instance
    try:
        plugin = cls()
        plugin.init(json.loads(config) if config else {})
    except Exception as exc:  # noqa: BLE001 - reported to the host as init's error
        raise Err(exception_message(exc)) from None
    _instance = plugin


def _to_sdk(r: Any) -> Record:
    return Record(r.id, r.timestamp, bytes(r.payload), list(r.metadata))


def _to_wit(r: Record) -> Any:
    return wit.DataRecord(r.id, r.timestamp, r.payload, list(r.metadata))


def _result(r: Any) -> Any:
    if isinstance(r, Record):
        return wit.ProcessingResult_Success(_to_wit(r))
    if isinstance(r, Error):
        return wit.ProcessingResult_Error(r.message)
    return wit.ProcessingResult_Skip()


def processor_exports(cls: type[Processor]) -> type:
    """The ``DataProcessor`` export class for ``cls``."""

    class DataProcessor:
        def init(self, config: str) -> None:
            _init(cls, config)

        def process(self, record: Any) -> Any:
            return _result(results_of(_get(), [_to_sdk(record)])[0])

        def process_batch(self, records: list[Any]) -> list[Any]:
            return [_result(r) for r in results_of(_get(), [_to_sdk(r) for r in records])]

        def finish(self) -> list[Any]:
            return [_to_wit(r) for r in _get().finish()]

    return DataProcessor


def _guard(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Err:
        raise
    except Exception as exc:  # noqa: BLE001
        raise Err(exception_message(exc)) from None


def source_exports(cls: type[Source]) -> type:
    """The ``DataSource`` export class for ``cls``."""

    class DataSource:
        def init(self, config: str) -> None:
            _init(cls, config)

        def read_next(self) -> Any:
            record = _guard(lambda: _get().read_next())
            return None if record is None else _to_wit(record)

        def read_batch(self, max: int) -> list[Any]:
            return [_to_wit(r) for r in _guard(lambda: _get().read_batch(max))]

        def reset(self) -> None:
            _guard(lambda: _get().reset())

    return DataSource


def destination_exports(cls: type[Destination]) -> type:
    """The ``DataDestination`` export class for ``cls``."""

    class DataDestination:
        def init(self, config: str) -> None:
            _init(cls, config)

        def write(self, record: Any) -> None:
            _guard(lambda: _get().write(_to_sdk(record)))

        def write_batch(self, records: list[Any]) -> None:
            _guard(lambda: _get().write_batch([_to_sdk(r) for r in records]))

        def flush(self) -> bytes:
            return bytes(_guard(lambda: _get().flush()))

    return DataDestination

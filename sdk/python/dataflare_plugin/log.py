"""Plugin logging: the host's ``logging`` import inside a component, Python logging locally."""

from __future__ import annotations

import logging as _pylog

_local = _pylog.getLogger("dataflare_plugin")

try:  # inside a component built by componentize-py
    from wit_world.imports import logging as _wit  # type: ignore[import-not-found]
except ImportError:  # local run
    _wit = None

_LEVELS = {"trace": 5, "debug": 10, "info": 20, "warn": 30, "error": 40}


def _emit(level: str, message: str) -> None:
    if _wit is not None:
        _wit.log(getattr(_wit.Level, level.upper()), message)
    else:
        _local.log(_LEVELS[level], message)


def trace(message: str) -> None:
    _emit("trace", message)


def debug(message: str) -> None:
    _emit("debug", message)


def info(message: str) -> None:
    _emit("info", message)


def warn(message: str) -> None:
    _emit("warn", message)


def error(message: str) -> None:
    _emit("error", message)

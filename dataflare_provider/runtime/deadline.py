"""Wall-clock timeouts and interruption for running guest code, through epoch interruption.

The engine's ticker advances the epoch every few milliseconds. Each store keeps a deadline of one
tick, and wasmtime calls :func:`_on_epoch_deadline` on the thread running the guest whenever it is
reached. The callback compares the wall clock with the :class:`Watch` of that store: past the
call's deadline, or after :meth:`Watch.interrupt`, it makes the guest trap; otherwise it lets the
guest run one more tick. This gives per-store timeouts and a per-store kill switch (``on_kill``) on
a shared engine, for the price of one Python callback every tick while guest code runs.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import threading
import time

import wasmtime
from wasmtime import _ffi as ffi

TIMED_OUT = "timeout"
INTERRUPTED = "interrupted"


class Watch:
    """The deadline and kill switch of one store."""

    __slots__ = ("__weakref__", "deadline", "interrupted", "limit_s", "reason", "started")

    def __init__(self) -> None:
        self.deadline = math.inf
        self.started = 0.0
        self.limit_s = math.inf
        self.interrupted = False
        self.reason: str | None = None

    def arm(self, seconds: float | None) -> None:
        """Start timing one guest call that may run ``seconds`` (``None``: no limit)."""
        self.reason = None
        self.started = time.monotonic()
        self.limit_s = math.inf if seconds is None else seconds
        self.deadline = self.started + self.limit_s

    def disarm(self) -> None:
        self.deadline = math.inf

    def interrupt(self) -> None:
        """Make the running (or next) guest call trap; safe from any thread."""
        self.interrupted = True


_watches: dict[int, Watch] = {}
_ids = itertools.count(1)
_lock = threading.Lock()

_CALLBACK_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_size_t,
    ctypes.POINTER(ffi.wasmtime_context_t),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t),
)
_FINALIZER_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _error(message: str) -> int:
    err = ffi.wasmtime_error_new(message.encode())
    return ctypes.cast(err, ctypes.c_void_p).value or 0


@_CALLBACK_TYPE
def _on_epoch_deadline(_ctx, data, delta, kind):  # type: ignore[no-untyped-def]
    watch = _watches.get(data or 0)
    if watch is not None:
        if watch.interrupted:
            watch.reason = INTERRUPTED
            return _error("dataflare: interrupted")
        if time.monotonic() > watch.deadline:
            watch.reason = TIMED_OUT
            return _error("dataflare: wall-clock timeout")
    delta[0] = 1
    kind[0] = 0  # WASMTIME_UPDATE_DEADLINE_CONTINUE
    return 0


@_FINALIZER_TYPE
def _finalize(data):  # type: ignore[no-untyped-def]
    with _lock:
        _watches.pop(data or 0, None)


def watch_store(store: wasmtime.Store) -> Watch:
    """Install the deadline callback on ``store`` and return its :class:`Watch`."""
    watch = Watch()
    with _lock:
        key = next(_ids)
        _watches[key] = watch
    ffi.wasmtime_store_epoch_deadline_callback(
        store.ptr(), _on_epoch_deadline, ctypes.c_void_p(key), _finalize
    )
    store.set_epoch_deadline(1)
    return watch

"""Calling a component function with pre-built ``wasmtime_component_val_t`` arguments.

This is ``wasmtime.component.Func.__call__`` without the per-element Python conversion: the
caller lowers the arguments (see :mod:`.lowering`) and lifts the result. The ctypes call releases
the GIL while the guest runs.
"""

from __future__ import annotations

import ctypes
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime.component import Func
from wasmtime.component._enter import maybe_raise_last_exn


def call_raw(func: Func, store: wasmtime.Store, args: list[Any], *, has_result: bool) -> Any:
    """Call ``func`` with lowered ``args``; return the result ``val_t`` (caller frees) or None.

    Raises :class:`wasmtime.WasmtimeError` (or the Python exception a host import raised) on
    failure; ``post_return`` is run either way so the instance stays callable.
    """
    argv = (ffi.wasmtime_component_val_t * max(len(args), 1))()
    for i, a in enumerate(args):
        ctypes.memmove(ctypes.byref(argv, i * ctypes.sizeof(a)), ctypes.byref(a), ctypes.sizeof(a))
    result = ffi.wasmtime_component_val_t() if has_result else None
    err = ffi.wasmtime_component_func_call(
        ctypes.byref(func._func),
        store._context(),
        argv,
        len(args),
        ctypes.byref(result) if result is not None else None,
        1 if has_result else 0,
    )
    if err:
        error = wasmtime.WasmtimeError._from_ptr(err)
        maybe_raise_last_exn()
        raise error
    post = ffi.wasmtime_component_func_post_return(ctypes.byref(func._func), store._context())
    if post:
        raise wasmtime.WasmtimeError._from_ptr(post)
    return result

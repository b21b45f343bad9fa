"""Calling guest functions without ``wasmtime.Func.__call__``.

``Func.__call__`` re-reads the function type and converts every argument through ``Val`` (~27 us
per call). On the hot path we call ``wasmtime_func_call_unchecked`` with a preallocated
``wasmtime_val_raw_t`` array instead (~1 us). That is only safe when the signature is known, so a
:class:`RawFunc` is built from an export whose type was checked at load
(:mod:`dataflare_provider.runtime.sandbox`), and takes exactly that many integer arguments.

ctypes releases the GIL for the duration of the call, so instances on different threads run in
parallel.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._extern import wrap_extern

_call_unchecked = ffi.dll["wasmtime_func_call_unchecked"]  # a private function object
_call_unchecked.restype = ctypes.c_void_p
_call_unchecked.argtypes = [
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_void_p,
]


@dataclass
class GuestFault:
    """What went wrong in a guest call: a trap (with its code) or a host-side error."""

    message: str
    trap_code: wasmtime.TrapCode | None = None


class GuestCallFailed(Exception):
    """Raised by :class:`RawFunc` when the call trapped or errored; carries a :class:`GuestFault`."""

    def __init__(self, fault: GuestFault) -> None:
        super().__init__(fault.message)
        self.fault = fault


def _fault_from_error(err: int) -> GuestFault:
    error = wasmtime.WasmtimeError._from_ptr(ctypes.cast(err, ctypes.POINTER(ffi.wasmtime_error_t)))
    return GuestFault(str(error))


def _fault_from_trap(trap: ctypes._Pointer) -> GuestFault:  # type: ignore[type-arg]
    trap_obj = wasmtime.Trap._from_ptr(trap)
    try:
        code = trap_obj.trap_code
    except Exception:
        code = None
    return GuestFault(trap_obj.message, code)


def lookup_export(store: wasmtime.Store, instance: wasmtime.Instance, name: str) -> Any:
    """One export by name (``Instance.exports()`` lists them all: quadratic in their number)."""
    item = ffi.wasmtime_extern_t()
    raw = name.encode()
    found = ffi.wasmtime_instance_export_get(
        store._context(), ctypes.byref(instance._instance), raw, len(raw), ctypes.byref(item)
    )
    return wrap_extern(item) if found else None


class RawFunc:
    """A guest export called through the raw unchecked API with i32 arguments.

    Results: the first i32 result (or ``None`` for functions without results).
    """

    __slots__ = (
        "_args", "_ctx", "_fn", "_func", "_has_result", "_n", "_store", "_trap", "_trap_ref", "name",
    )  # fmt: skip

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func, name: str) -> None:
        ty = func.type(store)
        self.name = name
        self._store = store  # the raw context pointer below is only valid while the store lives
        self._func = func
        self._n = max(len(ty.params), len(ty.results), 1)
        self._has_result = bool(ty.results)
        self._args = (ffi.wasmtime_val_raw_t * self._n)()
        self._ctx = ctypes.cast(store._context(), ctypes.c_void_p).value
        self._fn = ctypes.addressof(func._func)
        self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
        self._trap_ref = ctypes.addressof(self._trap)

    def __call__(self, *args: int) -> int | None:
        a = self._args
        i = 0
        for v in args:
            a[i].i32 = v
            i += 1  # noqa: SIM113 (no enumerate object on the hot path)
        err = _call_unchecked(self._ctx, self._fn, a, self._n, self._trap_ref)
        if err:
            self._raise(_fault_from_error(err))
        if self._trap:
            trap = self._trap
            self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
            self._trap_ref = ctypes.addressof(self._trap)
            self._raise(_fault_from_trap(trap))
        return a[0].i32 if self._has_result else None

    def _raise(self, fault: GuestFault) -> None:
        from wasmtime._func import maybe_raise_last_exn

        maybe_raise_last_exn()  # an exception raised inside a host function wins
        raise GuestCallFailed(fault)

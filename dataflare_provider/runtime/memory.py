"""A bounds-checked view of one instance's linear memory.

Linear memory can move when it grows, so :meth:`GuestMemory.refresh` must run after every call that
may allocate (any guest call). The view is rebuilt only when the base or size changed. Nothing here
hands out a view that outlives the next guest call: callers copy what they need.
"""

from __future__ import annotations

import ctypes

import wasmtime
from wasmtime import _ffi as ffi

from dataflare_provider.errors import PluginABIError

# These two calls are a few nanoseconds of work: made through PyDLL they keep the GIL, instead of
# giving it up and queueing for it again after every guest call (which, with several worker
# threads, costs far more than the call itself).
_nogil_release = ctypes.PyDLL(str(ffi.filename), handle=ffi.dll._handle)
_memory_data = _nogil_release["wasmtime_memory_data"]
_memory_data.restype = ctypes.c_void_p
_memory_data.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_memory_size = _nogil_release["wasmtime_memory_data_size"]
_memory_size.restype = ctypes.c_size_t
_memory_size.argtypes = [ctypes.c_void_p, ctypes.c_void_p]


class GuestMemory:
    """Base address, size and a writable ``memoryview`` of an exported memory."""

    __slots__ = ("_ctx", "_memory", "_ref", "_store", "base", "high_water", "size", "view")

    def __init__(self, store: wasmtime.Store, memory: wasmtime.Memory) -> None:
        self._store = store  # keeps the context pointer below valid
        self._memory = memory
        self._ctx = ctypes.cast(store._context(), ctypes.c_void_p).value
        self._ref = ctypes.addressof(memory._memory)
        self.base = 0
        self.size = 0
        self.high_water = 0
        self.view = memoryview(b"")
        self.refresh()

    def refresh(self) -> None:
        """Re-read the size after a guest call; the base too when it grew (it may have moved)."""
        size = _memory_size(self._ctx, self._ref)
        if size != self.size:
            base = _memory_data(self._ctx, self._ref) or 0
            self.base = base
            self.size = size
            self.high_water = max(self.high_water, size)
            if size:
                self.view = memoryview((ctypes.c_ubyte * size).from_address(base)).cast("B")
            else:
                self.view = memoryview(bytearray())

    def check(self, addr: int, length: int, what: str, *, nullable: bool = False) -> None:
        """Raise :class:`PluginABIError` unless ``[addr, addr + length)`` lies in memory.

        Address 0 is valid wasm memory but a null pointer in C: refused unless ``nullable``.
        """
        if addr == 0 and not nullable and length:
            raise PluginABIError(f"{what}: null pointer")
        if addr < 0 or length < 0 or addr + length > self.size:
            raise PluginABIError(
                f"{what}: [{addr:#x}, +{length}) is outside linear memory ({self.size:#x} bytes)"
            )

    def read(self, addr: int, length: int, what: str) -> bytes:
        """Copy ``length`` bytes out of guest memory."""
        self.check(addr, length, what)
        return bytes(self.view[addr : addr + length])

    def cstring(self, addr: int, what: str, limit: int = 4096) -> bytes:
        """Read a NUL-terminated string of at most ``limit`` bytes."""
        if addr == 0:
            raise PluginABIError(f"{what}: null pointer")
        self.check(addr, 1, what)
        end = min(addr + limit + 1, self.size)
        chunk = self.view[addr:end]
        n = bytes(chunk).find(b"\0")
        if n < 0:
            raise PluginABIError(f"{what}: not NUL-terminated within {limit} bytes at {addr:#x}")
        return bytes(chunk[:n])

    def write(self, addr: int, data: bytes) -> None:
        self.check(addr, len(data), "host write")
        self.view[addr : addr + len(data)] = data

    def copy_in(self, addr: int, src_address: int, length: int) -> None:
        """memmove ``length`` bytes from host address ``src_address`` into guest ``addr``."""
        if length:
            ctypes.memmove(self.base + addr, src_address, length)

"""Bulk lowering and lifting of ``list<data-record>`` through the wasmtime C API.

wasmtime-py's ``Func.__call__`` converts every list element to a ``wasmtime_component_val_t`` one
Python call at a time (~0.3 MB/s for ``list<u8>``). Here the whole value tree of a batch is laid
out with numpy instead:

* **Lowering** (host -> guest): ``wasmtime_component_func_call`` only *borrows* its arguments (it
  reads them into wasmtime ``Val``s before the call), so the tree lives in numpy arrays the host
  owns: one ``val_t`` row (32 bytes: kind byte, 8-byte-aligned union) per record, per payload
  byte and per metadata pair, plus record entries (48 bytes: ``wasm_name_t`` name + ``val_t``).
  Every field is filled by a vectorised numpy assignment; strings point into the Arrow-style
  buffers of :class:`~.columns.RecordColumns`. Nothing is freed by wasmtime.
* **Lifting** (guest -> host): the result tree is allocated by wasmtime. It is read by *gathers*:
  a numpy ``uint8`` view over the address range spanned by the pointers to follow, indexed only at
  those pointers (fancy indexing reads nothing else), then freed with
  ``wasmtime_component_val_delete``.

Layouts (x86-64/aarch64 C ABI, checked against ``ctypes.sizeof`` at import)::

    val_t          32 B: u8 kind | pad 7 | union (24 B)
      string/list:  union = {size_t size, T* data}
      record:       union = {size_t size, entry* data}
      variant:      union = {wasm_name_t discriminant, val_t* payload}
    record entry   48 B: wasm_name_t name (16 B) | val_t (32 B)
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numpy as np
from wasmtime import _ffi as ffi

from dataflare_provider.runtime.component.columns import (
    I64,
    U8,
    U64,
    RecordColumns,
    VarBytes,
)

VAL_SIZE = 32
ENTRY_SIZE = 48
if (
    ctypes.sizeof(ffi.wasmtime_component_val_t) != VAL_SIZE
    or ctypes.sizeof(ffi.wasmtime_component_valrecord_entry_t) != ENTRY_SIZE
):  # pragma: no cover - a new wasmtime-py with another layout
    raise ImportError("unexpected wasmtime_component_val_t layout; fast lowering needs updating")

K_U8 = int(ffi.WASMTIME_COMPONENT_U8.value)
K_U64 = int(ffi.WASMTIME_COMPONENT_U64.value)
K_STRING = int(ffi.WASMTIME_COMPONENT_STRING.value)
K_LIST = int(ffi.WASMTIME_COMPONENT_LIST.value)
K_RECORD = int(ffi.WASMTIME_COMPONENT_RECORD.value)
K_TUPLE = int(ffi.WASMTIME_COMPONENT_TUPLE.value)
K_VARIANT = int(ffi.WASMTIME_COMPONENT_VARIANT.value)
K_OPTION = int(ffi.WASMTIME_COMPONENT_OPTION.value)
K_RESULT = int(ffi.WASMTIME_COMPONENT_RESULT.value)

RECORD_FIELDS = (b"id", b"timestamp", b"payload", b"metadata")
_NAMES = np.frombuffer(b"".join(RECORD_FIELDS), np.uint8).copy()
_NAME_OFFSETS = np.cumsum([0, *[len(f) for f in RECORD_FIELDS]])

# processing-result discriminants, told apart by their lengths
STATUS_SUCCESS, STATUS_ERROR, STATUS_SKIP = 0, 1, 2
_DISCRIMINANT_LEN = {7: STATUS_SUCCESS, 5: STATUS_ERROR, 4: STATUS_SKIP}


def _addr(a: np.ndarray) -> int:
    return int(a.ctypes.data)


class ByteValsScratch:
    """A reusable ``list<u8>`` element array, kinds pre-set to ``u8``.

    Writing only the value column of warm memory is ~5x cheaper than building (and page-faulting)
    a fresh 32-bytes-per-byte array for every call. One per instance (not thread-safe).
    """

    def __init__(self) -> None:
        self._rows = np.zeros((0, 4), np.uint64)

    def get(self, n: int) -> np.ndarray:
        if len(self._rows) < n:
            rows = np.zeros((max(n, 2 * len(self._rows), 1), 4), np.uint64)
            rows[:, 0] = K_U8
            self._rows = rows
        return self._rows


@dataclass
class LoweredRecords:
    """A ``list<data-record>`` value and the arrays it points into (keep it alive for the call)."""

    val: Any  # ffi.wasmtime_component_val_t
    keep: tuple[np.ndarray, ...]


def lower_records(cols: RecordColumns, scratch: ByteValsScratch | None = None) -> LoweredRecords:
    """Lay out ``cols`` as one ``list<data-record>`` value, with numpy, in host-owned memory.

    With ``scratch``, payload elements go into its reusable array (valid until the next call).
    """
    n = len(cols)
    total = cols.payload_bytes
    m = len(cols.meta_keys)

    ids = cols.ids.data if len(cols.ids.data) else np.zeros(1, np.uint8)
    keys = cols.meta_keys.data if len(cols.meta_keys.data) else np.zeros(1, np.uint8)
    values = cols.meta_values.data if len(cols.meta_values.data) else np.zeros(1, np.uint8)
    ids = np.ascontiguousarray(ids)

    recs = np.zeros((max(n, 1), 4), np.uint64)
    ents = np.zeros((max(n, 1), 4, 6), np.uint64)
    if scratch is not None:
        bytevals = scratch.get(max(total, 1))
    else:
        bytevals = np.empty((max(total, 1), 4), np.uint64)
        bytevals[:total, 0] = K_U8
    tuples = np.zeros((max(m, 1), 4), np.uint64)
    kvs = np.zeros((max(m, 1), 2, 4), np.uint64)
    u = np.uint64

    recs[:n, 0] = K_RECORD
    recs[:n, 1] = 4
    recs[:n, 2] = u(_addr(ents)) + np.arange(n, dtype=np.uint64) * u(4 * ENTRY_SIZE)

    names = _addr(_NAMES)
    for j in range(4):
        ents[:n, j, 0] = _NAME_OFFSETS[j + 1] - _NAME_OFFSETS[j]
        ents[:n, j, 1] = names + int(_NAME_OFFSETS[j])
    ents[:n, 0, 2] = K_STRING
    ents[:n, 0, 3] = cols.ids.lengths
    ents[:n, 0, 4] = u(_addr(ids)) + cols.ids.offsets[:-1].astype(np.uint64)
    ents[:n, 1, 2] = K_U64
    ents[:n, 1, 3] = cols.timestamps
    ents[:n, 2, 2] = K_LIST
    ents[:n, 2, 3] = cols.payloads.lengths
    ents[:n, 2, 4] = u(_addr(bytevals)) + cols.payloads.offsets[:-1].astype(np.uint64) * u(VAL_SIZE)
    ents[:n, 3, 2] = K_LIST
    ents[:n, 3, 3] = np.diff(cols.meta_offsets)
    ents[:n, 3, 4] = u(_addr(tuples)) + cols.meta_offsets[:-1].astype(np.uint64) * u(VAL_SIZE)

    bytevals[:total, 1] = cols.payloads.data[:total]

    if m:
        tuples[:m, 0] = K_TUPLE
        tuples[:m, 1] = 2
        tuples[:m, 2] = u(_addr(kvs)) + np.arange(m, dtype=np.uint64) * u(2 * VAL_SIZE)
        kvs[:m, 0, 0] = K_STRING
        kvs[:m, 0, 1] = cols.meta_keys.lengths
        kvs[:m, 0, 2] = u(_addr(keys)) + cols.meta_keys.offsets[:-1].astype(np.uint64)
        kvs[:m, 1, 0] = K_STRING
        kvs[:m, 1, 1] = cols.meta_values.lengths
        kvs[:m, 1, 2] = u(_addr(values)) + cols.meta_values.offsets[:-1].astype(np.uint64)

    val = ffi.wasmtime_component_val_t()
    val.kind = K_LIST
    val.of.list.size = n
    val.of.list.data = ctypes.cast(_addr(recs), ctypes.POINTER(ffi.wasmtime_component_val_t))
    return LoweredRecords(val, (recs, ents, bytevals, tuples, kvs, ids, keys, values, _NAMES))


# --- lifting -------------------------------------------------------------------------------------


class _RawMemory:
    """``__array_interface__`` for ``size`` bytes at ``address`` (read-only).

    Unlike ``(ctypes.c_uint8 * n).from_address(a)``, this creates no ctypes array type: ctypes
    caches one type per distinct length for the life of the process, which would grow with
    every call here.
    """

    __slots__ = ("__array_interface__",)

    def __init__(self, address: int, size: int) -> None:
        self.__array_interface__ = {
            "data": (address, True),
            "shape": (size,),
            "typestr": "|u1",
            "version": 3,
        }


def _view(lo: int, hi: int) -> U8:
    """A uint8 view of process memory ``[lo, hi)``; only indexed bytes are ever read."""
    view: U8 = np.asarray(_RawMemory(lo, max(hi - lo, 1)))
    return view


def read_u64(addrs: np.ndarray) -> U64:
    """The little-endian u64 at each address."""
    if len(addrs) == 0:
        return np.zeros(0, np.uint64)
    addrs = addrs.astype(np.int64)
    lo = int(addrs.min())
    mem = _view(lo, int(addrs.max()) + 8)
    idx = (addrs - lo)[:, None] + np.arange(8, dtype=np.int64)
    return np.ascontiguousarray(mem[idx]).view(np.uint64).ravel()


_PER_RUN_MIN = 256  # mean run length above which read_var copies run by run


def read_var(ptrs: np.ndarray, lengths: np.ndarray, stride: int = 1, at: int = 0) -> VarBytes:
    """Gather ``lengths[i]`` elements from ``ptrs[i]``: byte ``at`` of each ``stride``-byte element.

    ``stride=1`` reads strings; ``stride=32, at=8`` reads the ``u8`` values of a ``list<u8>``.
    """
    lengths = lengths.astype(np.int64)
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    if total == 0:
        return VarBytes(offsets, np.zeros(0, np.uint8))
    ptrs = ptrs.astype(np.int64)
    if total >= _PER_RUN_MIN * len(lengths):
        # long runs: one strided copy per run beats building a per-byte index
        out = np.empty(total, np.uint8)
        for i in np.flatnonzero(lengths).tolist():
            n = int(lengths[i])
            run = _view(int(ptrs[i]), int(ptrs[i]) + n * stride)
            out[offsets[i] : offsets[i + 1]] = run[at::stride][:n]
        return VarBytes(offsets, out)
    nz = lengths > 0
    lo = int(ptrs[nz].min())
    hi = int((ptrs[nz] + lengths[nz] * stride).max())
    mem = _view(lo, hi)
    within = np.arange(total, dtype=np.int64) - np.repeat(offsets[:-1], lengths)
    idx = np.repeat(ptrs - lo, lengths) + within * stride + at
    return VarBytes(offsets, mem[idx])


def lift_record_ptrs(ptrs: np.ndarray) -> RecordColumns:
    """Read the ``data-record`` values at addresses ``ptrs`` (each a 32-byte ``val_t``)."""
    n = len(ptrs)
    if n == 0:
        empty = VarBytes(np.zeros(1, np.int64), np.zeros(0, np.uint8))
        return RecordColumns(empty, np.zeros(0, np.uint64), empty, np.zeros(1, np.int64), empty,
                             empty)  # fmt: skip
    ptrs = ptrs.astype(np.int64)
    kinds = read_u64(ptrs) & np.uint64(0xFF)
    sizes = read_u64(ptrs + 8)
    if (kinds != K_RECORD).any() or (sizes != 4).any():
        raise ValueError("result is not a data-record")
    ents = read_u64(ptrs + 16).astype(np.int64)
    # entry j's val_t starts at ent + 48 j + 16; its union at +24
    id_len = read_u64(ents + 24)
    id_ptr = read_u64(ents + 32)
    ts = read_u64(ents + ENTRY_SIZE + 24)
    pay_len = read_u64(ents + 2 * ENTRY_SIZE + 24)
    pay_ptr = read_u64(ents + 2 * ENTRY_SIZE + 32)
    meta_len = read_u64(ents + 3 * ENTRY_SIZE + 24).astype(np.int64)
    meta_ptr = read_u64(ents + 3 * ENTRY_SIZE + 32).astype(np.int64)

    ids = read_var(id_ptr, id_len)
    payloads = read_var(pay_ptr, pay_len, VAL_SIZE, 8)

    meta_offsets = np.zeros(n + 1, np.int64)
    np.cumsum(meta_len, out=meta_offsets[1:])
    m = int(meta_offsets[-1])
    if m:
        within = np.arange(m, dtype=np.int64) - np.repeat(meta_offsets[:-1], meta_len)
        tup = np.repeat(meta_ptr, meta_len) + within * VAL_SIZE  # tuple val_t addresses
        kv = read_u64(tup + 16).astype(np.int64)  # -> 2 string val_t
        keys = read_var(read_u64(kv + 16), read_u64(kv + 8))
        values = read_var(read_u64(kv + VAL_SIZE + 16), read_u64(kv + VAL_SIZE + 8))
    else:
        keys = values = VarBytes(np.zeros(1, np.int64), np.zeros(0, np.uint8))
    return RecordColumns(ids, ts, payloads, meta_offsets, keys, values)


def list_elements(val: Any) -> I64:
    """Addresses of the elements of a lifted ``list<...>`` value."""
    if val.kind != K_LIST:
        raise ValueError(f"expected a list value, got kind {val.kind}")
    n = int(val.of.list.size)
    base = ctypes.cast(val.of.list.data, ctypes.c_void_p).value or 0
    return base + np.arange(n, dtype=np.int64) * VAL_SIZE


@dataclass(frozen=True)
class LiftedResults:
    """A lifted ``list<processing-result>``."""

    status: U8  # STATUS_* per input record
    records: RecordColumns  # the success records, in order
    errors: list[str]  # the error messages, in order


def lift_results(val: Any) -> LiftedResults:
    """Read a ``list<processing-result>`` result value (the caller frees it)."""
    elems = list_elements(val)
    n = len(elems)
    if n == 0:
        return LiftedResults(np.zeros(0, np.uint8), lift_record_ptrs(elems), [])
    kinds = read_u64(elems) & np.uint64(0xFF)
    if (kinds != K_VARIANT).any():
        raise ValueError("result is not a list of processing-result")
    dlen = read_u64(elems + 8)
    payload = read_u64(elems + 24).astype(np.int64)
    status = np.full(n, 255, np.uint8)
    for length, code in _DISCRIMINANT_LEN.items():
        status[dlen == length] = code
    if (status == 255).any():
        raise ValueError("unknown processing-result case")
    records = lift_record_ptrs(payload[status == STATUS_SUCCESS])
    err_ptrs = payload[status == STATUS_ERROR]
    errors = read_var(read_u64(err_ptrs + 16), read_u64(err_ptrs + 8))
    return LiftedResults(status, records, [b.decode("utf-8", "replace") for b in errors.to_list()])


def delete_val(val: Any) -> None:
    """Free a value wasmtime allocated (a call's result)."""
    ffi.wasmtime_component_val_delete(ctypes.byref(val))


def var_from_bytes(data: bytes) -> VarBytes:
    """One byte string as :class:`VarBytes`."""
    return VarBytes(np.array([0, len(data)], np.int64), np.frombuffer(data, np.uint8).copy())


__all__ = [
    "STATUS_ERROR",
    "STATUS_SKIP",
    "STATUS_SUCCESS",
    "LiftedResults",
    "LoweredRecords",
    "delete_val",
    "lift_record_ptrs",
    "lift_results",
    "list_elements",
    "lower_records",
    "read_u64",
    "read_var",
]

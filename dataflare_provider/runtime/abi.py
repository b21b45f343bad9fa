"""Record batches in and out of guest memory as wasm32 Arrow C Data Interface structs.

:class:`BatchMarshal` owns one host-allocated *region* in the guest (obtained with
``dataflare_alloc``, grown on demand) laid out as::

    [out schema 48][out array 64][error slot 8][in schema 48][in array 64]
    [child schema ptrs][child array ptrs][top buffers][child schemas][child arrays]
    [buffer ptr arrays][format and name strings] | [column buffers, 8-byte aligned ...]

Everything left of ``|`` depends only on the schema and is rewritten only when the schema or the
region changes; per batch the host writes the array structs and copies each buffer in with one
``memmove``. Output is read back with every pointer, length, offset and format checked against
linear memory, copied out with one ``memmove`` per buffer, and validated by Arrow. Output columns
that point at the very input buffers are recognised and replaced by the original host arrays
(zero copy out).
"""

from __future__ import annotations

import ctypes
import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from dataflare_provider.errors import PluginABIError
from dataflare_provider.runtime.arrow_types import Layout, TypeSpec, check_schema, spec_for_format
from dataflare_provider.runtime.memory import GuestMemory

SCHEMA_SIZE = 48
ARRAY_SIZE = 64
OUT_SCHEMA = 0
OUT_ARRAY = OUT_SCHEMA + SCHEMA_SIZE
ERROR_SLOT = OUT_ARRAY + ARRAY_SIZE
IN_SCHEMA = ERROR_SLOT + 8
IN_ARRAY = IN_SCHEMA + SCHEMA_SIZE
HEADER_END = IN_ARRAY + ARRAY_SIZE

FLAG_NULLABLE = 2
MAX_COLUMNS = 4096
MAX_LENGTH = 1 << 31
SMALL_COPY = 16 * 1024  # below this, bytes() beats allocate_buffer + memmove per call

_SCHEMA = struct.Struct(
    "<III4xqqIIII"
)  # format name metadata flags n_children children dict release private
_ARRAY = struct.Struct(
    "<qqqqqIIIII4x"
)  # length nulls offset n_buffers n_children buffers children ...
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")
_ZERO_OUT = bytes(ERROR_SLOT + 8)


@functools.cache
def _u32s(n: int) -> struct.Struct:
    return struct.Struct(f"<{n}I")


def _column_error(name: str, spec: TypeSpec, problem: str) -> PluginABIError:
    return PluginABIError(f"output column '{name}' ({spec.arrow}): {problem}")


def _align8(n: int) -> int:
    return (n + 7) & ~7


@dataclass
class _SchemaLayout:
    """Where the schema-dependent structs of one input schema live, relative to the region."""

    schema: pa.Schema
    specs: list[TypeSpec]
    child_schema_ptrs: int
    child_array_ptrs: int
    top_buffers: int
    child_schemas: int
    child_arrays: int
    buffer_ptrs: list[int]
    strings: list[tuple[int, bytes, int, bytes]]  # (format off, format, name off, name)
    data_start: int

    @classmethod
    def plan(cls, schema: pa.Schema) -> _SchemaLayout:
        specs = check_schema(schema)
        n = len(specs)
        off = HEADER_END
        child_schema_ptrs = off
        off = _align8(off + 4 * n)
        child_array_ptrs = off
        off = _align8(off + 4 * n)
        top_buffers = off
        off += 8
        child_schemas = off
        off += SCHEMA_SIZE * n
        child_arrays = off
        off += ARRAY_SIZE * n
        buffer_ptrs = []
        for spec in specs:
            buffer_ptrs.append(off)
            off = _align8(off + 4 * spec.n_buffers)
        strings = []
        for field, spec in zip(schema, specs, strict=True):
            fmt = spec.fmt + b"\0"
            name = field.name.encode() + b"\0"
            strings.append((off, fmt, off + len(fmt), name))
            off += len(fmt) + len(name)
        return cls(
            schema, specs, child_schema_ptrs, child_array_ptrs, top_buffers, child_schemas,
            child_arrays, buffer_ptrs, strings, _align8(off),
        )  # fmt: skip


# One buffer to copy into the guest: (host address or 0 for absent, bytes, offset rebase, width).
_Copy = tuple[int, int, int, int]


class BatchMarshal:
    """Moves batches between the host and one guest instance."""

    def __init__(
        self,
        memory: GuestMemory,
        alloc: Callable[[int, int], int],
        free: Callable[[int, int, int], None],
    ) -> None:
        self.mem = memory
        self._alloc = alloc
        self._free = free
        self.region = 0
        self.capacity = 0
        self._layout: _SchemaLayout | None = None
        self._header_written = False
        self._origins: dict[tuple[int, ...], pa.Array] = {}
        self._strings: dict[int, bytes] = {}
        self._shapes: dict[bytes, tuple[str, TypeSpec, int, bytes, int, bytes]] = {}

    # -- region -------------------------------------------------------------------------------

    def reserve(self, size: int) -> int:
        """Make the region at least ``size`` bytes; returns its guest address."""
        if size <= self.capacity:
            return self.region
        new_capacity = max(size, 2 * self.capacity, 4096)
        if self.region:
            self._free(self.region, self.capacity, 8)
            self.region = self.capacity = 0
        addr = self._alloc(new_capacity, 8) & 0xFFFFFFFF
        self.mem.refresh()
        if addr == 0 or addr % 8:
            from dataflare_provider.errors import PluginError

            raise PluginError(
                f"dataflare_alloc({new_capacity}, 8) returned {addr:#x}: out of guest memory"
                if addr == 0
                else f"dataflare_alloc returned a misaligned address {addr:#x}"
            )
        self.mem.check(addr, new_capacity, "dataflare_alloc result")
        self.region, self.capacity = addr, new_capacity
        self._header_written = False
        return addr

    @property
    def out_schema(self) -> int:
        return self.region + OUT_SCHEMA

    @property
    def out_array(self) -> int:
        return self.region + OUT_ARRAY

    @property
    def error_slot(self) -> int:
        return self.region + ERROR_SLOT

    def clear_output(self) -> None:
        """Zero the output structs and error slot before a call."""
        self.reserve(HEADER_END)
        self.mem.view[self.region : self.region + len(_ZERO_OUT)] = _ZERO_OUT

    # -- input --------------------------------------------------------------------------------

    def write_batch(self, batch: pa.RecordBatch) -> tuple[int, int]:
        """Lay ``batch`` out in the guest; returns ``(in_schema, in_array)`` addresses."""
        layout = self._layout
        if layout is None or not (
            batch.schema is layout.schema or batch.schema.equals(layout.schema)
        ):
            layout = self._layout = _SchemaLayout.plan(batch.schema)
            self._header_written = False

        columns = batch.columns
        plans = [_plan_column(arr, spec) for arr, spec in zip(columns, layout.specs, strict=True)]
        total = layout.data_start
        for copies, _ in plans:
            for c in copies:
                total += (c[1] + 7) & ~7
        base = self.reserve(total)
        if not self._header_written:
            self._write_header(base, layout)

        mem = self.mem
        view = mem.view
        n = batch.num_rows
        dst = base + layout.data_start
        origins: dict[tuple[int, ...], pa.Array] = {}
        child_arrays = base + layout.child_arrays
        for i, (copies, offset) in enumerate(plans):
            ptrs = []
            for src, nbytes, rebase, width in copies:
                if src == 0:
                    ptrs.append(0)
                    continue
                if nbytes:
                    ctypes.memmove(mem.base + dst, src, nbytes)
                if rebase:
                    _rebase_offsets(mem, dst, nbytes // width, width, rebase)
                ptrs.append(dst)
                dst += (nbytes + 7) & ~7
            bp = base + layout.buffer_ptrs[i]
            spec = layout.specs[i]
            if ptrs:
                _u32s(len(ptrs)).pack_into(view, bp, *ptrs)
            arr = columns[i]
            _ARRAY.pack_into(
                view, child_arrays + ARRAY_SIZE * i,
                n, arr.null_count, offset, spec.n_buffers, 0, bp, 0, 0, 0, 0,
            )  # fmt: skip
            origins[(*ptrs, offset, n)] = arr
        _ARRAY.pack_into(
            view, base + IN_ARRAY,
            n, 0, 0, 1, len(plans), base + layout.top_buffers, base + layout.child_array_ptrs,
            0, 0, 0,
        )  # fmt: skip
        self._origins = origins
        return base + IN_SCHEMA, base + IN_ARRAY

    def _write_header(self, base: int, layout: _SchemaLayout) -> None:
        view = self.mem.view
        n = len(layout.specs)
        for i, (fmt_off, fmt, name_off, name) in enumerate(layout.strings):
            view[base + fmt_off : base + fmt_off + len(fmt)] = fmt
            view[base + name_off : base + name_off + len(name)] = name
            schema_addr = base + layout.child_schemas + SCHEMA_SIZE * i
            _SCHEMA.pack_into(
                view, schema_addr, base + fmt_off, base + name_off, 0, FLAG_NULLABLE, 0, 0, 0, 0, 0
            )
            _U32.pack_into(view, base + layout.child_schema_ptrs + 4 * i, schema_addr)
            _U32.pack_into(
                view, base + layout.child_array_ptrs + 4 * i, base + layout.child_arrays + 64 * i
            )
        _U32.pack_into(view, base + layout.top_buffers, 0)
        top_fmt = base + layout.top_buffers + 4  # "+s\0" fits in the 4 spare bytes
        view[top_fmt : top_fmt + 3] = b"+s\0"
        _SCHEMA.pack_into(
            view, base + IN_SCHEMA, top_fmt, 0, 0, 0, n, base + layout.child_schema_ptrs, 0, 0, 0
        )
        self._header_written = True

    # -- output -------------------------------------------------------------------------------

    def read_batch(self, schema_addr: int, array_addr: int) -> pa.RecordBatch:
        """Validate and copy out the batch the guest described at the two addresses."""
        mem = self.mem
        view = mem.view
        mem.check(schema_addr, SCHEMA_SIZE, "output schema struct")
        mem.check(array_addr, ARRAY_SIZE, "output array struct")
        fmt_p, _name, _meta, _flags, n_cols, children_p, _d, _r, _p = _SCHEMA.unpack_from(
            view, schema_addr
        )
        fmt = self._string(fmt_p, "output schema format", 16)
        if fmt != b"+s":
            raise PluginABIError(f"output schema format is {fmt!r}, expected b'+s' (a struct)")
        if not 0 <= n_cols <= MAX_COLUMNS:
            raise PluginABIError(f"output schema n_children is {n_cols}")
        length, _nulls, offset, _nb, n_arr_children, _bufs, arr_children_p, *_ = _ARRAY.unpack_from(
            view, array_addr
        )
        if not 0 <= length < MAX_LENGTH:
            raise PluginABIError(f"output array length is {length}")
        if offset != 0:
            raise PluginABIError(f"output struct array offset is {offset}, expected 0")
        if n_arr_children != n_cols:
            raise PluginABIError(
                f"output array has {n_arr_children} children but its schema has {n_cols}"
            )
        mem.check(children_p, 4 * n_cols, "output schema children")
        mem.check(arr_children_p, 4 * n_cols, "output array children")
        ptr_struct = _u32s(n_cols)
        schemas = ptr_struct.unpack_from(view, children_p)
        arrays_p = ptr_struct.unpack_from(view, arr_children_p)
        names: list[str] = []
        arrays: list[pa.Array] = []
        for i in range(n_cols):
            name, arr = self._read_column(i, schemas[i], arrays_p[i], length)
            names.append(name)
            arrays.append(arr)
        return pa.RecordBatch.from_arrays(arrays, names=names)

    def _string(self, addr: int, what: str, limit: int = 4096) -> bytes:
        """A NUL-terminated guest string, re-checked against the last one seen at ``addr``."""
        known = self._strings.get(addr)
        if known is not None:
            end = addr + len(known) + 1
            if end <= self.mem.size and self.mem.view[addr:end] == known + b"\0":
                return known
        value = self.mem.cstring(addr, what, limit)
        if len(self._strings) > 4096:
            self._strings.clear()
        self._strings[addr] = value
        return value

    def _column_shape(self, i: int, schema_addr: int) -> tuple[str, TypeSpec]:
        """Name and type of an output column's schema struct.

        Guests usually describe the same columns at the same addresses batch after batch, so the
        parsed result is cached by the struct's bytes; the name and format strings it points at
        are still compared byte for byte on every call (the guest may have rewritten them).
        """
        mem = self.mem
        view = mem.view
        if not 0 < schema_addr <= mem.size - SCHEMA_SIZE:
            mem.check(schema_addr, SCHEMA_SIZE, f"output column #{i} schema struct")
        raw = view[schema_addr : schema_addr + SCHEMA_SIZE].tobytes()
        shape = self._shapes.get(raw)
        if shape is not None:
            name, spec, fmt_p, fmt0, name_p, name0 = shape
            if (
                view[fmt_p : fmt_p + len(fmt0)].tobytes() == fmt0
                and view[name_p : name_p + len(name0)].tobytes() == name0
            ):
                return name, spec
        fmt_p, name_p, _m, _f, n_children, _c, dict_p, _r, _p = _SCHEMA.unpack_from(raw)
        raw_name = self._string(name_p, f"output column #{i} name") if name_p else b""
        try:
            name = raw_name.decode()
        except UnicodeDecodeError:
            raise PluginABIError(f"output column #{i} name is not valid UTF-8") from None
        fmt = self._string(fmt_p, f"output column #{i} format", 64)
        found = spec_for_format(fmt)
        if found is None:
            raise PluginABIError(
                f"output column '{name}': unsupported or malformed format string {fmt!r}"
            )
        if n_children != 0 or dict_p != 0:
            raise _column_error(name, found, "children/dictionary are not allowed for this type")
        if name_p:
            if len(self._shapes) > 4096:
                self._shapes.clear()
            self._shapes[raw] = (name, found, fmt_p, fmt + b"\0", name_p, raw_name + b"\0")
        return name, found

    def _read_column(
        self, i: int, schema_addr: int, array_addr: int, length: int
    ) -> tuple[str, pa.Array]:
        name, spec = self._column_shape(i, schema_addr)
        mem = self.mem
        view = mem.view
        size = mem.size
        if not 0 < array_addr <= size - ARRAY_SIZE:
            mem.check(array_addr, ARRAY_SIZE, f"output column '{name}' array struct")
        a_len, _nulls, a_off, n_buf, a_children, bufs_p, _c, a_dict, *_ = _ARRAY.unpack_from(
            view, array_addr
        )
        if a_len != length:
            raise _column_error(
                name, spec, f"length {a_len} differs from the batch length {length}"
            )
        if not 0 <= a_off < MAX_LENGTH:
            raise _column_error(name, spec, f"offset {a_off} is out of range")
        if n_buf != spec.n_buffers:
            raise _column_error(name, spec, f"n_buffers is {n_buf}, expected {spec.n_buffers}")
        if a_children != 0 or a_dict != 0:
            raise _column_error(name, spec, "array children/dictionary must be empty")
        if not n_buf:
            return name, pa.nulls(length)
        if not 0 < bufs_p <= size - 4 * n_buf:
            mem.check(bufs_p, 4 * n_buf, f"output column '{name}' buffers array")
        ptrs = _u32s(n_buf).unpack_from(view, bufs_p)

        origin = self._origins.get((*ptrs, a_off, a_len))
        if origin is not None and origin.type == spec.arrow:
            return name, origin  # pass-through: the host still has these bytes

        end = a_off + length
        layout = spec.layout
        buffers: list[pa.Buffer | None] = [
            self._copy(ptrs[0], (end + 7) // 8, name, spec, "validity") if ptrs[0] else None
        ]
        if layout is Layout.FIXED:
            buffers.append(self._copy(ptrs[1], end * spec.width, name, spec, "values"))
        elif layout is Layout.BOOL:
            buffers.append(self._copy(ptrs[1], (end + 7) // 8, name, spec, "values"))
        else:
            off_bytes = (end + 1) * spec.width
            offsets = self._copy(ptrs[1], off_bytes, name, spec, "offsets")
            (last,) = (_I32 if spec.width == 4 else _I64).unpack_from(
                offsets, off_bytes - spec.width
            )
            if last < 0:
                raise _column_error(name, spec, f"last offset is negative ({last})")
            buffers.append(offsets)
            buffers.append(self._copy(ptrs[2], last, name, spec, "data"))
        try:
            arr = pa.Array.from_buffers(spec.arrow, length, buffers, null_count=-1, offset=a_off)
            if layout is Layout.VAR:
                arr.validate(full=True)
            else:
                arr.validate()
        except (pa.ArrowInvalid, ValueError) as exc:
            raise _column_error(name, spec, f"invalid array: {exc}") from None
        return name, arr

    def _copy(self, addr: int, nbytes: int, name: str, spec: TypeSpec, what: str) -> pa.Buffer:
        """Copy a guest buffer out: small ones through ``bytes`` (cheapest per call), large ones
        by ``memmove`` into an Arrow allocation (64-byte aligned, and without the GIL)."""
        mem = self.mem
        if addr == 0 or addr + nbytes > mem.size:
            if addr == 0 and nbytes == 0:
                return _EMPTY_BUFFER
            where = f"output column '{name}' ({spec.arrow}): {what} buffer"
            mem.check(addr, nbytes, where)
        if nbytes <= SMALL_COPY:
            return pa.py_buffer(mem.view[addr : addr + nbytes].tobytes())
        buf = pa.allocate_buffer(nbytes)
        ctypes.memmove(buf.address, mem.base + addr, nbytes)
        return buf

    def read_error(self) -> str:
        """The message the guest wrote through ``dataflare_last_error`` into the error slot."""
        ptr, length = struct.unpack_from("<II", self.mem.view, self.error_slot)
        if ptr == 0 or length == 0:
            return "(no message)"
        length = min(length, 64 * 1024)
        try:
            data = self.mem.read(ptr, length, "error message")
        except PluginABIError as exc:
            return f"(unreadable error message: {exc})"
        return data.decode("utf-8", errors="replace")


_EMPTY = pa.py_buffer(bytes(16))
_EMPTY_BUFFER = pa.py_buffer(b"")  # stands in for buffers Arrow left out of empty arrays


def _address(buf: pa.Buffer | None, byte_offset: int = 0) -> int:
    address: int = (buf if buf is not None else _EMPTY).address
    return address + byte_offset if buf is not None else address


def _plan_column(arr: pa.Array, spec: TypeSpec) -> tuple[list[_Copy], int]:
    """Buffers to copy for one input column and the (0..7) offset it will have in the guest."""
    layout = spec.layout
    if layout is Layout.NULL:
        return [], 0
    n = len(arr)
    o = arr.offset
    r = o % 8
    start = o - r  # first element copied; a multiple of 8 so bitmaps stay byte aligned
    bufs = arr.buffers()
    validity = bufs[0]
    copies: list[_Copy] = [
        (validity.address + start // 8, (r + n + 7) // 8, 0, 0)
        if validity is not None and arr.null_count
        else (0, 0, 0, 0)
    ]
    w = spec.width
    if layout is Layout.FIXED:
        copies.append((_address(bufs[1], start * w), (r + n) * w, 0, 0))
    elif layout is Layout.BOOL:
        copies.append((_address(bufs[1], start // 8), (r + n + 7) // 8, 0, 0))
    else:
        offsets, data = bufs[1], bufs[2]
        if offsets is None or (n == 0 and offsets.size < (o + 1) * w):  # an empty array
            return [copies[0], (_EMPTY.address, w, 0, w), (_EMPTY.address, 0, 0, 0)], 0
        unpack = _I32 if w == 4 else _I64
        first = unpack.unpack_from(offsets, start * w)[0]
        last = unpack.unpack_from(offsets, (o + n) * w)[0]
        copies.append((offsets.address + start * w, (r + n + 1) * w, first, w))
        copies.append((_address(data, first), last - first, 0, 0))
    return copies, r


def _rebase_offsets(mem: GuestMemory, addr: int, count: int, width: int, delta: int) -> None:
    """Subtract ``delta`` from ``count`` offsets already copied to guest ``addr``."""
    dtype = pa.int32() if width == 4 else pa.int64()
    raw = pa.py_buffer(mem.view[addr : addr + count * width])
    shifted = pc.subtract(pa.Array.from_buffers(dtype, count, [None, raw]), pa.scalar(delta, dtype))
    mem.copy_in(addr, shifted.buffers()[1].address, count * width)

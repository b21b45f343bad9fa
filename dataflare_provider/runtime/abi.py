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


@dataclass
class _Copy:
    """One buffer to copy into the guest (``src`` 0 means absent)."""

    src: int
    nbytes: int
    rebase: int = 0  # subtract from every offset after copying (var-width slices)
    width: int = 0


@dataclass
class ColumnOrigin:
    """Where an input column was placed, to recognise pass-through output columns."""

    key: tuple[int, ...]
    array: pa.Array


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
        self._origins: dict[tuple[int, ...], ColumnOrigin] = {}

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

        plans = []
        total = layout.data_start
        for arr, spec in zip(batch.columns, layout.specs, strict=True):
            copies, offset = _plan_column(arr, spec)
            plans.append((arr, spec, copies, offset))
            for c in copies:
                total += _align8(c.nbytes)
        base = self.reserve(total)
        if not self._header_written:
            self._write_header(base, layout)

        view = self.mem.view
        n = batch.num_rows
        dst = base + layout.data_start
        origins: dict[tuple[int, ...], ColumnOrigin] = {}
        for i, (arr, spec, copies, offset) in enumerate(plans):
            ptrs = []
            for c in copies:
                if c.src == 0:
                    ptrs.append(0)
                    continue
                self.mem.copy_in(dst, c.src, c.nbytes)
                if c.rebase:
                    _rebase_offsets(self.mem, dst, c.nbytes // c.width, c.width, c.rebase)
                ptrs.append(dst)
                dst += _align8(c.nbytes)
            bp = base + layout.buffer_ptrs[i]
            if ptrs:
                struct.pack_into(f"<{len(ptrs)}I", view, bp, *ptrs)
            _ARRAY.pack_into(
                view, base + layout.child_arrays + ARRAY_SIZE * i,
                n, arr.null_count, offset, spec.n_buffers, 0, bp, 0, 0, 0, 0,
            )  # fmt: skip
            key = (*ptrs, offset, n)
            origins[key] = ColumnOrigin(key, arr)
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
        mem.check(schema_addr, SCHEMA_SIZE, "output schema struct")
        mem.check(array_addr, ARRAY_SIZE, "output array struct")
        fmt_p, _name, _meta, _flags, n_cols, children_p, _d, _r, _p = _SCHEMA.unpack_from(
            mem.view, schema_addr
        )
        fmt = mem.cstring(fmt_p, "output schema format", 16)
        if fmt != b"+s":
            raise PluginABIError(f"output schema format is {fmt!r}, expected b'+s' (a struct)")
        if not 0 <= n_cols <= MAX_COLUMNS:
            raise PluginABIError(f"output schema n_children is {n_cols}")
        length, _nulls, offset, _nb, n_arr_children, _bufs, arr_children_p, *_ = _ARRAY.unpack_from(
            mem.view, array_addr
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
        names: list[str] = []
        arrays: list[pa.Array] = []
        for i in range(n_cols):
            (cs,) = _U32.unpack_from(mem.view, children_p + 4 * i)
            (ca,) = _U32.unpack_from(mem.view, arr_children_p + 4 * i)
            name, arr = self._read_column(i, cs, ca, length)
            names.append(name)
            arrays.append(arr)
        return pa.RecordBatch.from_arrays(arrays, names=names)

    def _read_column(
        self, i: int, schema_addr: int, array_addr: int, length: int
    ) -> tuple[str, pa.Array]:
        mem = self.mem
        where = f"output column #{i}"
        mem.check(schema_addr, SCHEMA_SIZE, f"{where} schema struct")
        fmt_p, name_p, _m, _f, n_children, _c, dict_p, _r, _p = _SCHEMA.unpack_from(
            mem.view, schema_addr
        )
        try:
            name = mem.cstring(name_p, f"{where} name").decode() if name_p else ""
        except UnicodeDecodeError:
            raise PluginABIError(f"{where} name is not valid UTF-8") from None
        fmt = mem.cstring(fmt_p, f"{where} format", 64)
        spec = spec_for_format(fmt)
        where = f"output column '{name}'"
        if spec is None:
            raise PluginABIError(f"{where}: unsupported or malformed format string {fmt!r}")
        where = f"output column '{name}' ({spec.arrow})"
        if n_children != 0 or dict_p != 0:
            raise PluginABIError(f"{where}: children/dictionary are not allowed for this type")
        mem.check(array_addr, ARRAY_SIZE, f"{where} array struct")
        a_len, _nulls, a_off, n_buf, a_children, bufs_p, _c, a_dict, *_ = _ARRAY.unpack_from(
            mem.view, array_addr
        )
        if a_len != length:
            raise PluginABIError(f"{where}: length {a_len} differs from the batch length {length}")
        if not 0 <= a_off < MAX_LENGTH:
            raise PluginABIError(f"{where}: offset {a_off} is out of range")
        if n_buf != spec.n_buffers:
            raise PluginABIError(f"{where}: n_buffers is {n_buf}, expected {spec.n_buffers}")
        if a_children != 0 or a_dict != 0:
            raise PluginABIError(f"{where}: array children/dictionary must be empty")
        mem.check(bufs_p, 4 * n_buf, f"{where} buffers array")
        ptrs = struct.unpack_from(f"<{n_buf}I", mem.view, bufs_p) if n_buf else ()

        origin = self._origins.get((*ptrs, a_off, a_len))
        if origin is not None and origin.array.type == spec.arrow:
            return name, origin.array  # pass-through: the host still has these bytes

        if spec.layout is Layout.NULL:
            return name, pa.nulls(length)
        end = a_off + length
        buffers: list[pa.Buffer | None] = [self._copy(ptrs[0], (end + 7) // 8, where, "validity")]
        if spec.layout is Layout.BOOL:
            buffers.append(self._copy(ptrs[1], (end + 7) // 8, where, "values", required=True))
        elif spec.layout is Layout.FIXED:
            buffers.append(self._copy(ptrs[1], end * spec.width, where, "values", required=True))
        else:
            off_bytes = (end + 1) * spec.width
            buffers.append(self._copy(ptrs[1], off_bytes, where, "offsets", required=True))
            last_unpack = _I32 if spec.width == 4 else _I64
            last = 0
            if buffers[1] is not None:
                (last,) = last_unpack.unpack_from(buffers[1], off_bytes - spec.width)
            if last < 0:
                raise PluginABIError(f"{where}: last offset is negative ({last})")
            buffers.append(self._copy(ptrs[2], last, where, "data", required=True))
        try:
            arr = pa.Array.from_buffers(spec.arrow, length, buffers, null_count=-1, offset=a_off)
            if spec.layout is Layout.VAR:
                arr.validate(full=True)
            else:
                arr.validate()
        except (pa.ArrowInvalid, ValueError) as exc:
            raise PluginABIError(f"{where}: invalid array: {exc}") from None
        return name, arr

    def _copy(
        self, addr: int, nbytes: int, where: str, what: str, required: bool = False
    ) -> pa.Buffer | None:
        if addr == 0:
            if required and nbytes > 0:
                raise PluginABIError(f"{where}: {what} buffer is a null pointer")
            return None if not required else pa.allocate_buffer(0)
        self.mem.check(addr, nbytes, f"{where}: {what} buffer")
        buf = pa.allocate_buffer(nbytes)
        self.mem.copy_out(buf.address, addr, nbytes)
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


_EMPTY = pa.py_buffer(bytes(16))  # stands in for buffers Arrow left out of empty arrays


def _address(buf: pa.Buffer | None, byte_offset: int = 0) -> int:
    address: int = (buf if buf is not None else _EMPTY).address
    return address + byte_offset if buf is not None else address


def _plan_column(arr: pa.Array, spec: TypeSpec) -> tuple[list[_Copy], int]:
    """Buffers to copy for one input column and the (0..7) offset it will have in the guest."""
    if spec.layout is Layout.NULL:
        return [], 0
    n = len(arr)
    o = arr.offset
    r = o % 8
    start = o - r  # first element copied; a multiple of 8 so bitmaps stay byte aligned
    bufs = arr.buffers()
    validity = bufs[0]
    copies = [
        _Copy(validity.address + start // 8, (r + n + 7) // 8)
        if validity is not None and arr.null_count
        else _Copy(0, 0)
    ]
    if spec.layout is Layout.BOOL:
        copies.append(_Copy(_address(bufs[1], start // 8), (r + n + 7) // 8))
    elif spec.layout is Layout.FIXED:
        w = spec.width
        copies.append(_Copy(_address(bufs[1], start * w), (r + n) * w))
    else:
        w = spec.width
        offsets, data = bufs[1], bufs[2]
        if offsets is None or (n == 0 and offsets.size < (o + 1) * w):  # an empty array
            return [copies[0], _Copy(_EMPTY.address, w), _Copy(_EMPTY.address, 0)], 0
        unpack = _I32 if w == 4 else _I64
        first = unpack.unpack_from(offsets, start * w)[0]
        last = unpack.unpack_from(offsets, (o + n) * w)[0]
        copies.append(_Copy(offsets.address + start * w, (r + n + 1) * w, first, w))
        copies.append(_Copy(_address(data, first), last - first))
    return copies, r


def _rebase_offsets(mem: GuestMemory, addr: int, count: int, width: int, delta: int) -> None:
    """Subtract ``delta`` from ``count`` offsets already copied to guest ``addr``."""
    dtype = pa.int32() if width == 4 else pa.int64()
    raw = pa.py_buffer(mem.view[addr : addr + count * width])
    shifted = pc.subtract(pa.Array.from_buffers(dtype, count, [None, raw]), pa.scalar(delta, dtype))
    mem.copy_in(addr, shifted.buffers()[1].address, count * width)

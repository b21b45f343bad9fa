"""The Arrow types ``dataflare-abi 1`` carries, their C Data Interface formats and buffer layouts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import pyarrow as pa

from dataflare_provider.errors import UnsupportedTypeError


class Layout(IntEnum):
    """How a type's buffers are laid out."""

    NULL = 0  # no buffers
    BOOL = 1  # validity + bit-packed values
    FIXED = 2  # validity + values of `width` bytes
    VAR = 3  # validity + offsets of `width` bytes + data


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """One supported type: its format string, layout and value/offset width."""

    arrow: pa.DataType
    fmt: bytes
    layout: Layout
    width: int = 0

    @property
    def n_buffers(self) -> int:
        return {Layout.NULL: 0, Layout.BOOL: 2, Layout.FIXED: 2, Layout.VAR: 3}[self.layout]


_SIMPLE: list[TypeSpec] = [
    TypeSpec(pa.null(), b"n", Layout.NULL),
    TypeSpec(pa.bool_(), b"b", Layout.BOOL),
    TypeSpec(pa.int8(), b"c", Layout.FIXED, 1),
    TypeSpec(pa.uint8(), b"C", Layout.FIXED, 1),
    TypeSpec(pa.int16(), b"s", Layout.FIXED, 2),
    TypeSpec(pa.uint16(), b"S", Layout.FIXED, 2),
    TypeSpec(pa.int32(), b"i", Layout.FIXED, 4),
    TypeSpec(pa.uint32(), b"I", Layout.FIXED, 4),
    TypeSpec(pa.int64(), b"l", Layout.FIXED, 8),
    TypeSpec(pa.uint64(), b"L", Layout.FIXED, 8),
    TypeSpec(pa.float32(), b"f", Layout.FIXED, 4),
    TypeSpec(pa.float64(), b"g", Layout.FIXED, 8),
    TypeSpec(pa.date32(), b"tdD", Layout.FIXED, 4),
    TypeSpec(pa.utf8(), b"u", Layout.VAR, 4),
    TypeSpec(pa.binary(), b"z", Layout.VAR, 4),
    TypeSpec(pa.large_utf8(), b"U", Layout.VAR, 8),
    TypeSpec(pa.large_binary(), b"Z", Layout.VAR, 8),
]
_BY_TYPE: dict[pa.DataType, TypeSpec] = {s.arrow: s for s in _SIMPLE}
_BY_FORMAT: dict[bytes, TypeSpec] = {s.fmt: s for s in _SIMPLE}
_UNITS = {"s": b"s", "ms": b"m", "us": b"u", "ns": b"n"}
_UNIT_OF = {v: k for k, v in _UNITS.items()}

SUPPORTED_TYPES = (
    "null, bool, int8..int64, uint8..uint64, float32, float64, utf8, large_utf8, binary, "
    "large_binary, date32, timestamp[s|ms|us|ns, tz]"
)


def spec_for_type(dtype: pa.DataType, column: str = "?") -> TypeSpec:
    """The :class:`TypeSpec` of an Arrow type, or :class:`UnsupportedTypeError` naming the column."""
    spec = _BY_TYPE.get(dtype)
    if spec is not None:
        return spec
    if pa.types.is_timestamp(dtype):
        fmt = b"ts" + _UNITS[dtype.unit] + b":" + (dtype.tz or "").encode()
        spec = TypeSpec(dtype, fmt, Layout.FIXED, 8)
        _BY_TYPE[dtype] = spec
        return spec
    raise UnsupportedTypeError(
        f"column '{column}' has type {dtype}, which dataflare-abi 1 cannot carry "
        f"(supported: {SUPPORTED_TYPES})",
        column=column,
        type=str(dtype),
    )


def spec_for_format(fmt: bytes) -> TypeSpec | None:
    """The :class:`TypeSpec` of a C Data Interface format string, or ``None`` if unsupported."""
    spec = _BY_FORMAT.get(fmt)
    if spec is not None:
        return spec
    if len(fmt) >= 4 and fmt[:2] == b"ts" and fmt[3:4] == b":" and fmt[2:3] in _UNIT_OF:
        try:
            tz = fmt[4:].decode()
            dtype = pa.timestamp(_UNIT_OF[fmt[2:3]], tz=tz or None)
        except (UnicodeDecodeError, pa.ArrowInvalid, ValueError):
            return None
        spec = TypeSpec(dtype, fmt, Layout.FIXED, 8)
        _BY_FORMAT[fmt] = spec
        return spec
    return None


def check_schema(schema: pa.Schema) -> list[TypeSpec]:
    """Specs of every column of ``schema``; raises on the first unsupported one."""
    return [spec_for_type(f.type, f.name) for f in schema]

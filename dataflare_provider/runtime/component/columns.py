"""Columnar form of a list of ``data-record``s: what the host lowers into a call and lifts back.

Variable-width values (ids, payloads, metadata keys and values) are kept Arrow-style as one bytes
buffer plus ``n + 1`` int64 offsets, so converting to and from Arrow arrays is a buffer copy and the
lowering code can build the component-model value tree with numpy, never per element in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class VarBytes:
    """``n`` byte strings: ``data[offsets[i]:offsets[i + 1]]`` is string ``i``."""

    offsets: I64
    data: U8

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> I64:
        return np.diff(self.offsets)

    @classmethod
    def from_list(cls, items: list[bytes]) -> VarBytes:
        offsets = np.zeros(len(items) + 1, np.int64)
        if items:
            np.cumsum([len(b) for b in items], out=offsets[1:])
        return cls(offsets, np.frombuffer(b"".join(items), np.uint8).copy())

    @classmethod
    def from_arrow(cls, array: pa.Array | pa.ChunkedArray) -> VarBytes:
        """From a (large) binary or utf8 array; nulls become empty strings."""
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        target = (
            pa.large_string()
            if pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
            else pa.large_binary()
        )
        array = array.cast(target)
        if array.null_count:
            array = array.fill_null(b"" if target == pa.large_binary() else "")
        _, offsets_buf, data_buf = array.buffers()
        n = len(array)
        offsets = np.frombuffer(offsets_buf, np.int64, n + 1, array.offset * 8)
        start, end = int(offsets[0]), int(offsets[-1])
        data = (
            np.frombuffer(data_buf, np.uint8, end - start, start)
            if data_buf is not None and end > start
            else np.zeros(0, np.uint8)
        )
        return cls(offsets - start, data)

    def to_arrow(self, utf8: bool = False) -> pa.Array:
        """As a ``large_binary`` (or ``large_string``) array, sharing nothing with guest memory."""
        typ = pa.large_string() if utf8 else pa.large_binary()
        return pa.Array.from_buffers(
            typ,
            len(self),
            [None, pa.py_buffer(self.offsets.tobytes()), pa.py_buffer(self.data.tobytes())],
        )

    def to_list(self) -> list[bytes]:
        raw = self.data.tobytes()
        o = self.offsets.tolist()
        return [raw[o[i] : o[i + 1]] for i in range(len(self))]

    def take(self, index: I64) -> VarBytes:
        """The strings at ``index``, in that order."""
        lengths = self.lengths[index]
        offsets = np.zeros(len(index) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        starts = self.offsets[:-1][index]
        gather = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=np.int64)
        return VarBytes(offsets, self.data[gather])


def empty_var() -> VarBytes:
    return VarBytes(np.zeros(1, np.int64), np.zeros(0, np.uint8))


@dataclass(frozen=True)
class RecordColumns:
    """``n`` data-records as columns. Metadata pair ``j`` of record ``i`` is
    ``meta_keys[k], meta_values[k]`` with ``k = meta_offsets[i] + j``."""

    ids: VarBytes
    timestamps: U64
    payloads: VarBytes
    meta_offsets: I64
    meta_keys: VarBytes
    meta_values: VarBytes

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def payload_bytes(self) -> int:
        return int(self.payloads.offsets[-1])

    @classmethod
    def build(
        cls,
        ids: VarBytes,
        timestamps: U64,
        payloads: VarBytes,
        metadata: list[list[tuple[str, str]]] | None = None,
    ) -> RecordColumns:
        """Columns from ids, timestamps, payloads and optional per-record metadata pairs."""
        n = len(timestamps)
        if metadata is None:
            return cls(ids, timestamps, payloads, np.zeros(n + 1, np.int64), empty_var(),
                       empty_var())  # fmt: skip
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum([len(m) for m in metadata], out=offsets[1:])
        keys = [k.encode() for pairs in metadata for k, _ in pairs]
        values = [v.encode() for pairs in metadata for _, v in pairs]
        return cls(ids, timestamps, payloads, offsets, VarBytes.from_list(keys),
                   VarBytes.from_list(values))  # fmt: skip

    def metadata_lists(self) -> list[list[tuple[str, str]]]:
        """Per-record metadata as Python pairs (small: keys and values are short)."""
        keys = [k.decode() for k in self.meta_keys.to_list()]
        values = [v.decode() for v in self.meta_values.to_list()]
        o = self.meta_offsets.tolist()
        return [list(zip(keys[o[i] : o[i + 1]], values[o[i] : o[i + 1]], strict=True))
                for i in range(len(self))]  # fmt: skip

    def ids_str(self) -> list[str]:
        return [b.decode() for b in self.ids.to_list()]

"""Deterministic input batches for the cases (each batch its own contiguous arrays, offset 0)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SEED = 20261128


def _split(n: int, batch_rows: int) -> list[tuple[int, int]]:
    return [(i, min(batch_rows, n - i)) for i in range(0, n, batch_rows)]


def int64_batches(rows: int, batch_rows: int) -> list[pa.RecordBatch]:
    """Column ``x``: int64 in [-2**40, 2**40) so ``x * 3 + 1`` never overflows (Python ints agree)."""
    x = np.random.default_rng(SEED).integers(-(2**40), 2**40, rows, dtype=np.int64)
    return [pa.record_batch({"x": pa.array(x[i : i + n])}) for i, n in _split(rows, batch_rows)]


def string_batches(rows: int, batch_rows: int) -> list[pa.RecordBatch]:
    """Column ``s``: short ASCII strings (4-16 chars of mixed-case letters, digits, spaces)."""
    rng = np.random.default_rng(SEED + 1)
    alphabet = np.frombuffer(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -_", dtype=np.uint8
    )
    lengths = rng.integers(4, 17, rows)
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    chars = alphabet[rng.integers(0, len(alphabet), int(offsets[-1]))]
    out = []
    for i, n in _split(rows, batch_rows):
        off = offsets[i : i + n + 1] - offsets[i]
        data = chars[offsets[i] : offsets[i + n]]
        arr = pa.Array.from_buffers(
            pa.string(), n, [None, pa.py_buffer(off.astype(np.int32)), pa.py_buffer(data.copy())]
        )
        out.append(pa.record_batch({"s": arr}))
    return out


def filter_batches(rows: int, batch_rows: int) -> list[pa.RecordBatch]:
    """Columns ``x`` (int64 uniform in [0, 1e6)) and ``v`` (float64): ``x > 500000`` keeps ~50%."""
    rng = np.random.default_rng(SEED + 2)
    x = rng.integers(0, 1_000_000, rows, dtype=np.int64)
    v = rng.random(rows)
    return [
        pa.record_batch({"x": pa.array(x[i : i + n]), "v": pa.array(v[i : i + n])})
        for i, n in _split(rows, batch_rows)
    ]


def mixed_batch(rows: int) -> pa.RecordBatch:
    """A small batch with an int64 and a utf8 column (memory cases)."""
    x = int64_batches(rows, rows)[0].column(0)
    s = string_batches(rows, rows)[0].column(0)
    return pa.record_batch({"x": x, "s": s})

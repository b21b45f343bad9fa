"""What users would otherwise write, per kernel: pyarrow.compute, numpy, a Python loop, Extism."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

MULTIPLY, ADD = 3, 1
DERIVE_CONFIG = {"derive": [{"name": "y", "from": "x", "multiply": MULTIPLY, "add": ADD}]}
LOWER_CONFIG = {"lowercase": ["s"]}
FILTER_THRESHOLD = 500_000
FILTER_CONFIG = {"column": "x", "op": ">", "value": FILTER_THRESHOLD}


# -- int64 map: y = x * 3 + 1 appended -------------------------------------------------------------


def map_pyarrow(b: pa.RecordBatch) -> pa.RecordBatch:
    return b.append_column("y", pc.add(pc.multiply(b.column(0), MULTIPLY), ADD))


def map_numpy(b: pa.RecordBatch) -> pa.RecordBatch:
    x = b.column(0).to_numpy(zero_copy_only=True)
    return b.append_column("y", pa.array(x * MULTIPLY + ADD))


def map_python(b: pa.RecordBatch) -> pa.RecordBatch:
    return b.append_column(
        "y", pa.array([v * MULTIPLY + ADD for v in b.column(0).to_pylist()], pa.int64())
    )


class ExtismMap:
    """The int64 map through the Extism Python host SDK (bytes in, bytes out, per batch)."""

    def __init__(self, wasm: bytes) -> None:
        import extism

        self.plugin = extism.Plugin(wasm, wasi=False, functions=[])

    def __call__(self, b: pa.RecordBatch) -> pa.RecordBatch:
        col = b.column(0)
        n = len(col)
        data = memoryview(col.buffers()[1])[col.offset * 8 : (col.offset + n) * 8].tobytes()
        out = self.plugin.call("int64_map", data, parse=None)
        y = pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(bytes(out))])
        return b.append_column("y", y)

    def close(self) -> None:
        self.plugin.__exit__(None, None, None)


# -- utf8 lowercase --------------------------------------------------------------------------------


def lower_pyarrow(b: pa.RecordBatch) -> pa.RecordBatch:
    return b.set_column(0, "s", pc.utf8_lower(b.column(0)))


def lower_pyarrow_ascii(b: pa.RecordBatch) -> pa.RecordBatch:
    return b.set_column(0, "s", pc.ascii_lower(b.column(0)))


def lower_python(b: pa.RecordBatch) -> pa.RecordBatch:
    return b.set_column(0, "s", pa.array([s.lower() for s in b.column(0).to_pylist()], pa.string()))


# -- filter x > threshold -------------------------------------------------------------------------


def filter_pyarrow(b: pa.RecordBatch) -> pa.RecordBatch:
    return b.filter(pc.greater(b.column(0), FILTER_THRESHOLD))


def filter_python(b: pa.RecordBatch) -> pa.RecordBatch:
    rows: list[dict[str, Any]] = [r for r in b.to_pylist() if r["x"] > FILTER_THRESHOLD]
    return pa.RecordBatch.from_pylist(rows, schema=b.schema)

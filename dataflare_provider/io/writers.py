"""Write record batches to one file in Parquet, CSV or JSON Lines, atomically.

Files are written under a temporary name next to the target and renamed into place, so readers see
either the old file or the complete new one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from dataflare_provider.errors import OutputSchemaError
from dataflare_provider.io.errors import io_error
from dataflare_provider.io.formats import Format
from dataflare_provider.io.location import Location


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal | dt.timedelta):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class BatchFileWriter:
    """Writes batches of one schema (later batches are cast to it) to an open file in one format."""

    def __init__(self, handle: IO[bytes], fmt: Format) -> None:
        self._handle = handle
        self._format = fmt
        self._writer: pq.ParquetWriter | pa_csv.CSVWriter | None = None
        self.schema: pa.Schema | None = None
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if self.schema is None:
            self.schema = batch.schema
            if self._format is Format.PARQUET:
                self._writer = pq.ParquetWriter(self._handle, batch.schema)
            elif self._format is Format.CSV:
                self._writer = pa_csv.CSVWriter(self._handle, batch.schema)
        elif not batch.schema.equals(self.schema):
            try:
                batch = batch.cast(self.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                raise OutputSchemaError(
                    f"output batches disagree on their schema: {self.schema} vs {batch.schema}"
                ) from exc
        if self._writer is not None:
            self._writer.write_batch(batch)
        else:
            lines = (json.dumps(row, default=_json_default) for row in batch.to_pylist())
            self._handle.write(("\n".join(lines) + "\n").encode() if batch.num_rows else b"")
        self.rows += batch.num_rows

    def close(self, empty_schema: pa.Schema | None = None) -> None:
        if self.schema is None and self._format is not Format.JSONL:
            self.write(pa.RecordBatch.from_pylist([], schema=empty_schema or pa.schema([])))
        if self._writer is not None:
            self._writer.close()


def write_batches(
    batches: Iterable[pa.RecordBatch],
    target: Location,
    fmt: Format,
    *,
    empty_schema: pa.Schema | None = None,
) -> int:
    """Write ``batches`` to ``target`` atomically; returns the number of rows written."""
    tmp = target.sibling(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    fs = target.fs
    try:
        fs.makedirs(target.parent.path, exist_ok=True)
        with fs.open(tmp.path, "wb") as handle:
            sink = BatchFileWriter(handle, fmt)
            for batch in batches:
                sink.write(batch)
            sink.close(empty_schema)
        fs.mv(tmp.path, target.path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise io_error(f"cannot write {target}", exc) from exc
    except BaseException:
        _remove_quietly(tmp)
        raise
    return sink.rows


def _remove_quietly(loc: Location) -> None:
    try:
        if loc.fs.exists(loc.path):
            loc.fs.rm(loc.path)
    except OSError:
        pass

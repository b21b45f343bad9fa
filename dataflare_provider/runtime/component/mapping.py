"""Arrow rows <-> ``data-record``s (the rules are documented in ``docs/components.md``).

Input row -> record:

* ``payload``: the bytes of ``payload_column`` when one is named (binary or utf8), else the whole
  row as compact UTF-8 JSON (dates and timestamps as ISO-8601 strings, bytes as latin-1 text);
* ``id``: the ``id`` column as a string when the batch has one (null -> the row number), else the
  row's number in the stream (0-based, counted over all batches of the instance);
* ``timestamp``: the ``timestamp`` column in milliseconds since the epoch when it is a timestamp,
  date or integer column, else 0;
* ``metadata``: ``(column, str(value))`` for each of ``metadata_columns`` that is not null.

Result -> output row. JSON mode: each success payload must be a JSON object; its keys are the
output columns (types inferred, then cast back to the input column's type where a column of the
same name exists and the cast is lossless). Binary mode: columns ``id`` (utf8), ``timestamp``
(timestamp[ms]) and ``payload_column`` (binary). In both modes the records' metadata, when any
record has some, becomes a ``_dataflare_metadata`` column (map<utf8, utf8>).

``error(msg)`` -> the input row plus ``_dataflare_error = msg`` in the dead-letter batch;
``skip`` -> nothing. A success payload that is not a JSON object (JSON mode) is an error too.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dataflare_provider.runtime.component.columns import RecordColumns, VarBytes
from dataflare_provider.runtime.plugin import ERROR_COLUMN

METADATA_COLUMN = "_dataflare_metadata"


@dataclass(frozen=True)
class RecordMapping:
    """How rows become records. ``payload_column=None`` means "the row as JSON"."""

    payload_column: str | None = None
    id_column: str = "id"
    timestamp_column: str = "timestamp"
    metadata_columns: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, options: dict[str, Any] | None) -> RecordMapping:
        o = dict(options or {})
        return cls(
            payload_column=o.get("payload_column"),
            id_column=o.get("id_column", "id"),
            timestamp_column=o.get("timestamp_column", "timestamp"),
            metadata_columns=tuple(o.get("metadata_columns", ())),
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def rows_as_json(batch: pa.RecordBatch) -> VarBytes:
    """Each row as compact UTF-8 JSON."""
    dumps = json.JSONEncoder(
        separators=(",", ":"), ensure_ascii=False, default=_json_default
    ).encode
    return VarBytes.from_list([dumps(row).encode() for row in batch.to_pylist()])


def _ids(batch: pa.RecordBatch, mapping: RecordMapping, row_offset: int) -> VarBytes:
    numbers = pa.array(np.arange(row_offset, row_offset + batch.num_rows, dtype=np.int64))
    numbers = numbers.cast(pa.string())
    idx = batch.schema.get_field_index(mapping.id_column)
    if idx < 0:
        return VarBytes.from_arrow(numbers)
    column = batch.column(idx)
    try:
        as_text = column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        as_text = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
    return VarBytes.from_arrow(pc.coalesce(as_text, numbers))


def _timestamps(batch: pa.RecordBatch, mapping: RecordMapping) -> np.ndarray:
    n = batch.num_rows
    idx = batch.schema.get_field_index(mapping.timestamp_column)
    if idx < 0:
        return np.zeros(n, np.uint64)
    column = batch.column(idx)
    t = column.type
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        ms = column.cast(pa.timestamp("ms", tz=getattr(t, "tz", None))).cast(pa.int64())
    elif pa.types.is_integer(t):
        ms = column.cast(pa.int64())
    else:
        return np.zeros(n, np.uint64)
    values = ms.fill_null(0).to_numpy(zero_copy_only=False)
    out: np.ndarray = np.clip(values, 0, None).astype(np.uint64)
    return out


def _metadata(batch: pa.RecordBatch, mapping: RecordMapping) -> list[list[tuple[str, str]]] | None:
    names = [c for c in mapping.metadata_columns if batch.schema.get_field_index(c) >= 0]
    if not names:
        return None
    columns = {c: batch.column(c).to_pylist() for c in names}
    return [
        [(c, str(columns[c][i])) for c in names if columns[c][i] is not None]
        for i in range(batch.num_rows)
    ]


def to_records(batch: pa.RecordBatch, mapping: RecordMapping, row_offset: int = 0) -> RecordColumns:
    """The records for ``batch`` (row ``i`` is stream row ``row_offset + i``)."""
    if mapping.payload_column is not None:
        if batch.schema.get_field_index(mapping.payload_column) < 0:
            from dataflare_provider.errors import UnsupportedTypeError

            raise UnsupportedTypeError(
                f"payload column {mapping.payload_column!r} is not in the batch",
                columns=batch.schema.names,
            )
        payloads = VarBytes.from_arrow(batch.column(mapping.payload_column))
    else:
        payloads = rows_as_json(batch)
    return RecordColumns.build(
        _ids(batch, mapping, row_offset), _timestamps(batch, mapping), payloads,
        _metadata(batch, mapping),
    )  # fmt: skip


def _metadata_array(records: RecordColumns) -> pa.Array | None:
    if len(records.meta_keys) == 0:
        return None
    keys = records.meta_keys.to_arrow(utf8=True)
    values = records.meta_values.to_arrow(utf8=True)
    offsets = pa.array(records.meta_offsets.astype(np.int32))
    return pa.MapArray.from_arrays(offsets, keys.cast(pa.string()), values.cast(pa.string()))


def _restore_types(batch: pa.RecordBatch, like: pa.Schema) -> pa.RecordBatch:
    columns, fields = [], []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        idx = like.get_field_index(field.name)
        if idx >= 0 and like.field(idx).type != field.type:
            try:
                column = column.cast(like.field(idx).type)
                field = field.with_type(like.field(idx).type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                pass
        columns.append(column)
        fields.append(field)
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))


def records_to_batch(
    records: RecordColumns, mapping: RecordMapping, like: pa.Schema | None = None
) -> tuple[pa.RecordBatch | None, list[tuple[int, str]]]:
    """The output batch for ``records``, and ``(record index, message)`` for records that cannot
    be mapped (JSON mode: payload not a JSON object)."""
    n = len(records)
    if n == 0:
        return None, []
    bad: list[tuple[int, str]] = []
    keep = np.ones(n, bool)
    if mapping.payload_column is None:
        rows: list[dict[str, Any]] = []
        for i, raw in enumerate(records.payloads.to_list()):
            try:
                doc = json.loads(raw)
            except ValueError as exc:
                doc, msg = None, f"output payload is not JSON: {exc}"
            else:
                msg = f"output payload is a JSON {type(doc).__name__}, not an object"
            if isinstance(doc, dict):
                rows.append(doc)
            else:
                keep[i] = False
                bad.append((i, msg))
        if not rows:
            return None, bad
        batch = pa.RecordBatch.from_pylist(rows)
        if like is not None:
            batch = _restore_types(batch, like)
    else:
        batch = pa.RecordBatch.from_arrays(
            [
                records.ids.to_arrow(utf8=True).cast(pa.string()),
                pa.array(records.timestamps.astype(np.int64)).cast(pa.timestamp("ms")),
                records.payloads.to_arrow().cast(pa.binary()),
            ],
            names=[mapping.id_column, mapping.timestamp_column, mapping.payload_column],
        )
    meta = _metadata_array(records)
    if meta is not None:
        if not keep.all():
            meta = meta.filter(pa.array(keep))
        batch = batch.append_column(METADATA_COLUMN, meta)
    return batch, bad


def dead_letter(
    batch: pa.RecordBatch, rows: np.ndarray, messages: list[str]
) -> pa.RecordBatch | None:
    """Input rows ``rows`` with their error ``messages`` in ``_dataflare_error``."""
    if len(rows) == 0:
        return None
    order = np.argsort(rows, kind="stable")
    taken = batch.take(pa.array(rows[order]))
    return taken.append_column(ERROR_COLUMN, pa.array([messages[i] for i in order], pa.string()))


def assemble(
    batch: pa.RecordBatch,
    rows: np.ndarray,
    status: np.ndarray,
    records: RecordColumns,
    errors: list[str],
    mapping: RecordMapping,
) -> tuple[pa.RecordBatch | None, np.ndarray, list[str]]:
    """Map the results for input rows ``rows`` of ``batch`` (one ``status`` each, the success
    ``records`` and the ``errors`` in order): the output batch, and the dead-letter rows and
    messages."""
    from dataflare_provider.runtime.component.lowering import STATUS_ERROR, STATUS_SUCCESS

    out, bad = records_to_batch(records, mapping, batch.schema)
    dead_rows = [rows[status == STATUS_ERROR]]
    messages = list(errors)
    if bad:
        success_rows = rows[status == STATUS_SUCCESS]
        dead_rows.append(success_rows[[i for i, _ in bad]])
        messages.extend(m for _, m in bad)
    return out, np.concatenate(dead_rows), messages

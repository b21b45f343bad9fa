"""Run a :mod:`dataflare_plugin` class in plain Python over Arrow, with the component path's
row <-> record mapping, so its output can be compared with (and is identical to) the built
component's."""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from dataflare_provider.runtime.component.columns import RecordColumns, VarBytes
from dataflare_provider.runtime.component.lowering import (
    STATUS_ERROR,
    STATUS_SKIP,
    STATUS_SUCCESS,
)
from dataflare_provider.runtime.component.mapping import RecordMapping, assemble, to_records
from dataflare_provider.runtime.plugin import ProcessResult


def _sdk(module: str = "dataflare_plugin") -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the dataflare_plugin SDK is not installed (pip install ./sdk/python)"
        ) from exc


def columns_from_records(records: list[Any]) -> RecordColumns:
    """SDK ``Record`` objects as :class:`RecordColumns`."""
    return RecordColumns.build(
        VarBytes.from_list([r.id.encode() for r in records]),
        np.array([r.timestamp for r in records], np.uint64),
        VarBytes.from_list([bytes(r.payload) for r in records]),
        [list(r.metadata) for r in records],
    )


def records_from_columns(cols: RecordColumns) -> list[Any]:
    """:class:`RecordColumns` as SDK ``Record`` objects."""
    sdk = _sdk()
    meta = cols.metadata_lists()
    return [
        sdk.Record(i, int(t), p, m)
        for i, t, p, m in zip(
            cols.ids_str(), cols.timestamps.tolist(), cols.payloads.to_list(), meta, strict=True
        )
    ]


class LocalProcessor:
    """A processor class instance behind ``process(batch) -> ProcessResult``, like a
    ``ComponentInstance`` (no sandbox: for tests and ``--local`` runs)."""

    def __init__(self, processor: Any, config: Mapping[str, Any] | None = None,
                 mapping: RecordMapping | None = None) -> None:  # fmt: skip
        self.processor = processor
        self.mapping = mapping or RecordMapping()
        self._rows_seen = 0
        processor.init(json.loads(json.dumps(dict(config or {}))))

    def process(self, batch: pa.RecordBatch) -> ProcessResult:
        results_of = _sdk("dataflare_plugin.plugin").results_of
        sdk = _sdk()
        cols = to_records(batch, self.mapping, self._rows_seen)
        self._rows_seen += batch.num_rows
        results = results_of(self.processor, records_from_columns(cols))
        status = np.array(
            [STATUS_SUCCESS if isinstance(r, sdk.Record) else
             STATUS_ERROR if isinstance(r, sdk.Error) else STATUS_SKIP for r in results],
            np.uint8,
        )  # fmt: skip
        success = columns_from_records([r for r in results if isinstance(r, sdk.Record)])
        errors = [r.message for r in results if isinstance(r, sdk.Error)]
        out, rows, messages = assemble(batch, np.arange(batch.num_rows), status, success, errors,
                                       self.mapping)  # fmt: skip
        from dataflare_provider.runtime.component.mapping import dead_letter

        return ProcessResult(out, dead_letter(batch, rows, messages))

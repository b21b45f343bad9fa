"""Stream record batches out of files, in a deterministic order and batch size.

Determinism matters: a retried task re-reads the same input and must see the same batch boundaries
so already-committed output ranges can be skipped (see :mod:`dataflare_provider.pipeline`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from dataflare_provider.errors import ConfigError, InputDataError
from dataflare_provider.io.errors import io_error
from dataflare_provider.io.formats import Format, detect_format, parse_format
from dataflare_provider.io.location import Location, resolve_location

DEFAULT_BATCH_ROWS = 65_536
DEFAULT_BATCH_BYTES = 8 * 2**20


def rechunk(
    batches: Iterable[pa.RecordBatch],
    max_rows: int = DEFAULT_BATCH_ROWS,
    max_bytes: int = DEFAULT_BATCH_BYTES,
) -> Iterator[pa.RecordBatch]:
    """Split batches so none has more than ``max_rows`` rows or (about) ``max_bytes`` bytes.

    Linear memory never shrinks, so the byte cap bounds every instance's resident memory.
    Slices are zero-copy.
    """
    for batch in batches:
        n = batch.num_rows
        rows = max_rows
        nbytes = batch.nbytes
        if n and nbytes > max_bytes:
            rows = max(1, min(rows, int(n * max_bytes / nbytes)))
        if n <= rows:
            yield batch
            continue
        for start in range(0, n, rows):
            yield batch.slice(start, rows)


@dataclass(frozen=True)
class InputFile:
    location: Location
    format: Format
    size: int | None
    modified: str | None


class InputFiles:
    """The files behind an input path: one file, a directory (its data files, sorted) or a glob."""

    def __init__(
        self,
        target: Any,
        *,
        format: str | Format | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        self.location = resolve_location(target, storage_options)
        self._format = format
        self.files = self._list()

    def _list(self) -> list[InputFile]:
        loc = self.location
        fs, path = loc.fs, loc.path
        try:
            if any(ch in path for ch in "*?["):
                paths = sorted(fs.glob(path))
            elif path.endswith("/") or fs.isdir(path):
                paths = sorted(
                    p
                    for p in fs.find(path.rstrip("/"))
                    if not any(part.startswith((".", "_")) for part in p.split("/")[-1:])
                    and (self._format or detect_format(p))
                )
            elif fs.exists(path):
                paths = [path]
            else:
                raise ConfigError(f"input {loc} does not exist")
        except OSError as exc:
            raise io_error(f"cannot list input {loc}", exc) from exc
        if not paths:
            raise ConfigError(f"input {loc} matches no data files")
        files = []
        for p in paths:
            info = fs.info(p)
            modified = info.get("mtime") or info.get("LastModified") or info.get("ETag")
            files.append(
                InputFile(
                    Location(fs, p),
                    parse_format(self._format, p),
                    info.get("size"),
                    str(modified) if modified is not None else None,
                )
            )
        return files

    def fingerprint(self) -> str:
        """Changes when any input file is added, removed, resized or modified."""
        listing = [(f.location.uri, f.format.value, f.size, f.modified) for f in self.files]
        return hashlib.sha256(json.dumps(listing).encode()).hexdigest()

    def batches(
        self, max_rows: int = DEFAULT_BATCH_ROWS, max_bytes: int = DEFAULT_BATCH_BYTES
    ) -> Iterator[pa.RecordBatch]:
        """Every file's batches in order, re-cut to the row and byte caps."""
        for f in self.files:
            yield from rechunk(_read_file(f, max_rows, max_bytes), max_rows, max_bytes)

    def __repr__(self) -> str:
        return f"InputFiles({self.location}, {len(self.files)} files)"


def _read_file(f: InputFile, max_rows: int, max_bytes: int) -> Iterator[pa.RecordBatch]:
    where = f.location.uri
    try:
        with f.location.fs.open(f.location.path, "rb") as handle:
            if f.format is Format.PARQUET:
                yield from pq.ParquetFile(handle).iter_batches(batch_size=max_rows)
            elif f.format is Format.CSV:
                opts = pa_csv.ReadOptions(block_size=max(1 << 20, min(max_bytes, 1 << 30)))
                yield from pa_csv.open_csv(handle, read_options=opts)
            else:
                opts_j = pa_json.ReadOptions(block_size=max(1 << 20, min(max_bytes, 1 << 30)))
                yield from pa_json.open_json(handle, read_options=opts_j)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise InputDataError(f"cannot parse {where} as {f.format.value}: {exc}") from exc
    except OSError as exc:
        raise io_error(f"cannot read {where}", exc) from exc

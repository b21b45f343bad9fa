"""Output staging with a commit marker per input-batch range, so a retried run resumes.

Layout, next to the output (``out.parquet`` -> ``.dataflare-staging-out.parquet/``; a directory
output ``out/`` -> ``out/.dataflare-staging/``)::

    run.json                           fingerprint of plugins, configs, input files, batch size
    part-00000000-00000015.parquet     main output of input batches 0..15
    dead-00000000-00000015.parquet     dead-letter rows of the same range (if any)
    commit-00000000-00000015.json      the commit marker, written last (atomic rename)

A range counts only once its marker exists. On a retry with the same fingerprint, committed ranges
are skipped and anything without a marker is deleted; with another fingerprint the staging area
starts over. :meth:`Staging.finalize` assembles the parts into the output (and dead-letter)
location atomically and removes the staging area.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from dataflare_provider.io.errors import io_error
from dataflare_provider.io.formats import Format
from dataflare_provider.io.location import Location
from dataflare_provider.io.writers import BatchFileWriter, write_batches

_MARKER = re.compile(r"commit-(\d{8})-(\d{8})\.json$")
SUCCESS = "_SUCCESS"


@dataclass(frozen=True)
class Marker:
    """A committed range of input batches."""

    first: int
    last: int
    rows_in: int
    rows_out: int
    rows_error: int
    main: str | None
    dead: str | None


@dataclass(frozen=True)
class Target:
    """Where the final output goes: one file, or a directory of part files."""

    location: Location
    format: Format
    is_dir: bool


class Staging:
    """The staging area of one output; see the module docstring."""

    def __init__(self, output: Target, fingerprint: str, logger: logging.Logger) -> None:
        self.output = output
        self.fingerprint = fingerprint
        self.log = logger
        loc = output.location
        self.dir = (
            loc.child(".dataflare-staging")
            if output.is_dir
            else loc.sibling(f".dataflare-staging-{loc.name}")
        )
        self.markers: list[Marker] = []

    @property
    def fs(self) -> Any:
        return self.dir.fs

    # -- opening and resuming -----------------------------------------------------------------

    def open(self, resume: bool) -> int:
        """Prepare the staging area; returns the index of the first input batch to process."""
        try:
            run_file = self.dir.child("run.json")
            if resume and self.fs.exists(run_file.path):
                with self.fs.open(run_file.path, "rb") as f:
                    previous = json.load(f).get("fingerprint")
                if previous == self.fingerprint:
                    return self._resume()
                self.log.info(
                    "staging %s is from another run (inputs or plugins changed): starting over",
                    self.dir,
                )
            self._wipe()
            self.fs.makedirs(self.dir.path, exist_ok=True)
            self._write_json(run_file, {"fingerprint": self.fingerprint})
            return 0
        except OSError as exc:
            raise io_error(f"cannot prepare staging area {self.dir}", exc) from exc

    def _resume(self) -> int:
        markers = []
        for path in self.fs.ls(self.dir.path, detail=False):
            if _MARKER.search(path):
                with self.fs.open(path, "rb") as f:
                    markers.append(Marker(**json.load(f)))
        markers.sort(key=lambda mk: mk.first)
        contiguous: list[Marker] = []
        for mk in markers:
            if mk.first != (contiguous[-1].last + 1 if contiguous else 0):
                break
            contiguous.append(mk)
        self.markers = contiguous
        keep = {"run.json"}
        for mk in contiguous:
            keep |= {_marker_name(mk.first, mk.last)} | {n for n in (mk.main, mk.dead) if n}
        for path in self.fs.ls(self.dir.path, detail=False):
            if path.rsplit("/", 1)[-1] not in keep:
                self.fs.rm(path)  # written by a try that died before committing it
        next_batch = contiguous[-1].last + 1 if contiguous else 0
        if next_batch:
            self.log.info(
                "resuming: input batches 0..%d (%d rows) were committed by an earlier try",
                next_batch - 1, sum(m.rows_in for m in contiguous),
            )  # fmt: skip
        return next_batch

    def _wipe(self) -> None:
        if self.fs.exists(self.dir.path):
            self.fs.rm(self.dir.path, recursive=True)
        self.markers = []

    # -- committing ranges --------------------------------------------------------------------

    def part_writer(self, kind: str, first: int) -> PartWriter:
        return PartWriter(self.dir, kind, first)

    def commit(
        self, first: int, last: int, rows_in: int, main: PartWriter | None, dead: PartWriter | None
    ) -> Marker:
        """Seal the parts of input batches ``first..last`` and write their marker."""
        try:
            main_name = main.seal(last) if main else None
            dead_name = dead.seal(last) if dead else None
            marker = Marker(
                first, last, rows_in,
                main.rows if main else 0, dead.rows if dead else 0, main_name, dead_name,
            )  # fmt: skip
            self._write_json(self.dir.child(_marker_name(first, last)), asdict(marker))
        except OSError as exc:
            raise io_error(f"cannot commit output range {first}..{last}", exc) from exc
        self.markers.append(marker)
        return marker

    def _write_json(self, loc: Location, data: dict[str, Any]) -> None:
        tmp = loc.sibling(f".{loc.name}.tmp")
        with self.fs.open(tmp.path, "wb") as f:
            f.write(json.dumps(data).encode())
        self.fs.mv(tmp.path, loc.path)

    # -- finishing ----------------------------------------------------------------------------

    def _parts(self, attr: str) -> list[Location]:
        return [self.dir.child(n) for m in self.markers if (n := getattr(m, attr))]

    def finalize(self, dead_letter: Target | None) -> tuple[int, int]:
        """Assemble the committed parts into the output and dead-letter targets; clean up."""
        try:
            if dead_letter is not None:
                self._assemble(self._parts("dead"), dead_letter)
            rows = self._assemble(self._parts("main"), self.output)
            self._wipe()
        except OSError as exc:
            raise io_error(f"cannot write the final output {self.output.location}", exc) from exc
        return rows, sum(m.rows_error for m in self.markers)

    def finalize_dead_letter_only(self, dead_letter: Target | None) -> None:
        """Keep what went wrong even when the run fails (e.g. too many bad rows)."""
        if dead_letter is not None:
            self._assemble(self._parts("dead"), dead_letter)

    def _assemble(self, parts: list[Location], target: Target) -> int:
        if target.is_dir:
            return self._assemble_dir(parts, target)
        if len(parts) == 1 and target.format is Format.PARQUET and target.location.fs is self.fs:
            self.fs.makedirs(target.location.parent.path, exist_ok=True)
            self.fs.mv(parts[0].path, target.location.path)
            return _parquet_rows(target.location)
        return write_batches(_read_parts(parts), target.location, target.format)

    def _assemble_dir(self, parts: list[Location], target: Target) -> int:
        fs, root = target.location.fs, target.location
        fs.makedirs(root.path, exist_ok=True)
        for path in fs.ls(root.path, detail=False):
            name = path.rsplit("/", 1)[-1]
            if name.startswith("part-") or name == SUCCESS:
                fs.rm(path)
        rows = 0
        for i, part in enumerate(parts):
            dest = root.child(f"part-{i:05d}{target.format.extension}")
            if target.format is Format.PARQUET and fs is self.fs:
                fs.mv(part.path, dest.path)
                rows += _parquet_rows(dest)
            else:
                rows += write_batches(_read_parts([part]), dest, target.format)
        with fs.open(root.child(SUCCESS).path, "wb") as f:
            f.write(b"")
        return rows


def _marker_name(first: int, last: int) -> str:
    return f"commit-{first:08d}-{last:08d}.json"


def _parquet_rows(loc: Location) -> int:
    with loc.fs.open(loc.path, "rb") as f:
        return int(pq.ParquetFile(f).metadata.num_rows)


def _read_parts(parts: list[Location]) -> Iterator[pa.RecordBatch]:
    for part in parts:
        with part.fs.open(part.path, "rb") as f:
            yield from pq.ParquetFile(f).iter_batches()


class PartWriter:
    """Streams the batches of one range into a temporary Parquet file; :meth:`seal` names it."""

    def __init__(self, directory: Location, kind: str, first: int) -> None:
        self.directory = directory
        self.kind = kind
        self.first = first
        self.tmp = directory.child(f".{kind}-{first:08d}.tmp")
        self._handle: IO[bytes] | None = None
        self._writer: BatchFileWriter | None = None
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        try:
            if self._writer is None:
                self._handle = self.directory.fs.open(self.tmp.path, "wb")
                self._writer = BatchFileWriter(self._handle, Format.PARQUET)
            self._writer.write(batch)
        except OSError as exc:
            raise io_error(f"cannot write staged output {self.tmp}", exc) from exc
        self.rows += batch.num_rows

    @property
    def empty(self) -> bool:
        return self._writer is None

    def seal(self, last: int) -> str | None:
        """Close and rename the part; ``None`` when nothing was written."""
        if self._writer is None or self._handle is None:
            return None
        self._writer.close()
        self._handle.close()
        name = f"{self.kind}-{self.first:08d}-{last:08d}.parquet"
        self.directory.fs.mv(self.tmp.path, self.directory.child(name).path)
        return name

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
            if self.directory.fs.exists(self.tmp.path):
                self.directory.fs.rm(self.tmp.path)

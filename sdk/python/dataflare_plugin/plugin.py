"""Base classes plugin authors subclass: :class:`Processor`, :class:`Source`, :class:`Destination`.

The same class runs locally (:mod:`dataflare_plugin.local`) and inside the component (the adapter
in :mod:`dataflare_plugin._guest` maps WIT values to these types).
"""

from __future__ import annotations

from typing import Any

from dataflare_plugin.types import Error, Record, Result, Skip, normalize


class Processor:
    """Record in, result out. Override :meth:`process` (and optionally the others)."""

    def init(self, config: dict[str, Any]) -> None:
        """Called once with the task's config before any data. Raise to refuse it."""

    def process(self, record: Record) -> Result:
        raise NotImplementedError

    def process_batch(self, records: list[Record]) -> list[Result]:
        """One result per record, in order. The default calls :meth:`process` per record and turns
        an exception into an :class:`Error` for that record only."""
        out: list[Result] = []
        for record in records:
            try:
                out.append(self.process(record))
            except Exception as exc:  # noqa: BLE001 - the record's error, not the plugin's
                out.append(Error(_message(exc)))
        return out

    def finish(self) -> list[Record]:
        """End of stream: records still held by a stateful processor."""
        return []


class Source:
    """Generates records. Override :meth:`read_batch` (or :meth:`read_next`)."""

    def init(self, config: dict[str, Any]) -> None:
        """Called once with the task's config."""

    def read_next(self) -> Record | None:
        raise NotImplementedError

    def read_batch(self, max_records: int) -> list[Record]:
        out: list[Record] = []
        while len(out) < max_records:
            record = self.read_next()
            if record is None:
                break
            out.append(record)
        return out

    def reset(self) -> None:
        raise NotImplementedError("this source cannot be reset")


class Destination:
    """Consumes records and encodes them into bytes the host writes."""

    def init(self, config: dict[str, Any]) -> None:
        """Called once with the task's config."""

    def write(self, record: Record) -> None:
        raise NotImplementedError

    def write_batch(self, records: list[Record]) -> None:
        for record in records:
            self.write(record)

    def flush(self) -> bytes:
        """Encoded output since the last flush."""
        return b""


def _message(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def results_of(processor: Processor, records: list[Record]) -> list[Record | Error | Skip]:
    """``process_batch`` with its results normalised and counted."""
    results = processor.process_batch(records)
    if len(results) != len(records):
        raise ValueError(
            f"process_batch returned {len(results)} results for {len(records)} records"
        )
    return [normalize(r) for r in results]


exception_message = _message

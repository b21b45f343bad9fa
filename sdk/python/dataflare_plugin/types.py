"""The plugin-facing data types: a record and what a processor makes of it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Union


@dataclass(frozen=True)
class Record:
    """One row: ``payload`` is the row as UTF-8 JSON unless the host was told to pass a binary
    column. ``timestamp`` is milliseconds since the Unix epoch (0 when the batch has none)."""

    id: str
    timestamp: int = 0
    payload: bytes = b""
    metadata: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        """The payload parsed as JSON (raises ``ValueError`` when it is not)."""
        return json.loads(self.payload)

    def with_json(self, value: Any) -> Record:
        """A copy whose payload is ``value`` encoded as compact JSON."""
        return replace(self, payload=json.dumps(value, separators=(",", ":")).encode())

    def with_payload(self, payload: bytes) -> Record:
        return replace(self, payload=payload)

    def with_metadata(self, key: str, value: str) -> Record:
        """A copy with one more metadata pair."""
        return replace(self, metadata=[*self.metadata, (key, value)])

    @classmethod
    def from_json(cls, id: str, value: Any, timestamp: int = 0) -> Record:
        return cls(id, timestamp, json.dumps(value, separators=(",", ":")).encode())


@dataclass(frozen=True)
class Error:
    """The record failed: it goes to the dead-letter output with ``message``."""

    message: str


@dataclass(frozen=True)
class Skip:
    """The record is dropped."""


SKIP = Skip()

Result = Union[Record, Error, Skip, None]


def normalize(result: Result) -> Record | Error | Skip:
    """``None`` means skip."""
    if result is None:
        return SKIP
    if isinstance(result, (Record, Error, Skip)):
        return result
    raise TypeError(f"process() returned {type(result).__name__}; expected Record, Error or None")

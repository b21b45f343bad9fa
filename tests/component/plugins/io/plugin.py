"""Test plugins for the source and destination worlds (built with an explicit entry each)."""

from __future__ import annotations

from typing import Any

from dataflare_plugin import Destination, Record, Source


class Counter(Source):
    """Emits ``count`` records ``{"n": i}``; ``fail_at`` makes reading fail there."""

    def init(self, config: dict[str, Any]) -> None:
        self.count = int(config.get("count", 10))
        self.fail_at = config.get("fail_at")
        self.i = 0

    def read_next(self) -> Record | None:
        if self.fail_at is not None and self.i == self.fail_at:
            raise RuntimeError(f"cannot read record {self.i}")
        if self.i >= self.count:
            return None
        self.i += 1
        return Record.from_json(str(self.i - 1), {"n": self.i - 1}, timestamp=1000 * self.i)

    def reset(self) -> None:
        self.i = 0


class JsonLines(Destination):
    """Encodes records as JSON Lines of their payloads; ``flush`` hands the bytes to the host."""

    def init(self, config: dict[str, Any]) -> None:
        self.buffer = bytearray()

    def write(self, record: Record) -> None:
        if record.payload == b"":
            raise ValueError(f"record {record.id} is empty")
        self.buffer += record.payload + b"\n"

    def flush(self) -> bytes:
        out, self.buffer = bytes(self.buffer), bytearray()
        return out

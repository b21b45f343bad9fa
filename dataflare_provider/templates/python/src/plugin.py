"""A record-level processor (Python SDK, built into a component with componentize-py).

Each row arrives as a JSON object; the fields named in ``lowercase`` are ASCII-lowercased; a row
whose listed field is null goes to the dead-letter output. Config: ``{"lowercase": ["name"]}``.
"""

from __future__ import annotations

from typing import Any

from dataflare_plugin import Error, Processor, Record


def ascii_lower(s: str) -> str:
    return s.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


class Lowercase(Processor):
    def init(self, config: dict[str, Any]) -> None:
        self.fields = [str(f) for f in config.get("lowercase", [])]

    def process(self, record: Record) -> Record | Error | None:
        doc = record.json()
        for field in self.fields:
            value = doc.get(field)
            if value is None:
                return Error(f"{field} is null")
            if isinstance(value, str):
                doc[field] = ascii_lower(value)
        return record.with_json(doc)

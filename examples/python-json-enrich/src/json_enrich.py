"""json-enrich: parse each record's JSON payload, add fields, send bad JSON to the dead letter.

Config (all optional)::

    {"add": {"source": "crm"},        # constant fields added to every object
     "upper": ["name"],               # string fields to upper-case
     "drop_if_missing": "email"}      # skip records whose object lacks this key
"""

from __future__ import annotations

from typing import Any

from dataflare_plugin import Error, Processor, Record, metrics


class JsonEnrich(Processor):
    def init(self, config: dict[str, Any]) -> None:
        self.add: dict[str, Any] = dict(config.get("add", {}))
        self.upper: list[str] = list(config.get("upper", []))
        self.required: str | None = config.get("drop_if_missing")

    def process(self, record: Record) -> Record | Error | None:
        try:
            doc = record.json()
        except ValueError as exc:
            metrics.increment_counter("bad_json")
            return Error(f"invalid JSON: {exc}")
        if not isinstance(doc, dict):
            return Error(f"expected a JSON object, got {type(doc).__name__}")
        if self.required and self.required not in doc:
            return None
        for key in self.upper:
            if isinstance(doc.get(key), str):
                doc[key] = doc[key].upper()
        doc.update(self.add)
        doc["field_count"] = len(doc) + 1
        doc["record_id"] = record.id
        return record.with_json(doc).with_metadata("enriched", "json-enrich")

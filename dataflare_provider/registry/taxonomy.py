"""The plugin category taxonomy (``docs/taxonomy.md``): ``kind-group/area[/detail]``."""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "sources": "Plugins that produce batches",
    "sources/generate": "Synthetic data, sequences, test fixtures",
    "sources/decode": "Decode host-supplied bytes into batches",
    "sources/decode/csv": "CSV / TSV",
    "sources/decode/json": "JSON, JSON Lines",
    "sources/decode/binary": "Binary formats (protobuf, avro, msgpack, custom)",
    "sources/decode/log": "Log formats (syslog, access logs, ...)",
    "processors": "Plugins that turn a batch into a batch",
    "processors/transform": "Column transformations",
    "processors/transform/json": "Parse, flatten or build JSON columns",
    "processors/transform/text": "Strings: normalise, split, regex, case",
    "processors/transform/numeric": "Arithmetic, scaling, rounding, units",
    "processors/transform/time": "Timestamps, time zones, date parts",
    "processors/filter": "Drop rows by predicate, sampling, deduplication",
    "processors/validate": "Schema and value checks, per-record errors",
    "processors/enrich": "Lookups, derived columns, geo, classification",
    "processors/aggregate": "Windowed or whole-stream aggregation (stateful)",
    "processors/privacy": "Masking, hashing, tokenisation, redaction",
    "processors/decode": "Binary or text columns parsed into columns",
    "processors/ml": "Feature engineering, scoring with embedded models",
    "sinks": "Plugins that encode batches into bytes the host writes",
    "sinks/encode": "Encoders",
    "sinks/encode/csv": "CSV / TSV",
    "sinks/encode/json": "JSON, JSON Lines",
    "sinks/encode/binary": "Binary formats (protobuf, avro, msgpack, custom)",
}

KIND_GROUP = {"source": "sources", "processor": "processors", "sink": "sinks"}


def is_category(path: str) -> bool:
    """Whether ``path`` is a category of the taxonomy."""
    return path in CATEGORIES


def matches(category: str, query: str) -> bool:
    """Whether ``category`` is ``query`` or below it (``processors/transform`` matches
    ``processors/transform/json``)."""
    q = query.strip("/")
    return category == q or category.startswith(q + "/")

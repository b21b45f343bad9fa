"""File formats, chosen by extension unless given explicitly."""

from __future__ import annotations

from enum import StrEnum

from dataflare_provider.errors import ConfigError


class Format(StrEnum):
    PARQUET = "parquet"
    CSV = "csv"
    JSONL = "jsonl"

    @property
    def extension(self) -> str:
        return {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}[self.value]


_EXTENSIONS = {
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
    ".csv": Format.CSV,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".json": Format.JSONL,
}


def detect_format(path: str) -> Format | None:
    """The format a file name implies, or ``None``."""
    name = path.rsplit("/", 1)[-1].lower()
    for ext, fmt in _EXTENSIONS.items():
        if name.endswith(ext):
            return fmt
    return None


def parse_format(value: str | Format | None, path: str) -> Format:
    """An explicit format, else the one ``path``'s extension implies, else an error."""
    if isinstance(value, Format):
        return value
    if value:
        try:
            return Format(value.lower().lstrip("."))
        except ValueError:
            raise ConfigError(
                f"unknown format {value!r}; use one of: {', '.join(f.value for f in Format)}"
            ) from None
    fmt = detect_format(path)
    if fmt is None:
        raise ConfigError(
            f"cannot tell the format of {path!r} from its extension; name it "
            "(parquet, csv or jsonl) or use .parquet/.csv/.jsonl"
        )
    return fmt

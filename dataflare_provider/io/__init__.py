"""Arrow readers and writers over local paths and fsspec URIs (Parquet, CSV, JSON Lines)."""

from dataflare_provider.io.formats import Format, detect_format
from dataflare_provider.io.location import Location, resolve_location
from dataflare_provider.io.readers import InputFiles, rechunk
from dataflare_provider.io.writers import write_batches

__all__ = [
    "Format",
    "InputFiles",
    "Location",
    "detect_format",
    "rechunk",
    "resolve_location",
    "write_batches",
]

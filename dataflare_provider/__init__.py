"""DataFlare: sandboxed WebAssembly data plugins over Apache Arrow, for Airflow and Dagster."""

from __future__ import annotations

__version__ = "0.1.0"

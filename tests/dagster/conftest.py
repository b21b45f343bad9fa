"""Fixtures of the Dagster tests: the example code locations (importable, plugins published) and
reference data."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

try:
    import dagster  # noqa: F401
except ImportError:  # the dagster extra is not installed: nothing here can run
    collect_ignore_glob = ["test_*.py"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = ROOT / "examples" / "dagster"


@pytest.fixture(scope="session")
def example_modules(published_examples: dict[str, str]) -> Iterator[dict[str, ModuleType]]:
    """``dataflare_example.orders`` and ``.daily``, imported with the session's DATAFLARE_HOME
    (their data directory is under it) after the example plugins were published."""
    sys.path.insert(0, str(EXAMPLE_DIR))
    try:
        import dataflare_example.daily as daily
        import dataflare_example.orders as orders

        yield {"orders": orders, "daily": daily}
    finally:
        sys.path.remove(str(EXAMPLE_DIR))

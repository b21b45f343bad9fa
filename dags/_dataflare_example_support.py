"""Support code of the example DAGs: sample data, the example plugins, an injected fault.

Nothing here is needed to use the provider: it only lets the example DAGs run on a fresh machine
with the local registry and local files.

- ``examples_dir()``: where the examples write, ``$DATAFLARE_EXAMPLES_DIR`` or
  ``$DATAFLARE_HOME/airflow-examples``.
- ``ensure_example_plugins()``: when the registry in use is the local one and lacks the example
  plugins, builds them from ``examples/`` (``make -C examples``, clang) and publishes them.
- ``write_orders()``: deterministic sample orders (Parquet).
- ``FlakyLocalFileSystem`` (``dataflare-flaky://``): local files whose N-th open fails once, to
  demonstrate a transient fault in the middle of a run and a retry that resumes.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from dataflare_provider import examples
from dataflare_provider.airflow.hooks.dataflare import DataFlareHook
from dataflare_provider.examples import EXAMPLE_PLUGINS
from dataflare_provider.settings import dataflare_home

REGIONS = ("EU", "US", "APAC")
NAMES = ("Ada Lovelace", "GRACE Hopper", "Alan Turing", "Edsger DIJKSTRA", "Barbara Liskov")


def examples_dir() -> Path:
    """Base directory of the example DAGs' data."""
    env = os.environ.get("DATAFLARE_EXAMPLES_DIR")
    return Path(env).expanduser() if env else dataflare_home() / "airflow-examples"


def ensure_example_plugins(names: tuple[str, ...] = EXAMPLE_PLUGINS) -> dict[str, str]:
    """Make sure the example plugins are in the connection's registry (building and publishing
    them into the local one when missing); returns name -> reference."""
    hook = DataFlareHook()
    try:
        examples.ensure_example_plugins(names, client=hook.get_conn())
    finally:
        hook.close()
    return {name: examples.example_reference(name) for name in names}


def orders_table(rows: int, seed: int) -> pa.Table:
    """Sample orders: some amounts are null (row-filter sends those rows to the dead letter)."""
    rng = random.Random(seed)
    amount = [None if rng.random() < 0.02 else round(rng.uniform(1, 200), 2) for _ in range(rows)]
    return pa.table(
        {
            "order_id": pa.array(range(seed * 1_000_000, seed * 1_000_000 + rows), pa.int64()),
            "name": [rng.choice(NAMES) for _ in range(rows)],
            "region": [rng.choice(REGIONS) for _ in range(rows)],
            "amount": pa.array(amount, pa.float64()),
        }
    )


def write_orders(path: Path, rows: int, seed: int, row_group_size: int | None = None) -> Path:
    """Write sample orders to ``path`` (atomically; skipped when it exists)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(orders_table(rows, seed), tmp, row_group_size=row_group_size)
    tmp.replace(path)
    return path


class FlakyLocalFileSystem(LocalFileSystem):
    """Local files under ``dataflare-flaky://``; the ``fail_on_open``-th file opened for reading
    raises ``ConnectionResetError``, once: ``state_file`` records that the fault was injected."""

    protocol = ("dataflare-flaky",)
    root_marker = "/"

    def __init__(self, fail_on_open: int = 0, state_file: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_on_open = fail_on_open
        self.state_file = state_file
        self.opens = 0

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        path = str(path)
        if path.startswith("dataflare-flaky://"):
            path = path[len("dataflare-flaky://") :]
        return super()._strip_protocol(path)

    def _open(self, path: Any, mode: str = "rb", **kwargs: Any) -> Any:
        if "r" in mode and self.fail_on_open and self.state_file:
            state = Path(self.state_file)
            if not state.exists():
                self.opens += 1
                if self.opens >= self.fail_on_open:
                    state.parent.mkdir(parents=True, exist_ok=True)
                    state.write_text(f"fault injected opening {path}\n")
                    raise ConnectionResetError(f"injected fault: connection reset reading {path}")
        return super()._open(path, mode, **kwargs)


fsspec.register_implementation("dataflare-flaky", FlakyLocalFileSystem, clobber=True)

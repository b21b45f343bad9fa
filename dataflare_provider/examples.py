"""Helpers for the repository's examples: build the C example plugins and publish them.

The example DAGs, the example Dagster code locations and ``make demo`` call
:func:`ensure_example_plugins` so they run on a fresh machine against the embedded local registry.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dataflare_provider.registry import RegistryClient
from dataflare_provider.registry.errors import PluginNotFoundError, ResolutionError

EXAMPLE_PLUGINS = ("basic-transformer", "row-filter", "streaming-aggregator")


def examples_source() -> Path:
    """The repository's ``examples/`` directory (``$DATAFLARE_EXAMPLES_SRC`` overrides it)."""
    env = os.environ.get("DATAFLARE_EXAMPLES_SRC")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "examples"


def example_reference(name: str) -> str:
    return f"dataflare/{name}:^1.0"


def ensure_example_plugins(
    names: tuple[str, ...] = EXAMPLE_PLUGINS, client: RegistryClient | None = None
) -> dict[str, str]:
    """Publish the example plugins the registry lacks, building them first (``make -C examples``,
    clang); returns name -> manifest digest.

    Only the local registry is written to: with a remote registry configured, missing plugins are
    reported by the resolve error instead.
    """
    own = client is None
    client = client or RegistryClient()
    try:
        digests: dict[str, str] = {}
        missing = []
        for name in names:
            try:
                digests[name] = client.resolve(example_reference(name))
            except (PluginNotFoundError, ResolutionError):
                if client.default_registry is not None:
                    raise
                missing.append(name)
        if missing:
            src = examples_source()
            subprocess.run(["make", "-s", "-C", str(src)], check=True)
            for name in missing:
                wasm = src / name / "build" / f"{name}.wasm"
                digests[name] = client.publish(wasm, src / name / "plugin.toml").digest
        return digests
    finally:
        if own:
            client.close()

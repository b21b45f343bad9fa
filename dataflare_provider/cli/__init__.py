"""``dataflare`` command line. Each module in :data:`COMMAND_MODULES` registers its commands."""

from __future__ import annotations

import importlib

from dataflare_provider.cli.app import app

COMMAND_MODULES = [
    "dataflare_provider.cli.run",
    "dataflare_provider.cli.registry",
    "dataflare_provider.cli.keys",
    "dataflare_provider.cli.sdk",
]


def main() -> None:
    """Entry point of the ``dataflare`` script."""
    for name in COMMAND_MODULES:
        importlib.import_module(name)
    app()

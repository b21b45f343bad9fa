"""Session fixtures for the SDK tests: the reference plugin built from every SDK (once per
session), and a runner for the ``dataflare`` CLI in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sdk_support import build_example
from typer.testing import CliRunner, Result


@pytest.fixture(scope="session")
def sdk_build(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``sdk_build(language, plugin="basic-transformer")`` -> that reference plugin built with
    that SDK (once per session)."""
    out_dir = tmp_path_factory.mktemp("sdk-builds")
    built: dict[tuple[str, str], Path] = {}

    def get(language: str, plugin: str = "basic-transformer") -> Path:
        if (plugin, language) not in built:
            built[plugin, language] = build_example(plugin, language, out_dir)
        return built[plugin, language]

    return get


@pytest.fixture(scope="session")
def cli() -> Callable[..., Result]:
    """``cli("plugin", "test", ...)`` -> the result of the ``dataflare`` command, in-process."""
    import importlib

    from dataflare_provider.cli import COMMAND_MODULES
    from dataflare_provider.cli.app import app

    for name in COMMAND_MODULES:
        importlib.import_module(name)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke

"""Session fixtures for the SDK tests: the reference plugin built from every SDK (once per
session), and a runner for the ``dataflare`` CLI in-process."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
VECTORS = ROOT / "tests" / "vectors"
LANGUAGES = ("c", "rust", "go", "assemblyscript")
PLUGINS = ("basic-transformer", "row-filter")  # the reference plugins, one per SDK language
SUFFIX = {"rust": "rust", "go": "go", "assemblyscript": "ts"}  # examples/<plugin>-<suffix>
BUILD_TIMES: dict[tuple[str, str], float] = {}


def build_example(plugin: str, language: str, out_dir: Path) -> Path:
    """``plugin`` written with the ``language`` SDK -> its .wasm (C: ``make -C examples``)."""
    start = time.perf_counter()
    if language == "c":
        subprocess.run(["make", "-s", "-C", str(EXAMPLES)], check=True)
        path = EXAMPLES / plugin / "build" / f"{plugin}.wasm"
    else:
        src = EXAMPLES / f"{plugin}-{SUFFIX[language]}"
        path = out_dir / f"{plugin}-{language}.wasm"
        if language == "rust":
            from dataflare_provider.toolchain.rust import build_rust

            build_rust(src, path, crate_name=plugin)
        elif language == "go":
            from dataflare_provider.toolchain.go import build_go

            build_go(src, path)
        else:
            from dataflare_provider.toolchain.assemblyscript import build_assemblyscript

            build_assemblyscript(src, path)
    BUILD_TIMES[plugin, language] = time.perf_counter() - start
    return path


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

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
EXAMPLE_DIRS = {"rust": "basic-transformer-rust", "go": "basic-transformer-go",
                "assemblyscript": "basic-transformer-ts"}  # fmt: skip
BUILD_TIMES: dict[str, float] = {}


def build_example(language: str, out_dir: Path) -> Path:
    """basic-transformer in ``language`` -> its .wasm (C: ``make -C examples``)."""
    start = time.perf_counter()
    if language == "c":
        subprocess.run(["make", "-s", "-C", str(EXAMPLES)], check=True)
        path = EXAMPLES / "basic-transformer" / "build" / "basic-transformer.wasm"
    else:
        src = EXAMPLES / EXAMPLE_DIRS[language]
        path = out_dir / f"basic-transformer-{language}.wasm"
        if language == "rust":
            from dataflare_provider.toolchain.rust import build_rust

            build_rust(src, path, crate_name="basic-transformer")
        elif language == "go":
            from dataflare_provider.toolchain.go import build_go

            build_go(src, path)
        else:
            from dataflare_provider.toolchain.assemblyscript import build_assemblyscript

            build_assemblyscript(src, path)
    BUILD_TIMES[language] = time.perf_counter() - start
    return path


@pytest.fixture(scope="session")
def sdk_build(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``sdk_build(language)`` -> basic-transformer built with that SDK (built once)."""
    out_dir = tmp_path_factory.mktemp("sdk-builds")
    built: dict[str, Path] = {}

    def get(language: str) -> Path:
        if language not in built:
            built[language] = build_example(language, out_dir)
        return built[language]

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

"""Shared fixtures: an isolated DATAFLARE_HOME and C test plugins built from source."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_PLUGINS = ROOT / "tests" / "plugins"


@pytest.fixture(scope="session", autouse=True)
def dataflare_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test session gets its own registry and AOT cache."""
    home = tmp_path_factory.mktemp("dataflare-home")
    old = os.environ.get("DATAFLARE_HOME")
    os.environ["DATAFLARE_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("DATAFLARE_HOME", None)
    else:
        os.environ["DATAFLARE_HOME"] = old


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wasm-build")


@pytest.fixture(scope="session")
def test_plugin(build_dir: Path):  # type: ignore[no-untyped-def]
    """``test_plugin("echo")`` -> path of tests/plugins/echo.c compiled to wasm (built once)."""
    from dataflare_provider.toolchain.c import compile_c

    built: dict[str, Path] = {}

    def build(name: str) -> Path:
        if name not in built:
            src = TEST_PLUGINS / f"{name}.c"
            digest = hashlib.sha256(src.read_bytes() + (TEST_PLUGINS / "raw.h").read_bytes())
            out = build_dir / f"{name}-{digest.hexdigest()[:8]}.wasm"
            if not out.exists():
                compile_c([src], out, include_dirs=[TEST_PLUGINS])
            built[name] = out
        return built[name]

    return build


EXAMPLES = ROOT / "examples"
C_EXAMPLES = ("basic-transformer", "row-filter", "streaming-aggregator")


@pytest.fixture(scope="session")
def example_plugins() -> dict[str, Path]:
    """The C example plugins, built from source by ``make -C examples``: name -> .wasm path."""
    import subprocess

    subprocess.run(["make", "-s", "-C", str(EXAMPLES)], check=True)
    return {name: EXAMPLES / name / "build" / f"{name}.wasm" for name in C_EXAMPLES}


@pytest.fixture(scope="session")
def published_examples(example_plugins: dict[str, Path], dataflare_home: Path) -> dict[str, str]:
    """The C examples published (unsigned) to the session's local registry: name -> reference."""
    from dataflare_provider.registry import RegistryClient

    refs = {}
    with RegistryClient() as client:
        for name, wasm in example_plugins.items():
            result = client.publish(wasm, EXAMPLES / name / "plugin.toml")
            refs[name] = f"dataflare/{name}:^1.0"  # resolved against the published tags
            assert result.digest
    return refs

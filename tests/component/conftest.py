"""Session fixtures for component tests: plugins built once from source by componentize-py and
compiled once into an AOT cache shared by the session (a build + compile is ~25 s each)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "python"
if str(SDK) not in sys.path:
    sys.path.insert(0, str(SDK))


@pytest.fixture(scope="session")
def component_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("component-builds")


@pytest.fixture(scope="session")
def component_cache(dataflare_home: Path):  # type: ignore[no-untyped-def]
    """The process-wide AOT cache, in the session's DATAFLARE_HOME: ``load_plugin``, the CLI and
    the operator (also in subprocesses, which inherit DATAFLARE_HOME) find the compiled
    components there instead of compiling them again."""
    from dataflare_provider.runtime.cache import default_cache

    return default_cache


SOURCES = {
    "json-enrich": ROOT / "examples" / "python-json-enrich" / "src",
    "probe": Path(__file__).parent / "plugins" / "probe",
}


@pytest.fixture(scope="session")
def built_components(component_build_dir: Path) -> dict[str, Path]:
    """Every test component built from source, the componentize-py runs side by side."""
    from concurrent.futures import ThreadPoolExecutor

    from dataflare_provider.runtime.component.build import build_python_plugin

    outs = {name: component_build_dir / f"{name}.wasm" for name in SOURCES}
    with ThreadPoolExecutor(len(SOURCES)) as pool:
        for future in [pool.submit(build_python_plugin, SOURCES[n], outs[n]) for n in SOURCES]:
            future.result()
    return outs


@pytest.fixture(scope="session")
def json_enrich_wasm(built_components: dict[str, Path]) -> Path:
    return built_components["json-enrich"]


@pytest.fixture(scope="session")
def probe_wasm(built_components: dict[str, Path]) -> Path:
    return built_components["probe"]


@pytest.fixture(scope="session")
def json_enrich(json_enrich_wasm: Path, component_cache):  # type: ignore[no-untyped-def]
    from dataflare_provider.runtime.component import ComponentPlugin

    return ComponentPlugin.from_file(json_enrich_wasm, name="json-enrich", cache=component_cache)


@pytest.fixture(scope="session")
def probe(probe_wasm: Path, component_cache):  # type: ignore[no-untyped-def]
    from dataflare_provider.runtime.component import ComponentPlugin

    return ComponentPlugin.from_file(probe_wasm, name="probe", cache=component_cache)

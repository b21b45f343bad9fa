"""Paths and builders shared by the SDK tests (imported as a plain module, like the registry
tests' helpers)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

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

"""Case 4: plugin load, compile from scratch vs the AOT cache, each in a fresh process.

Small: examples/basic-transformer. Large: benchmarks/plugins/large_plugin.c with a generated
multi-MB body. Every figure is the median over fresh ``benchmarks.load_child`` processes after one
warm-up process (which also fills the cache the cached loads read).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import peers
from benchmarks.config import Sizes
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import median

ROOT = Path(__file__).resolve().parents[1]


def child(wasm: Path, config: dict[str, Any], home: Path) -> dict[str, Any]:
    env = {**os.environ, "DATAFLARE_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.load_child", str(wasm), json.dumps(config)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"load_child {wasm.name} failed:\n{proc.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(wasm: Path, config: dict[str, Any], sizes: Sizes, work: Path) -> dict[str, Any]:
    warm = work / f"{wasm.stem}-cached"
    first = child(wasm, config, warm)  # warm-up; compiles into `warm`
    assert first["source"] == "compiled", first
    compiled = []
    for i in range(sizes.compile_reps):
        r = child(wasm, config, work / f"{wasm.stem}-fresh-{i}")
        assert r["source"] == "compiled", r
        compiled.append(r)
    cached = []
    for _ in range(sizes.load_reps):
        r = child(wasm, config, warm)
        assert r["source"] == "disk", r
        cached.append(r)

    def med(rows: list[dict[str, Any]], key: str) -> float:
        return round(median([r[key] for r in rows]), 3)

    return {
        "module_bytes": wasm.stat().st_size,
        "artifact_bytes": cached[0]["artifact_bytes"],
        "compile_ms": med(compiled, "load_ms"),
        "load_cached_ms": med(cached, "load_ms"),
        "load_cached_cpu_ms": med(cached, "load_cpu_ms"),
        "second_load_in_process_ms": med(cached, "second_load_ms"),
        "cached_sha256_ms": med(cached, "sha256_ms"),
        "cached_deserialize_file_ms": med(cached, "deserialize_file_ms"),
        "instantiate_ms": med(cached, "instantiate_ms"),
    }


def run(sizes: Sizes, out: Results) -> None:
    plugins: dict[str, tuple[Path, dict[str, Any]]] = {
        "small": (build.example("basic-transformer"), peers.DERIVE_CONFIG),
        "large": (build.large_plugin(sizes.large), {"mix": 1}),
    }
    details = {}
    with tempfile.TemporaryDirectory(prefix="dataflare-bench-load-") as tmp:
        for label, (wasm, config) in plugins.items():
            d = details[label] = measure(wasm, config, sizes, Path(tmp))
            out.figure(f"load_cached_ms_{label}", d["load_cached_ms"])
            out.figure(f"load_cached_cpu_ms_{label}", d["load_cached_cpu_ms"])
            out.figure(f"compile_ms_{label}", d["compile_ms"])
            out.figure(f"instantiate_ms_{label}", d["instantiate_ms"])
    out.figure("large_plugin_mb", details["large"]["module_bytes"] / 1e6)
    out.details["load"] = details

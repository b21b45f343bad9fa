"""One plugin load in a fresh process: ``python -m benchmarks.load_child WASM CONFIG_JSON``.

The parent sets ``DATAFLARE_HOME`` (an empty directory to time a compile, a warmed one to time an
AOT-cache load). Imports and the shared engine are set up before the clock starts: what is timed is
what a task pays per plugin. Prints one JSON object.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    import wasmtime

    from dataflare_provider.runtime import EngineConfig, Plugin, get_engine
    from dataflare_provider.runtime.cache import CompiledCache, default_cache

    path, config = Path(argv[0]), json.loads(argv[1])
    engine = get_engine(EngineConfig())
    start, cpu = time.perf_counter(), time.thread_time()
    plugin = Plugin.from_file(path, name=path.stem)
    load_s, load_cpu_s = time.perf_counter() - start, time.thread_time() - cpu
    start = time.perf_counter()
    inst = plugin.instantiate(config)
    instantiate_s = time.perf_counter() - start
    inst.close()
    result = {
        "source": plugin.load_source,
        "load_ms": load_s * 1e3,
        "load_cpu_ms": load_cpu_s * 1e3,
        "instantiate_ms": instantiate_s * 1e3,
    }
    # the same load again in this (now warm) process: the per-plugin part of the first load
    default_cache.clear_memory()
    start = time.perf_counter()
    again = Plugin.from_file(path, name=path.stem)
    result["second_load_ms"] = (time.perf_counter() - start) * 1e3
    result["second_source"] = again.load_source
    if plugin.load_source == "disk":  # where the cached load goes (the page cache is warm now)
        wasm = path.read_bytes()
        cache = CompiledCache()
        artifact = cache.path_for(plugin.digest, EngineConfig())
        start = time.perf_counter()
        hashlib.sha256(wasm).hexdigest()
        result["sha256_ms"] = (time.perf_counter() - start) * 1e3
        start = time.perf_counter()
        wasmtime.Module.deserialize_file(engine, str(artifact))
        result["deserialize_file_ms"] = (time.perf_counter() - start) * 1e3
        result["artifact_bytes"] = artifact.stat().st_size
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

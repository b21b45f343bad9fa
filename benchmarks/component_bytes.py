"""``component_bytes_mb_s``: MB/s of ``list<u8>`` payload through a component ``process-batch``
call (lowering + guest + lifting of the same bytes back), with the bulk numpy lowering.

Run ``python benchmarks/component_bytes.py`` (builds the SDK's ``Identity`` processor with
componentize-py on first use, ~25 s; later runs reuse the build and the AOT cache) or call
:func:`measure_component_bytes_mb_s`. ``--baseline`` also measures wasmtime-py's own per-element
conversion for comparison.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]


def identity_component() -> Path:
    """The SDK's ``Identity`` processor built into a component (cached under DATAFLARE_HOME)."""
    from dataflare_provider.runtime.component.build import build_python_plugin, sdk_dir
    from dataflare_provider.settings import dataflare_home

    out = dataflare_home() / "builds" / "identity.wasm"
    build_python_plugin(
        sdk_dir(), out, entry="dataflare_plugin.builtin:Identity", world="processor"
    )
    return out


def _batch(total_bytes: int, record_bytes: int) -> pa.RecordBatch:
    n = max(1, total_bytes // record_bytes)
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, n * record_bytes, dtype=np.uint8).tobytes()
    payloads = [data[i * record_bytes : (i + 1) * record_bytes] for i in range(n)]
    return pa.record_batch(
        {"id": [str(i) for i in range(n)], "payload": pa.array(payloads, pa.binary())}
    )


def measure_with_plugin(
    plugin: Any, total_bytes: int = 1 << 20, record_bytes: int = 16 << 10, repeats: int = 5
) -> float:
    """Best-of-``repeats`` payload MB/s of ``plugin`` (an identity-like ComponentPlugin)."""
    from dataflare_provider.runtime.component import ComponentPlugin, RecordMapping

    plugin = ComponentPlugin(plugin._wasm, name=plugin.name, digest=plugin.digest,
                             cache=plugin._cache, mapping=RecordMapping(payload_column="payload"),
                             max_call_bytes=max(total_bytes, 1 << 20))  # fmt: skip
    batch = _batch(total_bytes, record_bytes)
    payload = sum(len(p) for p in batch.column("payload").to_pylist())
    best = float("inf")
    with plugin.instantiate({}) as inst:
        inst.process(batch)  # warm-up (first call imports inside the guest)
        for _ in range(repeats):
            start = time.perf_counter()
            result = inst.process(batch)
            best = min(best, time.perf_counter() - start)
    assert result.output is not None and result.output.column("payload").equals(
        batch.column("payload")
    ), "identity plugin changed the payload"
    return payload / best / 1e6


def measure_component_bytes_mb_s(total_bytes: int = 1 << 20, repeats: int = 5) -> float:
    """Payload MB/s through ``process-batch`` of the Identity component (1 MiB per call)."""
    from dataflare_provider.runtime.component import ComponentPlugin

    plugin = ComponentPlugin.from_file(identity_component(), name="identity")
    return measure_with_plugin(plugin, total_bytes=total_bytes, repeats=repeats)


def measure_baseline_mb_s(total_bytes: int = 100_000) -> float:
    """The same call through wasmtime-py's ``Func.__call__`` (per-element Python conversion)."""
    from dataflare_provider.runtime.component import ComponentPlugin

    plugin = ComponentPlugin.from_file(identity_component(), name="identity")
    return measure_baseline_with_plugin(plugin, total_bytes)


def measure_baseline_with_plugin(plugin: Any, total_bytes: int = 100_000) -> float:
    """``Func.__call__`` MB/s of one record of ``total_bytes`` through ``plugin``."""
    import wasmtime
    from wasmtime.component import Record

    with plugin.instantiate({}) as inst:
        func = inst._funcs["process-batch"]
        rec = Record()
        rec.id, rec.timestamp, rec.payload, rec.metadata = "0", 0, bytes(total_bytes), []
        assert isinstance(inst.store, wasmtime.Store)
        func(inst.store, [rec])
        func.post_return(inst.store)
        start = time.perf_counter()
        func(inst.store, [rec])
        func.post_return(inst.store)
        return total_bytes / (time.perf_counter() - start) / 1e6


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "sdk" / "python"))
    figures = {"component_bytes_mb_s": round(measure_component_bytes_mb_s(), 2)}
    if "--baseline" in sys.argv:
        figures["component_bytes_baseline_mb_s"] = round(measure_baseline_mb_s(), 3)
    print(json.dumps(figures))

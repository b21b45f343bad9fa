"""Memory figures in a fresh process: ``python -m benchmarks.memory_child MODE WASM N ROWS``.

``idle``: RSS growth per instance while ``N`` more instances are created, initialised and kept
(never given data), then per instance after each processed one ``ROWS``-row batch.
``stream``: RSS growth of one instance over ``N`` batches of ``ROWS`` rows (after a warm-up of
200 batches, so linear memory and allocator pools have reached their working size).
Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks import peers
from benchmarks.data import mixed_batch
from benchmarks.rss import rss_kib

CONFIG: dict[str, Any] = {**peers.DERIVE_CONFIG, **peers.LOWER_CONFIG}


def idle(wasm: Path, n: int, rows: int) -> dict[str, Any]:
    from dataflare_provider.runtime import Plugin

    plugin = Plugin.from_file(wasm)
    batch = mixed_batch(rows)
    warm = plugin.instantiate(CONFIG)  # first instance pays one-time costs
    warm.process(batch)
    before = rss_kib()
    instances = [plugin.instantiate(CONFIG) for _ in range(n)]
    after_idle = rss_kib()
    for inst in instances:
        inst.process(batch)
    after_call = rss_kib()
    for inst in instances:
        inst.close()
    return {
        "instances": n,
        "idle_instance_kib": (after_idle - before) / n,
        "active_instance_kib": (after_call - before) / n,
        "guest_memory_kib": instances[0].mem.size / 1024 if hasattr(instances[0], "mem") else None,
    }


def stream(wasm: Path, n: int, rows: int) -> dict[str, Any]:
    from dataflare_provider.runtime import Plugin

    plugin = Plugin.from_file(wasm)
    batch = mixed_batch(rows)
    samples = []
    with plugin.instantiate(CONFIG) as inst:
        for _ in range(200):
            inst.process(batch)
        start = rss_kib()
        step = max(1, n // 10)
        for i in range(1, n + 1):
            inst.process(batch)
            if i % step == 0:
                samples.append(round(rss_kib() - start, 1))
        end = rss_kib()
    return {"batches": n, "rows": rows, "rss_growth_kib": end - start, "samples_kib": samples}


def main(argv: list[str]) -> int:
    mode, wasm, n, rows = argv[0], Path(argv[1]), int(argv[2]), int(argv[3])
    result = {"idle": idle, "stream": stream}[mode](wasm, n, rows)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Case 6: RSS per idle instance (over 100) and RSS growth over 10,000 batches through one instance.

Each repetition is a fresh ``benchmarks.memory_child`` process (examples/basic-transformer with an
int64 derive and a utf8 lowercase, on a batch with both column kinds); figures are medians.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.config import Sizes
from benchmarks.plugins import build
from benchmarks.results import Results
from benchmarks.timing import median

ROOT = Path(__file__).resolve().parents[1]


def child(mode: str, wasm: Path, n: int, rows: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory_child", mode, str(wasm), str(n), str(rows)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"memory_child {mode} failed:\n{proc.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run(sizes: Sizes, out: Results) -> None:
    wasm = build.example("basic-transformer")
    idle = [child("idle", wasm, sizes.idle_instances, 1_024) for _ in range(sizes.memory_reps)]
    streams = [
        child("stream", wasm, sizes.rss_batches, sizes.rss_batch_rows)
        for _ in range(sizes.memory_reps)
    ]
    out.figure("idle_instance_kib", median([r["idle_instance_kib"] for r in idle]))
    out.figure("active_instance_kib", median([r["active_instance_kib"] for r in idle]))
    # named for the 10,000 batches (``--smoke`` runs fewer: see details.memory.stream)
    out.figure("rss_growth_10k_batches_kib", median([r["rss_growth_kib"] for r in streams]))
    out.details["memory"] = {"idle": idle, "stream": streams}

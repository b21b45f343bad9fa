"""Case 8: MB/s of ``list<u8>`` payload through a component call (the component path).

Runs ``benchmarks/component_bytes.py`` (owned by the component work) in a fresh process when it
exists; the case is skipped, with the reason in ``skipped``, when it does not or cannot run here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.config import Sizes
from benchmarks.results import Results

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "component_bytes.py"
KEY = "component_bytes_mb_s"


def _built() -> bool:
    """Whether component_bytes.py's Identity component is already built (its cache location)."""
    from dataflare_provider.settings import dataflare_home

    return (dataflare_home() / "builds" / "identity.wasm").exists()


def run(sizes: Sizes, out: Results) -> None:
    if sizes.component == "never":
        out.skipped[KEY] = f"not run in --{sizes.mode} mode"
        return
    if not SCRIPT.exists():
        out.skipped[KEY] = "benchmarks/component_bytes.py not present"
        return
    if sizes.component == "if-built" and not _built():
        out.skipped[KEY] = (
            "component not built yet (~30 s): run `python benchmarks/component_bytes.py` or a full run"
        )
        return
    try:
        proc = subprocess.run(
            [sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=600
        )
    except subprocess.TimeoutExpired:
        out.skipped[KEY] = "component_bytes.py timed out"
        return
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        out.skipped[KEY] = f"component_bytes.py failed: {tail}"
        return
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    out.figure(KEY, float(figures[KEY]))

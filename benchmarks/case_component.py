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


def run(sizes: Sizes, out: Results) -> None:
    if not sizes.component:
        out.skipped["component_bytes_mb_s"] = f"not run in --{sizes.mode} mode"
        return
    if not SCRIPT.exists():
        out.skipped["component_bytes_mb_s"] = "benchmarks/component_bytes.py not present"
        return
    try:
        proc = subprocess.run(
            [sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=600
        )
    except subprocess.TimeoutExpired:
        out.skipped["component_bytes_mb_s"] = "component_bytes.py timed out"
        return
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        out.skipped["component_bytes_mb_s"] = f"component_bytes.py failed: {tail}"
        return
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    out.figure("component_bytes_mb_s", float(figures["component_bytes_mb_s"]))

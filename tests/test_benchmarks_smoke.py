"""The performance suite's machinery runs (``python -m benchmarks --smoke``): no timing asserted.

Timings are judged by ``python -m benchmarks --quick --check benchmarks/baseline.json`` (see
docs/performance.md), never by tests: the machines are shared and noisy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level package of the checkout, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks.check import compare  # noqa: E402
from benchmarks.results import Results  # noqa: E402
from benchmarks.targets import TARGETS  # noqa: E402

REQUIRED_RATIOS = {
    "int64_map_vs_pyarrow", "int64_map_vs_numpy", "int64_map_vs_python_loop",
    "int64_map_vs_extism", "utf8_lower_vs_pyarrow", "utf8_lower_vs_python_loop",
    "filter_vs_pyarrow", "parallel_2_vs_1",
}  # fmt: skip
REQUIRED_FIGURES = {
    "load_cached_ms_small", "load_cached_ms_large", "compile_ms_large", "crossing_us",
    "idle_instance_kib", "rss_growth_10k_batches_kib",
}  # fmt: skip


def bench(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", *args],
        cwd=ROOT, env={**os.environ, "DATAFLARE_HOME": str(tmp / "home")},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("bench")
    proc = bench(tmp, "--json", str(tmp / "smoke.json"))
    assert proc.returncode == 0, proc.stderr[-4000:]
    data: dict[str, object] = json.loads((tmp / "smoke.json").read_text())
    data["_stdout"] = proc.stdout
    return data


def test_smoke_run_reports_every_issue_key(smoke: dict[str, object]) -> None:
    ratios, figures = smoke["ratios"], smoke["figures"]
    assert isinstance(ratios, dict) and isinstance(figures, dict)
    assert set(ratios) >= REQUIRED_RATIOS, REQUIRED_RATIOS - set(ratios)
    assert set(figures) >= REQUIRED_FIGURES, REQUIRED_FIGURES - set(figures)
    assert all(isinstance(v, float | int) and v > 0 for v in ratios.values())
    assert {t.key for t in TARGETS} <= set(ratios) | set(figures)
    cpu_ratios = smoke["cpu_ratios"]
    assert isinstance(cpu_ratios, dict) and "int64_map_vs_pyarrow" in cpu_ratios


def test_smoke_run_records_environment_and_prints_table(smoke: dict[str, object]) -> None:
    env = smoke["env"]
    assert isinstance(env, dict)
    assert env["mode"] == "smoke" and env["load_average_start"] and env["packages"]["wasmtime"]
    out = smoke["_stdout"]
    assert isinstance(out, str) and "crossing_us" in out and "target" in out
    details = smoke["details"]
    assert isinstance(details, dict) and details["batch_size_sweep"]


def test_check_fails_on_a_drop_beyond_30_percent() -> None:
    baseline = Results(ratios={"a": 1.0, "b": 1.0, "c": 1.0})
    current = Results(ratios={"a": 0.71, "b": 0.69}, skipped={"c": "no extism"})
    lines = compare(current, baseline)
    assert [line.split()[0] for line in lines] == ["ok", "FAIL", "FAIL"]
    assert "no extism" in lines[2]


def test_check_judges_single_threaded_ratios_by_cpu_time() -> None:
    baseline = Results(ratios={"a": 1.0, "b": 1.0}, cpu_ratios={"a": 1.0, "b": 1.0})
    current = Results(ratios={"a": 0.5, "b": 1.0}, cpu_ratios={"a": 0.95, "b": 0.6})
    lines = compare(current, baseline)
    assert [line.split()[0] for line in lines] == ["ok", "FAIL"]
    assert "cpu 0.6" in lines[1]


def test_check_mode_exit_status(tmp_path: Path) -> None:
    for base, expected in ((1e-6, 0), (1e6, 1)):
        path = tmp_path / f"baseline-{expected}.json"
        Results(ratios={"parallel_2_vs_1": base}).write(path)
        proc = bench(tmp_path, "--only", "parallel", "--check", str(path))
        assert proc.returncode == expected, proc.stdout + proc.stderr[-2000:]
        assert ("FAIL parallel_2_vs_1" in proc.stdout) == bool(expected)

"""The SDKs' own unit tests (native builds of their JSON readers) and static checks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sdk_support import ROOT

SDK = ROOT / "sdk"


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})  # fmt: skip
    assert proc.returncode == 0, f"{' '.join(cmd)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def test_rust_sdk_unit_tests(tmp_path: Path) -> None:
    rustc = shutil.which("rustc") or "/usr/bin/rustc"
    exe = tmp_path / "dataflare-tests"
    _run(
        [
            rustc,
            "--edition",
            "2021",
            "--test",
            str(SDK / "rust" / "src" / "lib.rs"),
            "-o",
            str(exe),
        ],
        tmp_path,
    )
    assert "test result: ok" in _run([str(exe)], tmp_path)


def test_go_sdk_unit_tests_and_vet() -> None:
    from dataflare_provider.toolchain.go import find_go

    go = find_go()
    env = {"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    assert "ok" in _run([go, "test", "./"], SDK / "go", env)
    _run([go, "vet", "./..."], SDK / "go", {**env, "GOOS": "wasip1", "GOARCH": "wasm"})

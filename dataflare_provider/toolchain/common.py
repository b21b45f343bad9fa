"""Shared helpers of the guest toolchains: the SDK location, running a tool, wasm-opt."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from dataflare_provider.errors import ConfigError, PluginLoadError

SDK_ROOT = Path(__file__).resolve().parents[2] / "sdk"
# Features wasmtime enables by default that the toolchains here emit.
WASM_OPT_FEATURES = ("--enable-bulk-memory", "--enable-sign-ext", "--enable-mutable-globals",
                     "--enable-nontrapping-float-to-int", "--enable-simd", "--enable-multivalue")  # fmt: skip


class BuildError(PluginLoadError):
    """A toolchain failed; the message holds its output."""


def sdk_dir(language: str) -> Path:
    """``sdk/<language>`` of this checkout (the SDKs are not part of the wheel)."""
    path = SDK_ROOT / language
    if not path.is_dir():
        raise ConfigError(f"the {language} SDK is not at {path} (use a source checkout)")
    return path


def run_tool(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    what: str,
    timeout: float = 900,
) -> str:
    """Run a build command; :class:`BuildError` with its output if it fails."""
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=full_env, capture_output=True,
                              text=True, timeout=timeout, check=False)  # fmt: skip
    except FileNotFoundError as exc:
        raise ConfigError(f"{what}: {exc.filename} not found") from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what} timed out after {timeout:g} s") from None
    if proc.returncode != 0:
        output = (proc.stderr + proc.stdout).strip()
        raise BuildError(f"{what} failed ({proc.returncode}):\n{output[-6000:]}")
    return proc.stdout + proc.stderr


def install(built: Path, output: Path) -> Path:
    """Move a finished build to ``output`` atomically (a reader never sees a partial module)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, output)
    return output


def scratch(output: Path) -> Path:
    """A temporary file next to ``output`` for a tool to write."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{output.stem}-", suffix=".wasm", dir=output.parent)
    os.close(fd)
    return Path(name)


def find_wasm_opt() -> str | None:
    """binaryen's ``wasm-opt`` on PATH, or None."""
    return shutil.which("wasm-opt")


def optimize(path: Path, level: str = "-O3") -> tuple[int, int]:
    """Run ``wasm-opt`` on ``path`` in place; (size before, size after)."""
    tool = find_wasm_opt()
    if tool is None:
        raise ConfigError("wasm-opt not found (Debian: apt-get install binaryen)")
    before = path.stat().st_size
    tmp = scratch(path)
    try:
        run_tool([tool, level, *WASM_OPT_FEATURES, str(path), "-o", str(tmp)], what="wasm-opt")
        install(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return before, path.stat().st_size

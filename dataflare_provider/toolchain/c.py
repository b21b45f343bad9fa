"""Build C plugins with clang's wasm32-wasi target (Debian: clang-19, lld-19, wasi-libc)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from dataflare_provider.errors import ConfigError

CLANG_CANDIDATES = ("clang-19", "clang-20", "clang-18", "clang")
SYSROOT_CANDIDATES = ("/usr", "/opt/wasi-sdk/share/wasi-sysroot", "/usr/share/wasi-sysroot")
SDK_INCLUDE = Path(__file__).resolve().parents[2] / "sdk" / "c"


def find_clang() -> str:
    """The first clang on PATH that can target wasm32-wasi."""
    for name in CLANG_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise ConfigError(
        "no clang found for wasm32-wasi; on Debian: apt-get install clang-19 lld-19 wasi-libc "
        "libclang-rt-19-dev-wasm32"
    )


def find_sysroot() -> str:
    for root in SYSROOT_CANDIDATES:
        if (Path(root) / "lib" / "wasm32-wasi" / "libc.a").exists():
            return root
    raise ConfigError("no wasi-libc sysroot found (Debian: apt-get install wasi-libc)")


def compile_c(
    sources: Sequence[Path],
    output: Path,
    *,
    include_dirs: Sequence[Path] = (),
    optimize: str = "-O2",
    extra_flags: Sequence[str] = (),
) -> Path:
    """Compile ``sources`` into a WASI reactor module at ``output``; returns ``output``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        find_clang(), "--target=wasm32-wasi", f"--sysroot={find_sysroot()}", optimize,
        "-mexec-model=reactor", "-Wl,--strip-debug", "-o", str(output),
        *(f"-I{d}" for d in (SDK_INCLUDE, *include_dirs)), *extra_flags, *map(str, sources),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ConfigError(f"clang failed ({proc.returncode}):\n{proc.stderr.strip()}")
    return output

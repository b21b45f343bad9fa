"""Build Rust plugins with a rustc that has a wasm32 WASI target.

Debian's ``rustc`` + ``libstd-rust-dev-wasm32`` (1.63, target ``wasm32-wasi``) works offline; a
rustup toolchain works once ``rustup target add wasm32-wasip1`` has run. The SDK crate
(``sdk/rust``, no dependencies) is compiled to an rlib once per toolchain and SDK version, then
the plugin's ``src/lib.rs`` to a ``cdylib`` linked with ``crt1-reactor.o`` (so the module is a
WASI reactor exporting ``_initialize``, and its exports are not command-style wrappers).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dataflare_provider.errors import ConfigError
from dataflare_provider.toolchain.common import BuildError, install, run_tool, scratch, sdk_dir

RUSTC_CANDIDATES = ("rustc", "/usr/bin/rustc")
TARGETS = ("wasm32-wasip1", "wasm32-wasi")


@dataclass(frozen=True)
class RustToolchain:
    rustc: str
    target: str
    sysroot: Path
    version: str

    @property
    def reactor_object(self) -> Path | None:
        p = (
            self.sysroot
            / "lib"
            / "rustlib"
            / self.target
            / "lib"
            / "self-contained"
            / "crt1-reactor.o"
        )
        return p if p.exists() else None


def find_rust() -> RustToolchain:
    """The first rustc whose sysroot has a wasm32 WASI standard library."""
    tried = []
    for name in RUSTC_CANDIDATES:
        path = shutil.which(name)
        if path is None:
            continue
        try:
            sysroot = subprocess.run([path, "--print", "sysroot"], capture_output=True, text=True,
                                     check=True).stdout.strip()  # fmt: skip
            version = subprocess.run([path, "--version"], capture_output=True, text=True,
                                     check=True).stdout.strip()  # fmt: skip
        except (OSError, subprocess.CalledProcessError):
            continue
        for target in TARGETS:
            if (Path(sysroot) / "lib" / "rustlib" / target / "lib").is_dir():
                return RustToolchain(path, target, Path(sysroot), version)
        tried.append(f"{path} ({version})")
    raise ConfigError(
        "no rustc with a wasm32 WASI target"
        + (f" (tried {', '.join(tried)})" if tried else "")
        + ": run `rustup target add wasm32-wasip1`, or on Debian "
        "`apt-get install rustc libstd-rust-dev-wasm32`"
    )


def _sdk_rlib(tc: RustToolchain, cache_dir: Path) -> Path:
    src = sdk_dir("rust") / "src"
    h = hashlib.sha256(f"{tc.version}|{tc.target}".encode())
    for f in sorted(src.rglob("*.rs")):
        h.update(f.name.encode() + f.read_bytes())
    out = cache_dir / f"libdataflare-{h.hexdigest()[:12]}.rlib"
    if not out.exists():
        tmp = scratch(out).with_suffix(".rlib")
        run_tool([tc.rustc, "--edition", "2021", "--target", tc.target, "--crate-type", "rlib",
                  "--crate-name", "dataflare", "-C", "opt-level=3", "-C", "panic=abort",
                  src / "lib.rs", "-o", tmp], what="rustc (Rust SDK)")  # fmt: skip
        install(tmp, out)
    return out


def build_rust(project: Path, output: Path, *, crate_name: str = "plugin") -> Path:
    """Compile ``project/src/lib.rs`` (using the ``dataflare`` crate) into ``output``."""
    tc = find_rust()
    rlib = _sdk_rlib(tc, output.parent / ".rust-sdk")
    tmp = scratch(output)
    base = [tc.rustc, "--edition", "2021", "--target", tc.target, "--crate-type", "cdylib",
            "--crate-name", crate_name.replace("-", "_"), "-C", "opt-level=3", "-C", "lto",
            "-C", "panic=abort", "-C", "strip=symbols", "--extern", f"dataflare={rlib}",
            "-L", str(rlib.parent), str(project / "src" / "lib.rs"), "-o", str(tmp)]  # fmt: skip
    try:
        reactor = tc.reactor_object
        try:
            run_tool(base + (["-C", f"link-arg={reactor}"] if reactor else []), what="rustc")
        except BuildError as exc:
            if reactor is None or "duplicate symbol" not in exc.message:
                raise
            run_tool(base, what="rustc")  # this toolchain links the reactor start itself
        return install(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)

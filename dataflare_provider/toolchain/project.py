"""Plugin projects: what ``dataflare plugin new`` writes and ``build``/``test`` read.

A project is a directory with ``plugin.toml`` (the manifest, ``docs/manifest.md``), the source in
one of the SDK languages, ``fixtures/`` (a vector set, ``docs/testing-plugins.md``) and
``tests/``. The language is recognised from the files: ``Cargo.toml`` (Rust), ``go.mod`` (Go),
``package.json`` + ``assembly/`` (AssemblyScript), ``src/*.py`` (Python component), ``*.c`` (C).
The module goes to ``build/<name>.wasm``.
"""

from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dataflare_provider.errors import ConfigError
from dataflare_provider.toolchain import common

LANGUAGES = ("c", "rust", "assemblyscript", "go", "python")


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    language: str
    manifest: dict[str, object]

    @property
    def output(self) -> Path:
        return self.root / "build" / f"{self.name}.wasm"

    @property
    def fixtures(self) -> Path:
        return self.root / "fixtures"


@dataclass(frozen=True)
class BuildReport:
    path: Path
    language: str
    seconds: float
    size: int
    size_before_optimize: int | None = None


def detect_language(root: Path) -> str:
    if (root / "Cargo.toml").exists():
        return "rust"
    if (root / "go.mod").exists():
        return "go"
    if (root / "package.json").exists() and (root / "assembly").is_dir():
        return "assemblyscript"
    if any((root / "src").glob("*.py")):
        return "python"
    if any(root.glob("*.c")) or any((root / "src").glob("*.c")):
        return "c"
    raise ConfigError(f"{root}: cannot tell the plugin's language (no Cargo.toml, go.mod, "
                      "package.json + assembly/, src/*.py or *.c)")  # fmt: skip


def load_project(root: str | Path = ".") -> Project:
    """The project in ``root`` (which must hold a ``plugin.toml``)."""
    root = Path(root).resolve()
    manifest_path = root / "plugin.toml"
    if not manifest_path.exists():
        raise ConfigError(f"{root}: no plugin.toml (is this a plugin project?)")
    try:
        manifest = tomllib.loads(manifest_path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{manifest_path}: {exc}") from None
    name = str(manifest.get("name") or root.name)
    return Project(root, name, detect_language(root), manifest)


def _build_c(project: Project, output: Path) -> None:
    from dataflare_provider.toolchain.c import compile_c

    sources = sorted(project.root.glob("*.c")) + sorted((project.root / "src").glob("*.c"))
    tmp = common.scratch(output)
    try:
        compile_c(sources, tmp, include_dirs=[project.root],
                  extra_flags=["-flto", "-mbulk-memory", "-msimd128", "-Wl,--strip-all"])  # fmt: skip
        common.install(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)


def _build_python(project: Project, output: Path) -> None:
    try:
        from dataflare_provider.runtime.component.build import build_python_plugin
    except ImportError as exc:  # pragma: no cover - the component engine is part of the package
        raise ConfigError(f"Python plugins need the component build module: {exc}") from None
    build_python_plugin(project.root / "src", output)


def build(project: Project, *, optimize: bool = False) -> BuildReport:
    """Build the project's module into ``build/<name>.wasm`` (and ``wasm-opt`` it)."""
    start = time.perf_counter()
    out = project.output
    if project.language == "c":
        _build_c(project, out)
    elif project.language == "rust":
        from dataflare_provider.toolchain.rust import build_rust

        build_rust(project.root, out, crate_name=project.name)
    elif project.language == "go":
        from dataflare_provider.toolchain.go import build_go

        build_go(project.root, out)
    elif project.language == "assemblyscript":
        from dataflare_provider.toolchain.assemblyscript import build_assemblyscript

        build_assemblyscript(project.root, out)
    else:
        _build_python(project, out)
    before = None
    if optimize:
        if project.language == "python":
            raise ConfigError("--optimize applies to core modules; a component is not rewritten")
        before, _ = common.optimize(out)
    return BuildReport(
        out, project.language, time.perf_counter() - start, out.stat().st_size, before
    )

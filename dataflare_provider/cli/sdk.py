"""Plugin author commands: ``dataflare plugin new | build | test``.

``new`` writes a ready project from ``dataflare_provider/templates`` (the reference
basic-transformer in C, Rust, Go or AssemblyScript; a record-level lowercaser in Python);
``build`` calls the language's toolchain (``dataflare_provider.toolchain``); ``test`` runs the
built module through the real runtime against ``fixtures/`` and, in a source checkout, the shared
vectors named by the fixtures (``tests/vectors/<plugin>``), printing a diff for every mismatch.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dataflare_provider.cli.app import plugin_app
from dataflare_provider.errors import DataFlareError
from dataflare_provider.testing import VectorReport, load_cases, run_vectors
from dataflare_provider.toolchain import project as projects

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SHARED_VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
SDK_DIRS = {"rust": "rust", "go": "go", "assemblyscript": "assemblyscript", "c": "c",
            "python": "python"}  # fmt: skip


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(1)


def render_template(language: str, dest: Path, values: dict[str, str]) -> list[Path]:
    """Copy ``templates/common`` then ``templates/<language>`` into ``dest``; ``*.tmpl`` files
    get ``{{key}}`` placeholders replaced and lose the suffix. Returns the files written."""
    written: list[Path] = []
    lang_dir = TEMPLATES / language
    own_fixtures = (lang_dir / "fixtures").is_dir()
    for base in (TEMPLATES / "common", lang_dir):
        for src in sorted(base.rglob("*")):
            rel = src.relative_to(base)
            if src.is_dir() or "__pycache__" in rel.parts:
                continue
            if base.name == "common" and own_fixtures and rel.parts[0] == "fixtures":
                continue
            name = ".gitignore" if rel.as_posix() == "gitignore" else rel.as_posix()
            target = dest / name.removesuffix(".tmpl")
            target.parent.mkdir(parents=True, exist_ok=True)
            if src.suffix == ".tmpl":
                text = src.read_text()
                for key, value in values.items():
                    text = text.replace("{{" + key + "}}", value)
                target.write_text(text)
            else:
                shutil.copyfile(src, target)
            written.append(target)
    return written


@plugin_app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Plugin name (lowercase, digits, '-')")],
    template: Annotated[
        str, typer.Option("--template", "-t", help="c, rust, assemblyscript, go or python")
    ] = "rust",
    directory: Annotated[
        Path, typer.Option("--dir", "-d", help="Parent directory of the new project")
    ] = Path("."),
    namespace: Annotated[str, typer.Option(help="Registry namespace in plugin.toml")] = "local",
) -> None:
    """Create a ready plugin project: plugin.toml, source, fixtures and a test."""
    template = {"ts": "assemblyscript", "typescript": "assemblyscript"}.get(template, template)
    if template not in projects.LANGUAGES:
        raise _fail(f"unknown template {template!r} (choose from {', '.join(projects.LANGUAGES)})")
    if not name or not all(c.isalnum() or c == "-" for c in name) or not name[0].isalpha():
        raise _fail(
            f"invalid plugin name {name!r}: use letters, digits and '-', starting with a letter"
        )
    dest = (directory / name).resolve()
    if dest.exists() and any(dest.iterdir()):
        raise _fail(f"{dest} exists and is not empty")
    sdk = Path(__file__).resolve().parents[2] / "sdk" / SDK_DIRS[template]
    values = {"name": name, "namespace": namespace, "language": template, "sdk_dir": str(sdk)}
    files = render_template(template, dest, values)
    out.print(f"created {template} plugin project {dest} ({len(files)} files)")
    out.print(f"  cd {dest} && dataflare plugin build && dataflare plugin test")


@plugin_app.command("build")
def build(
    directory: Annotated[Path, typer.Argument(help="Project directory")] = Path("."),
    optimize: Annotated[
        bool, typer.Option("--optimize", help="Run binaryen's wasm-opt -O3 on the module")
    ] = False,
) -> None:
    """Build the project's module into build/<name>.wasm with its language's toolchain."""
    try:
        proj = projects.load_project(directory)
        report = projects.build(proj, optimize=optimize)
    except DataFlareError as exc:
        raise _fail(exc.message) from None
    extra = ""
    if report.size_before_optimize is not None:
        extra = f", wasm-opt {report.size_before_optimize:,} -> {report.size:,} bytes"
    out.print(f"built {report.path} ({proj.language}, {report.size:,} bytes, "
              f"{report.seconds:.1f} s{extra})")  # fmt: skip


def _print_report(label: str, report: VectorReport, verbose: bool) -> None:
    out.print(f"{label}: {report.summary()}")
    for r in report.results:
        if not r.ok or verbose:
            out.print(str(r))


def vector_sets(fixtures: Path, extra: list[Path], shared: bool) -> list[tuple[str, Path]]:
    """(label, directory) of every vector set a project test runs."""
    sets: list[tuple[str, Path]] = []
    if (fixtures / "cases.json").exists():
        sets.append(("fixtures", fixtures))
        plugin = load_cases(fixtures).get("plugin", "")
        shared_dir = SHARED_VECTORS / str(plugin)
        if shared and plugin and (shared_dir / "cases.json").exists():
            sets.append((f"shared vectors {plugin}", shared_dir))
    for d in extra:
        named = SHARED_VECTORS / str(d)
        d = d if (d / "cases.json").exists() or not (named / "cases.json").exists() else named
        sets.append((f"vectors {d}", d))
    return sets


@plugin_app.command("test")
def test(
    directory: Annotated[Path, typer.Argument(help="Project directory")] = Path("."),
    wasm: Annotated[
        Path | None, typer.Option("--wasm", help="Test this module instead of building")
    ] = None,
    no_build: Annotated[bool, typer.Option("--no-build", help="Use the existing build")] = False,
    vectors: Annotated[
        list[Path] | None,
        typer.Option("--vectors", help="More vector sets (directory, or a shared set's name)"),
    ] = None,
    shared: Annotated[
        bool, typer.Option("--shared/--no-shared", help="Also run the shared vectors")
    ] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every case")] = False,
) -> None:
    """Run the plugin through the real runtime against its fixtures and the shared vectors."""
    # each expected error would otherwise log its lifecycle transition
    with contextlib.ExitStack() as stack:
        if not verbose:
            stack.enter_context(_quiet("dataflare_provider"))
        _run_plugin_tests(directory, wasm, no_build, vectors, shared, verbose)


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence a logger for the duration (restored after: the CLI also runs in-process)."""
    logger = logging.getLogger(logger_name)
    old = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(old)


def _run_plugin_tests(
    directory: Path,
    wasm: Path | None,
    no_build: bool,
    vectors: list[Path] | None,
    shared: bool,
    verbose: bool,
) -> None:
    try:
        if wasm is not None:
            module, fixtures = wasm, directory / "fixtures"
        else:
            proj = projects.load_project(directory)
            if not no_build:
                projects.build(proj)
            module, fixtures = proj.output, proj.fixtures
        sets = vector_sets(fixtures, list(vectors or []), shared)
        if not sets:
            raise _fail(f"nothing to test: no {fixtures}/cases.json and no --vectors")
        passed = failed = 0
        from dataflare_provider.runtime.loader import load_plugin

        plugin = load_plugin(module)
        for label, d in sets:
            report = run_vectors(plugin, d)
            _print_report(label, report, verbose)
            failed += len(report.failed)
            passed += len(report.results) - len(report.failed)
    except DataFlareError as exc:
        raise _fail(exc.message) from None
    out.print(f"{passed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)

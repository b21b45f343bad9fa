"""Scanning at publish and at pull: is this module what its manifest says, and will the sandbox
accept it? Checks: size bound; the module validates; it exports the ABI of its declared kind;
it imports only what the sandbox provides *and* what the manifest declares as capabilities; its
initial memory fits the manifest's memory limit; its ABI version is supported.

The scanner consumes the runtime's ``ModuleInfo`` (``runtime.inspect.inspect_module``: exports,
imports, memory limits, ABI version, sandbox violations) through :class:`ModuleFacts`, and adds
what only the manifest can tell: the declared kind, capabilities and memory limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from dataflare_provider.registry.errors import ScanError
from dataflare_provider.registry.manifest import PluginManifest

DEFAULT_MAX_SIZE = 64 << 20
WASM_PAGE = 65536
CORE_HEADER = b"\x00asm\x01\x00\x00\x00"
COMPONENT_HEADER = b"\x00asm\x0d\x00\x01\x00"

#: Which manifest capability covers which host import.
CAPABILITY_OF_MODULE: dict[str, str] = {"wasi_snapshot_preview1": "wasi"}
CAPABILITY_OF_HOST_FUNC: dict[str, str] = {
    "log": "log",
    "counter_add": "metrics",
    "histogram_record": "metrics",
}
KIND_EXPORT = {"processor": "dataflare_process", "sink": "dataflare_process",
               "source": "dataflare_read"}  # fmt: skip


@dataclass(frozen=True)
class ModuleFacts:
    """What the scanner needs to know about a module: a view of the runtime's ``ModuleInfo``."""

    exports: dict[str, str | None]
    imports: list[tuple[str, str]]  # (module, name)
    memory_min_bytes: int | None = None
    memory_max_bytes: int | None = None
    abi_version: int | None = None
    violations: list[str] = field(default_factory=list)  # the sandbox's verdict
    invalid: str | None = None  # set when the module does not validate


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning" | "info"
    code: str
    message: str


@dataclass
class ScanReport:
    """Scan outcome; ``ok`` when there is no error-level finding."""

    size: int
    is_component: bool
    findings: list[Finding] = field(default_factory=list)
    facts: ModuleFacts | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    def add(self, level: str, code: str, message: str) -> None:
        self.findings.append(Finding(level, code, message))

    def raise_for_errors(self, what: str) -> None:
        """Raise :class:`ScanError` listing every error finding."""
        if self.errors:
            raise ScanError(
                f"scan of {what} failed: " + "; ".join(f.message for f in self.errors),
                plugin=what,
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "is_component": self.is_component,
            "findings": [asdict(f) for f in self.findings],
            "facts": asdict(self.facts) if self.facts else None,
        }


def _split_import(text: str) -> tuple[str, str]:
    """``"dataflare.log: func (i32,i32,i32->)"`` -> ``("dataflare", "log")``."""
    left = text.split(": ", 1)[0]
    module, _, name = left.partition(".")
    return module, name


def inspect_facts(wasm: bytes) -> ModuleFacts:
    """Module facts from the runtime's inspector (``runtime.inspect.inspect_module``): it compiles
    through the runtime's AOT cache, applies the sandbox policy and runs
    ``dataflare_abi_version`` in the sandbox."""
    from dataflare_provider.runtime.inspect import inspect_module

    info = inspect_module(wasm)
    invalid = next((v for v in info.violations if v.startswith("not a valid WebAssembly")), None)
    return ModuleFacts(
        exports=dict(info.exports),
        imports=[_split_import(i) for i in info.imports],
        memory_min_bytes=info.memory_min_bytes,
        memory_max_bytes=info.memory_max_bytes,
        abi_version=info.abi_version,
        violations=[v for v in info.violations if v != invalid],
        invalid=invalid,
    )


def scan_module(
    wasm: bytes, manifest: PluginManifest, *, max_size: int = DEFAULT_MAX_SIZE
) -> ScanReport:
    """Scan ``wasm`` against ``manifest``; never raises for module problems (see the report)."""
    report = ScanReport(size=len(wasm), is_component=wasm[:8] == COMPONENT_HEADER)
    if len(wasm) > max_size:
        report.add("error", "size", f"module is {len(wasm)} bytes, over the {max_size} byte limit")
    if wasm[:8] not in (CORE_HEADER, COMPONENT_HEADER):
        report.add("error", "invalid", "not a WebAssembly binary (bad magic/version header)")
        return report
    if manifest.is_component != report.is_component:
        want = "a component" if manifest.is_component else "a core module"
        report.add("error", "abi", f"manifest abi {manifest.abi!r} needs {want}")
        return report
    if report.is_component:
        report.add("warning", "component", "component exports and imports are not scanned yet")
        return report
    facts = inspect_facts(wasm)
    if facts.invalid:
        report.add("error", "invalid", "module does not validate: " + facts.invalid.splitlines()[0])
        return report
    report.facts = facts
    for v in facts.violations:  # imports, exports and ABI version, as the sandbox sees them
        if "(processor) or" not in v:  # the kind check below is more precise
            report.add("error", "sandbox", v)
    _check_kind(report, facts, manifest)
    _check_capabilities(report, facts, manifest)
    _check_memory(report, facts, manifest)
    return report


def _check_kind(report: ScanReport, facts: ModuleFacts, manifest: PluginManifest) -> None:
    needed = KIND_EXPORT[manifest.kind]
    if needed not in facts.exports:
        report.add("error", "export", f"kind {manifest.kind!r} needs export '{needed}'")
    if manifest.kind == "source" and "dataflare_process" in facts.exports:
        report.add("warning", "export", "source plugin also exports dataflare_process")


def _check_capabilities(report: ScanReport, facts: ModuleFacts, manifest: PluginManifest) -> None:
    declared = set(manifest.capabilities)
    used: set[str] = set()
    for module, name in facts.imports:
        cap = CAPABILITY_OF_MODULE.get(module)
        if module == "dataflare":
            cap = CAPABILITY_OF_HOST_FUNC.get(name)
        if cap is None:
            continue  # the sandbox reports it
        used.add(cap)
        if cap not in declared:
            report.add("error", "capability",
                       f"imports {module}.{name} but plugin.toml does not declare capability "
                       f"{cap!r}")
    for cap in sorted(declared - used):
        report.add("info", "capability", f"declares capability {cap!r} but does not use it")


def _check_memory(report: ScanReport, facts: ModuleFacts, manifest: PluginManifest) -> None:
    limit = manifest.limits.memory_mb << 20
    if facts.memory_min_bytes is not None and facts.memory_min_bytes > limit:
        report.add("error", "memory",
                   f"initial memory {facts.memory_min_bytes // WASM_PAGE} pages "
                   f"({facts.memory_min_bytes} bytes) exceeds limits.memory_mb="
                   f"{manifest.limits.memory_mb}")
    if facts.memory_max_bytes is None:
        report.add("info", "memory",
                   f"memory has no declared maximum; the host caps it at "
                   f"{manifest.limits.memory_mb} MiB")


def summarize(findings: Sequence[Finding]) -> str:
    """One line per finding, for CLI output."""
    return "\n".join(f"{f.level:7} {f.code:10} {f.message}" for f in findings)

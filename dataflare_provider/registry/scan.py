"""Scanning at publish and at pull: is this module what its manifest says, and will the sandbox
accept it? Checks: size bound; the module validates; it exports the ABI of its declared kind;
it imports only what the sandbox provides *and* what the manifest declares as capabilities; its
initial memory fits the manifest's memory limit; its ABI version is supported.

The scanner consumes a :class:`ModuleFacts` (exports, imports, memory limits, ABI version, policy
violations). It comes from ``dataflare_provider.runtime.inspect.inspect_module`` when the runtime
provides it; until then :func:`_facts_from_wasmtime` (the adapter below) builds it from
``wasmtime.Module`` and the runtime's sandbox policy.
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
    """What the scanner needs to know about a module (a view of the runtime's ModuleInfo)."""

    exports: dict[str, str | None]
    imports: list[tuple[str, str, str, str | None]]  # (module, name, kind, signature)
    memory_min_pages: int | None = None
    memory_max_pages: int | None = None
    abi_version: int | None = None
    export_violations: list[str] = field(default_factory=list)
    import_violations: list[str] = field(default_factory=list)


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


def _facts_from_runtime(wasm: bytes) -> ModuleFacts | None:
    """Use ``runtime.inspect.inspect_module`` when the runtime has it."""
    try:
        from dataflare_provider.runtime import inspect as rt_inspect  # type: ignore[attr-defined]
    except ImportError:
        return None
    fn = getattr(rt_inspect, "inspect_module", None)
    if fn is None:
        return None
    info = fn(wasm)
    imports = [
        (i.module, i.name, getattr(i, "kind", "func"), getattr(i, "signature", None))
        for i in getattr(info, "imports", [])
    ]
    exports = getattr(info, "exports", {})
    if not isinstance(exports, dict):
        exports = {getattr(e, "name", str(e)): getattr(e, "signature", None) for e in exports}
    mem = getattr(info, "memory", None)
    violations = [str(v) for v in getattr(info, "policy_violations", []) or []]
    return ModuleFacts(
        exports=dict(exports),
        imports=imports,
        memory_min_pages=getattr(info, "memory_min_pages", getattr(mem, "min", None)),
        memory_max_pages=getattr(info, "memory_max_pages", getattr(mem, "max", None)),
        abi_version=getattr(info, "abi_version", None),
        import_violations=violations,
    )


def _facts_from_wasmtime(wasm: bytes) -> ModuleFacts:
    """ADAPTER (until runtime.inspect lands): facts from ``wasmtime.Module`` + the sandbox policy.

    Raises ``wasmtime.WasmtimeError`` when the module does not validate.
    """
    import wasmtime

    from dataflare_provider.runtime import sandbox

    module = wasmtime.Module(wasmtime.Engine(), wasm)
    imports = sandbox.describe_imports(module)
    exports = sandbox.export_signatures(module)
    mem_min = mem_max = None
    for exp in module.exports:
        if exp.name == "memory" and isinstance(exp.type, wasmtime.MemoryType):
            mem_min, mem_max = exp.type.limits.min, exp.type.limits.max
    return ModuleFacts(
        exports=exports,
        imports=[(i.module, i.name, i.kind, i.signature) for i in imports],
        memory_min_pages=mem_min,
        memory_max_pages=mem_max,
        abi_version=None,
        export_violations=sandbox.export_violations(exports),
        import_violations=sandbox.import_violations(imports),
    )


def inspect_facts(wasm: bytes) -> ModuleFacts:
    """Module facts from the runtime's inspector, or the wasmtime adapter."""
    return _facts_from_runtime(wasm) or _facts_from_wasmtime(wasm)


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
    try:
        facts = inspect_facts(wasm)
    except Exception as exc:  # wasmtime.WasmtimeError and friends: the module does not validate
        report.add("error", "invalid", f"module does not validate: {str(exc).splitlines()[0]}")
        return report
    report.facts = facts
    _check_exports(report, facts, manifest)
    _check_imports(report, facts, manifest)
    _check_memory(report, facts, manifest)
    if facts.abi_version is not None:
        from dataflare_provider.runtime.sandbox import SUPPORTED_ABI_VERSIONS

        if facts.abi_version not in SUPPORTED_ABI_VERSIONS:
            report.add("error", "abi", f"ABI version {facts.abi_version} is not supported "
                       f"(supported: {', '.join(map(str, SUPPORTED_ABI_VERSIONS))})")
    return report


def _check_exports(report: ScanReport, facts: ModuleFacts, manifest: PluginManifest) -> None:
    for v in facts.export_violations:
        if "dataflare_process' (processor) or" not in v:  # the kind check below is more precise
            report.add("error", "export", v)
    needed = KIND_EXPORT[manifest.kind]
    if needed not in facts.exports:
        report.add("error", "export", f"kind {manifest.kind!r} needs export '{needed}'")
    if manifest.kind == "source" and "dataflare_process" in facts.exports:
        report.add("warning", "export", "source plugin also exports dataflare_process")


def _check_imports(report: ScanReport, facts: ModuleFacts, manifest: PluginManifest) -> None:
    for v in facts.import_violations:
        report.add("error", "import", v)
    declared = set(manifest.capabilities)
    used: set[str] = set()
    for module, name, _kind, _sig in facts.imports:
        cap = CAPABILITY_OF_MODULE.get(module)
        if module == "dataflare":
            cap = CAPABILITY_OF_HOST_FUNC.get(name)
        if cap is None:
            continue  # already reported as a sandbox violation
        used.add(cap)
        if cap not in declared:
            report.add("error", "capability",
                       f"imports {module}.{name} but plugin.toml does not declare capability "
                       f"{cap!r}")
    for cap in sorted(declared - used):
        report.add("info", "capability", f"declares capability {cap!r} but does not use it")


def _check_memory(report: ScanReport, facts: ModuleFacts, manifest: PluginManifest) -> None:
    limit = manifest.limits.memory_mb << 20
    if facts.memory_min_pages is not None and facts.memory_min_pages * WASM_PAGE > limit:
        report.add("error", "memory",
                   f"initial memory {facts.memory_min_pages} pages "
                   f"({facts.memory_min_pages * WASM_PAGE} bytes) exceeds limits.memory_mb="
                   f"{manifest.limits.memory_mb}")
    if facts.memory_max_pages is None:
        report.add("info", "memory",
                   f"memory has no declared maximum; the host caps it at "
                   f"{manifest.limits.memory_mb} MiB")


def summarize(findings: Sequence[Finding]) -> str:
    """One line per finding, for CLI output."""
    return "\n".join(f"{f.level:7} {f.code:10} {f.message}" for f in findings)

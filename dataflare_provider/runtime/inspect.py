"""Inspect a module without running any data through it: ABI, kind, exports, imports, memory.

Used by ``dataflare plugin inspect`` and by the registry's scanner at publish and pull time.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

import wasmtime

from dataflare_provider.runtime import deadline
from dataflare_provider.runtime.cache import CompiledCache, default_cache
from dataflare_provider.runtime.engine import EngineConfig, get_engine
from dataflare_provider.runtime.host import linker_for
from dataflare_provider.runtime.rawcall import lookup_export
from dataflare_provider.runtime.sandbox import (
    SUPPORTED_ABI_VERSIONS,
    describe_imports,
    export_signatures,
    export_violations,
    import_violations,
)

PAGE = 65536


@dataclass
class ModuleInfo:
    """What a module declares, and what the sandbox thinks of it."""

    sha256: str
    size: int
    kind: str | None  # "processor", "source" or None when not a dataflare module
    stateful: bool
    abi_version: int | None
    exports: dict[str, str | None]
    imports: list[str]
    memory_min_bytes: int | None
    memory_max_bytes: int | None
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def inspect_module(
    wasm: bytes,
    *,
    run_version_check: bool = True,
    cache: CompiledCache | None = None,
    timeout_s: float = 5.0,
    memory_bytes: int = 256 * 2**20,
) -> ModuleInfo:
    """Describe ``wasm``; problems are listed in ``violations`` rather than raised.

    With ``run_version_check`` a module that passes the static checks is instantiated in the
    sandbox (with ``timeout_s`` and ``memory_bytes``) to call ``dataflare_abi_version``.
    """
    digest = hashlib.sha256(wasm).hexdigest()
    try:
        module = (cache or default_cache).module(wasm, digest=digest).module
    except wasmtime.WasmtimeError as exc:
        return ModuleInfo(
            digest, len(wasm), None, False, None, {}, [], None, None,
            [f"not a valid WebAssembly module: {exc}"],
        )  # fmt: skip
    imports = describe_imports(module)
    exports = export_signatures(module)
    violations = import_violations(imports) + export_violations(exports)
    kind = None
    if "dataflare_process" in exports:
        kind = "processor"
    elif "dataflare_read" in exports:
        kind = "source"
    mem_min = mem_max = None
    for exp in module.exports:
        if exp.name == "memory" and isinstance(exp.type, wasmtime.MemoryType):
            limits = exp.type.limits
            mem_min = limits.min * PAGE
            mem_max = limits.max * PAGE if limits.max is not None else None
    info = ModuleInfo(
        digest, len(wasm), kind, "dataflare_finish" in exports, None, exports,
        [str(i) for i in imports], mem_min, mem_max, violations,
    )  # fmt: skip
    if run_version_check and not violations:
        _check_version(module, info, timeout_s, memory_bytes)
    return info


def _check_version(
    module: wasmtime.Module, info: ModuleInfo, timeout_s: float, memory_bytes: int
) -> None:
    engine = get_engine(EngineConfig())
    store = wasmtime.Store(engine)
    watch = deadline.watch_store(store)
    store.set_limits(memory_size=memory_bytes)
    store.set_wasi(wasmtime.WasiConfig())
    try:
        instance = linker_for(engine).instantiate(store, module)
        watch.arm(timeout_s)
        if "_initialize" in info.exports:
            lookup_export(store, instance, "_initialize")(store)
        version = lookup_export(store, instance, "dataflare_abi_version")(store)
    except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
        reason = "timed out" if watch.reason else str(exc).splitlines()[0]
        info.violations.append(f"could not run dataflare_abi_version: {reason}")
        return
    finally:
        watch.disarm()
    info.abi_version = version
    if version not in SUPPORTED_ABI_VERSIONS:
        info.violations.append(
            f"dataflare_abi_version returned {version}; this host supports "
            + ", ".join(map(str, SUPPORTED_ABI_VERSIONS))
        )

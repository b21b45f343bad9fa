"""What a plugin may import and must export: the sandbox policy, checked before anything runs.

A core module may import only:

- module ``dataflare``: the host functions in :data:`HOST_IMPORTS` with exactly those signatures;
- module ``wasi_snapshot_preview1``: the functions in :data:`WASI_PREVIEW1_ALLOWED`. The WASI context
  has no preopened directories, no environment, no arguments and no sockets, so file and network
  calls fail inside the guest; the ``sock_*`` functions are refused outright.

Anything else (another module, an imported memory or table, a known name with another signature) is
refused, naming the import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import wasmtime

from dataflare_provider.errors import ForbiddenImportError, MissingExportError

HOST_MODULE = "dataflare"
WASI_MODULE = "wasi_snapshot_preview1"

SUPPORTED_ABI_VERSIONS = (1,)

# Signatures as "params->results" with wasm value type names.
HOST_IMPORTS: dict[str, str] = {
    "log": "i32,i32,i32->",
    "counter_add": "i32,i32,i64->",
    "histogram_record": "i32,i32,f64->",
}

WASI_PREVIEW1_ALLOWED = frozenset(
    {
        "args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
        "clock_res_get", "clock_time_get", "random_get", "sched_yield", "poll_oneoff",
        "proc_exit", "proc_raise",
        "fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get",
        "fd_fdstat_set_flags", "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size",
        "fd_filestat_set_times", "fd_pread", "fd_prestat_get", "fd_prestat_dir_name", "fd_pwrite",
        "fd_read", "fd_readdir", "fd_renumber", "fd_seek", "fd_sync", "fd_tell", "fd_write",
        "path_create_directory", "path_filestat_get", "path_filestat_set_times", "path_link",
        "path_open", "path_readlink", "path_remove_directory", "path_rename", "path_symlink",
        "path_unlink_file",
    }
)  # fmt: skip

# Exports of dataflare-abi 1: name -> signature. ``None`` means "a memory".
REQUIRED_EXPORTS: dict[str, str | None] = {
    "memory": None,
    "dataflare_abi_version": "->i32",
    "dataflare_alloc": "i32,i32->i32",
    "dataflare_free": "i32,i32,i32->",
    "dataflare_init": "i32,i32->i32",
    "dataflare_last_error": "i32->",
}
OPTIONAL_EXPORTS: dict[str, str] = {
    "dataflare_process": "i32,i32,i32,i32->i32",
    "dataflare_finish": "i32,i32->i32",
    "dataflare_read": "i32,i32,i32->i32",
    "_initialize": "->",
}


POLICY_FINGERPRINT = hashlib.sha256(
    repr(
        (HOST_IMPORTS, sorted(WASI_PREVIEW1_ALLOWED), REQUIRED_EXPORTS, OPTIONAL_EXPORTS,
         SUPPORTED_ABI_VERSIONS)
    ).encode()
).hexdigest()[:16]  # fmt: skip
"""Changes whenever the rules above change (cached verdicts are keyed by it)."""


def signature(ty: wasmtime.FuncType) -> str:
    """Render a function type as ``"i32,i32->i32"``."""
    params = ",".join(str(p) for p in ty.params)
    results = ",".join(str(r) for r in ty.results)
    return f"{params}->{results}"


@dataclass(frozen=True)
class ImportItem:
    """One import of a module."""

    module: str
    name: str
    kind: str
    signature: str | None = None

    def __str__(self) -> str:
        sig = f" ({self.signature})" if self.signature else ""
        return f"{self.module}.{self.name}: {self.kind}{sig}"


def describe_imports(module: wasmtime.Module) -> list[ImportItem]:
    """List a module's imports with their kinds and function signatures."""
    items = []
    for imp in module.imports:
        ty = imp.type
        if isinstance(ty, wasmtime.FuncType):
            items.append(ImportItem(imp.module, imp.name or "", "func", signature(ty)))
        else:
            kind = type(ty).__name__.removesuffix("Type").lower()
            items.append(ImportItem(imp.module, imp.name or "", kind))
    return items


def import_violations(imports: Iterable[ImportItem]) -> list[str]:
    """Return one message per import the sandbox refuses (empty when all are allowed)."""
    problems = []
    for imp in imports:
        if imp.module == HOST_MODULE:
            expected = HOST_IMPORTS.get(imp.name)
            if expected is None:
                problems.append(f"{imp}: unknown host function")
            elif imp.kind != "func" or imp.signature != expected:
                problems.append(f"{imp}: expected signature {expected}")
        elif imp.module == WASI_MODULE:
            if imp.kind != "func" or imp.name not in WASI_PREVIEW1_ALLOWED:
                problems.append(f"{imp}: not provided by the sandbox")
        else:
            problems.append(f"{imp}: module '{imp.module}' is not provided by the sandbox")
    return problems


def check_imports(module: wasmtime.Module, plugin: str | None = None) -> None:
    """Raise :class:`ForbiddenImportError` naming every import the sandbox refuses."""
    problems = import_violations(describe_imports(module))
    if problems:
        raise ForbiddenImportError(
            "plugin imports what the sandbox does not provide: " + "; ".join(problems),
            plugin=plugin,
        )


def export_signatures(module: wasmtime.Module) -> dict[str, str | None]:
    """Map export name -> signature (``None`` for memories, ``"<kind>"`` for other externs)."""
    out: dict[str, str | None] = {}
    for exp in module.exports:
        ty = exp.type
        if isinstance(ty, wasmtime.FuncType):
            out[exp.name] = signature(ty)
        elif isinstance(ty, wasmtime.MemoryType):
            out[exp.name] = None
        else:
            out[exp.name] = "<" + type(ty).__name__ + ">"
    return out


def export_violations(exports: dict[str, str | None]) -> list[str]:
    """Messages for missing or mistyped ABI exports (empty when the module is well formed)."""
    problems = []
    for name, sig in REQUIRED_EXPORTS.items():
        if name not in exports:
            problems.append(f"missing export '{name}'")
        elif exports[name] != sig:
            want = "a memory" if sig is None else sig
            problems.append(f"export '{name}' is {exports[name] or 'a memory'}, expected {want}")
    for name, sig in OPTIONAL_EXPORTS.items():
        if name in exports and exports[name] != sig:
            problems.append(f"export '{name}' is {exports[name]}, expected {sig}")
    if "memory" in exports and exports["memory"] is not None:
        problems.append("export 'memory' is not a memory")
    if "dataflare_process" not in exports and "dataflare_read" not in exports:
        problems.append(
            "missing export 'dataflare_process' (processor) or 'dataflare_read' (source)"
        )
    return problems


def check_exports(module: wasmtime.Module, plugin: str | None = None) -> dict[str, str | None]:
    """Raise :class:`MissingExportError` unless the module exports dataflare-abi 1."""
    exports = export_signatures(module)
    problems = export_violations(exports)
    if problems:
        raise MissingExportError(
            "not a dataflare-abi 1 module: " + "; ".join(problems), plugin=plugin
        )
    return exports

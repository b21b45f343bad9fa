"""Registry commands: ``dataflare plugin publish|pull|verify|inspect|search|list|schema|sign`` and
``dataflare lock``. Connection settings default to the ``DATAFLARE_*`` environment (see
:meth:`RegistrySettings.from_env`); errors print one clear line and exit 1 (75 when transient)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dataflare_provider.cli.app import app, plugin_app
from dataflare_provider.errors import DataFlareError
from dataflare_provider.registry.client import RegistryClient, RegistrySettings
from dataflare_provider.registry.lockfile import Lockfile
from dataflare_provider.registry.manifest import PluginManifest, load_manifest
from dataflare_provider.registry.scan import scan_module, summarize
from dataflare_provider.registry.trust import TrustPolicy

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

RegistryOpt = Annotated[
    str | None,
    typer.Option("--registry", "-r", help="Registry URL or host:port ('local' = the local store; "
                 "default $DATAFLARE_REGISTRY, else the local store)"),
]
TrustOpt = Annotated[
    Path | None, typer.Option("--trust-policy", help="Trust policy TOML (default $DATAFLARE_TRUST_POLICY)")
]
RequireOpt = Annotated[
    bool | None,
    typer.Option("--require-signatures/--allow-unsigned", help="Override the policy's setting"),
]
LockOpt = Annotated[Path | None, typer.Option("--lockfile", help="Lockfile (default ./dataflare.lock)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


@contextmanager
def _errors() -> Iterator[None]:
    """Turn DataFlare errors into one line on stderr and an exit code."""
    try:
        yield
    except DataFlareError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(75 if exc.retryable else 1) from None


def _client(
    registry: str | None = None,
    trust_policy: Path | None = None,
    require: bool | None = None,
    lockfile: Path | None = None,
    lockfile_only: bool = False,
) -> RegistryClient:
    settings = RegistrySettings.from_env(
        registry=None if registry in (None, "local") else registry,
        trust_policy_file=trust_policy,
        require_signatures=require,
        lockfile=lockfile,
        lockfile_only=lockfile_only or None,
    )
    if registry == "local":
        settings = settings.model_copy(update={"registry": None})
    return RegistryClient(settings)


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@plugin_app.command("publish")
def publish(
    wasm: Annotated[Path, typer.Argument(help="The module (.wasm)", exists=True, dir_okay=False)],
    manifest: Annotated[Path, typer.Option("--manifest", "-m", help="plugin.toml")] = Path(
        "plugin.toml"
    ),
    registry: RegistryOpt = None,
    sign_key: Annotated[Path | None, typer.Option("--sign-key", help="ECDSA P-256 key (PEM)")] = None,
    key_password_env: Annotated[
        str | None, typer.Option("--key-password-env", help="Env var holding the key password")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing version")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Scan, push (and sign) a plugin as namespace/name:version."""
    import os

    with _errors():
        client = _client(registry)
        pw = os.environ.get(key_password_env) if key_password_env else None
        res = client.publish(wasm, manifest, registry=registry, sign_key=sign_key,
                             sign_key_password=pw, force=force)
    if as_json:
        _dump({"reference": str(res.reference), "digest": res.digest, "unchanged": res.unchanged,
               "signature": res.signature_digest, "key_id": res.key_id,
               "scan": res.scan.to_dict()})
        return
    where = res.reference.registry or f"local store {client.store.root}"
    verb = "already published" if res.unchanged else "published"
    out.print(f"{verb} {res.reference} ({where})", highlight=False)
    for f in res.scan.findings:
        out.print(f"  scan {f.level}: {f.message}", highlight=False)
    if res.signature_digest:
        out.print(f"  signed with key {res.key_id} -> {res.signature_digest}", highlight=False)


@plugin_app.command("pull")
def pull(
    ref: Annotated[str, typer.Argument(help="[registry/]namespace/name[:version|:range|@digest]")],
    registry: RegistryOpt = None,
    trust_policy: TrustOpt = None,
    require_signatures: RequireOpt = None,
    lockfile: LockOpt = None,
    lockfile_only: Annotated[bool, typer.Option("--lockfile-only")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Resolve, download, verify and cache a plugin; prints where the module is."""
    with _errors():
        client = _client(registry, trust_policy, require_signatures, lockfile, lockfile_only)
        p = client.pull(ref)
    if as_json:
        _dump({"path": str(p.path), "digest": p.digest, "version": p.version,
               "reference": str(p.reference), "verification": asdict(p.verification),
               "from_cache": p.from_cache})
        return
    out.print(f"{p.reference} -> {p.path}", highlight=False)
    v = p.verification
    out.print(f"  version {p.version}, signature: {v.status}"
              + (f" (key {v.key_id})" if v.key_id else ""), highlight=False)


@plugin_app.command("verify")
def verify(
    ref: Annotated[str, typer.Argument(help="Plugin reference")],
    key: Annotated[
        list[Path] | None, typer.Option("--key", "-k", help="Trust this public key (repeatable)")
    ] = None,
    registry: RegistryOpt = None,
    trust_policy: TrustOpt = None,
    require_signatures: RequireOpt = None,
) -> None:
    """Check a plugin's signatures against the trust policy (or --key); exit 1 if refused."""
    with _errors():
        client = _client(registry, trust_policy, require_signatures)
        policy = None
        if key:
            r = client.reference(ref)
            policy = TrustPolicy.trusting({r.namespace: str(key[0])}, require_signatures=True)
            for extra in key[1:]:
                policy.trust.extend(TrustPolicy.trusting({r.namespace: str(extra)}).trust)
        v = client.verify(ref, policy)
    detail = f" by key {v.key_id}" if v.key_id else (f": {v.detail}" if v.detail else "")
    out.print(f"{ref}: {v.status}{detail}", highlight=False)
    if v.status != "verified" and (key or client.policy.require_signatures):
        raise typer.Exit(1)


def _find_manifest(wasm: Path) -> Path | None:
    """``plugin.toml`` next to the module or one level up (``<project>/build/x.wasm``)."""
    for candidate in (wasm.with_name("plugin.toml"), wasm.parent.parent / "plugin.toml"):
        if candidate.is_file():
            return candidate
    return None


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.2f} MiB"


def _inspect_module(wasm: Path, as_json: bool) -> None:
    """ABI version, kind, exports, imports and memory bounds of a module without a manifest."""
    from dataflare_provider.runtime.inspect import inspect_module

    info = inspect_module(wasm.read_bytes())
    if as_json:
        _dump(info.to_dict())
    else:
        out.print(f"[bold]{wasm}[/]  sha256:{info.sha256}  ({info.size:,} bytes)")
        out.print(f"abi:      dataflare-abi {info.abi_version}" if info.abi_version else "abi:      -")
        out.print(f"kind:     {info.kind or '-'}{' (stateful)' if info.stateful else ''}")
        out.print(f"memory:   min {_mib(info.memory_min_bytes)}, max {_mib(info.memory_max_bytes)}")
        out.print("exports:  " + ", ".join(f"{k} ({v or 'memory'})" for k, v in info.exports.items()))
        out.print("imports:  " + (", ".join(info.imports) or "none"))
        out.print("sandbox:  " + ("ok" if info.ok else "REFUSED: " + "; ".join(info.violations)))
    if not info.ok:
        raise typer.Exit(1)


@plugin_app.command("inspect")
def inspect(
    ref: Annotated[str, typer.Argument(help="Plugin reference, or a local .wasm path")],
    manifest: Annotated[
        Path | None, typer.Option("--manifest", "-m", help="plugin.toml (for a .wasm path)")
    ] = None,
    registry: RegistryOpt = None,
    trust_policy: TrustOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Manifest, versions, scan report, signature status and downloads of a plugin."""
    with _errors():
        if Path(ref).is_file():
            toml = manifest or _find_manifest(Path(ref))
            if toml is None:  # a bare module: what the runtime sees
                _inspect_module(Path(ref), as_json)
                return
            m = load_manifest(toml)
            report = scan_module(Path(ref).read_bytes(), m)
            if as_json:
                _dump({"manifest": m.model_dump(mode="json"), "scan": report.to_dict()})
            else:
                _print_manifest(m)
                out.print("scan: " + ("ok" if report.ok else "FAILED"), highlight=False)
                out.print(summarize(report.findings), highlight=False)
            if not report.ok:
                raise typer.Exit(1)
            return
        client = _client(registry, trust_policy)
        info = client.inspect(ref)
    if as_json:
        _dump({
            "reference": str(info.reference), "digest": info.digest,
            "manifest": info.manifest.model_dump(mode="json"), "versions": info.versions,
            "annotations": info.image.annotations, "scan": info.scan.to_dict(),
            "verification": asdict(info.verification) if info.verification else None,
            "verification_error": info.verification_error, "downloads": info.downloads,
        })
        return
    out.print(f"[bold]{info.reference}[/]", highlight=False)
    _print_manifest(info.manifest)
    out.print(f"versions:   {', '.join(info.versions)}", highlight=False)
    total = sum(info.downloads.values())
    per = ", ".join(f"{k}: {v}" for k, v in sorted(info.downloads.items()))
    out.print(f"downloads:  {total}" + (f" ({per})" if per else ""), highlight=False)
    if info.verification is not None:
        v = info.verification
        out.print(f"signature:  {v.status}" + (f" (key {v.key_id})" if v.key_id else ""),
                  highlight=False)
    else:
        out.print(f"signature:  REFUSED: {info.verification_error}", highlight=False)
    out.print("scan:       " + ("ok" if info.scan.ok else "FAILED"), highlight=False)
    if info.scan.findings:
        out.print(summarize(info.scan.findings), highlight=False)


def _print_manifest(m: PluginManifest) -> None:
    rows = [
        ("kind", m.kind), ("abi", m.abi), ("version", m.version),
        ("description", m.description), ("license", m.license or ""),
        ("categories", ", ".join(m.categories)), ("keywords", ", ".join(m.keywords)),
        ("capabilities", ", ".join(m.capabilities)),
        ("limits", f"memory {m.limits.memory_mb} MiB, timeout {m.limits.timeout_s} s"
                   + (f", fuel {m.limits.fuel}" if m.limits.fuel else "")),
        ("requires", ", ".join(f"{k} {v}" for k, v in m.requires.items())),
    ]
    for k, v in rows:
        if v:
            out.print(f"{k + ':':12}{v}", highlight=False)


def _table(summaries: list[Any], as_json: bool) -> None:
    if as_json:
        _dump([{**asdict(s), "reference": s.reference} for s in summaries])
        return
    if not summaries:
        out.print("no plugins found")
        return
    t = Table("plugin", "latest", "kind", "categories", "downloads", "description")
    for s in summaries:
        name = f"{s.registry}/{s.repository}" if s.registry else s.repository
        t.add_row(name, s.latest or "", s.kind, ", ".join(s.categories), str(s.downloads),
                  s.description)
    out.print(t)


@plugin_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Words to look for")] = "",
    category: Annotated[
        str | None, typer.Option("--category", "-c", help="e.g. processors/transform")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="processor|source|sink")] = None,
    registry: RegistryOpt = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ignore the catalog cache")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Search the local store, or a remote registry's catalog with --registry."""
    with _errors():
        client = _client()
        found = client.search(text, category=category, kind=kind, registry=registry,
                              refresh=refresh)
    _table(found, as_json)


@plugin_app.command("list")
def list_(
    registry: RegistryOpt = None,
    refresh: Annotated[bool, typer.Option("--refresh")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Plugins in the local store (or in a remote registry with --registry)."""
    with _errors():
        found = _client().list_plugins(registry=registry, refresh=refresh)
    _table(found, as_json)


@plugin_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of plugin.toml (for editor validation and completion)."""
    _dump(PluginManifest.json_schema())


@plugin_app.command("sign")
def sign(
    ref: Annotated[str, typer.Argument(help="Plugin reference")],
    key: Annotated[Path, typer.Option("--key", "-k", help="ECDSA P-256 private key (PEM)")],
    registry: RegistryOpt = None,
    key_password_env: Annotated[str | None, typer.Option("--key-password-env")] = None,
) -> None:
    """Add a cosign signature to an already published plugin."""
    import os

    with _errors():
        client = _client(registry)
        pw = os.environ.get(key_password_env) if key_password_env else None
        sig, kid = client.sign(ref, key, pw)
    out.print(f"signed {ref} with key {kid} -> {sig}", highlight=False)


@plugin_app.command("gc")
def gc() -> None:
    """Delete blobs of the local store that no tag references any more."""
    with _errors():
        removed = _client().store.gc()
    out.print(f"removed {len(removed)} unreferenced blob(s)")


@app.command("lock")
def lock(
    refs: Annotated[list[str] | None, typer.Argument(help="References to lock")] = None,
    lockfile: LockOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Resolve references (and their requires) and pin them all to digests in dataflare.lock.

    Without references, re-resolves the roots of the existing lockfile."""
    with _errors():
        client = _client(registry, lockfile=lockfile)
        path = client.lockfile_path()
        if not refs:
            refs = [r.reference for r in Lockfile.load(path).roots]
        lock_ = client.lock(list(refs), path)
    for p in sorted(lock_.packages, key=lambda p: p.key):
        out.print(f"{p.key} {p.version} {p.digest}", highlight=False)
    out.print(f"wrote {path}", highlight=False)


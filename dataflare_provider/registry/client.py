"""``RegistryClient``: the one entry point the CLI, the Airflow hook and the Dagster resource use.

    client = RegistryClient(RegistrySettings(registry="http://127.0.0.1:5000",
                                             trust_policy_file="trust.toml"))
    digest = client.resolve("dataflare/json-flatten:^1.2")
    plugin = client.pull("dataflare/json-flatten:^1.2")    # PulledPlugin(path, manifest, digest)
    client.publish("build/json_flatten.wasm", "plugin.toml", sign_key="keys/dataflare.key")

Pulling checks, in order, before anything is written to the local store or returned: the manifest
digest, the config and module digests, the signatures against the trust policy, and the scan. A
remote plugin is then committed to the local store in one transaction (the pull cache), so a
failure at any step leaves nothing behind.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from dataflare_provider import settings as df_settings
from dataflare_provider.registry.auth import Credentials, TokenCache
from dataflare_provider.registry.backend import (
    Backend,
    LocalBackend,
    RemoteBackend,
    plugin_manifest_of,
    version_tags,
)
from dataflare_provider.registry.errors import (
    LockfileError,
    PluginNotFoundError,
    RegistryUnavailableError,
    ResolutionError,
    SignatureError,
    VersionExistsError,
)
from dataflare_provider.registry.local_store import LocalStore
from dataflare_provider.registry.lockfile import (
    LOCKFILE_NAME,
    LockedPackage,
    LockedRoot,
    Lockfile,
)
from dataflare_provider.registry.manifest import PluginManifest, load_manifest, validate_config
from dataflare_provider.registry.oci import (
    ImageManifest,
    build_plugin_artifact,
    digest_hex,
)
from dataflare_provider.registry.oci_client import OCIClient, RetryPolicy, registry_base_url
from dataflare_provider.registry.reference import PluginReference, parse_reference, signature_tag
from dataflare_provider.registry.resolve import Resolution, Resolver
from dataflare_provider.registry.scan import DEFAULT_MAX_SIZE, ScanReport, scan_module
from dataflare_provider.registry.search import (
    PluginSummary,
    cached_remote_summaries,
    summarize,
)
from dataflare_provider.registry.search import search as search_summaries
from dataflare_provider.registry.semver import VersionRange
from dataflare_provider.registry.signing import (
    Signature,
    key_id,
    load_private_key,
    sign_payload,
    signature_manifest,
    simple_signing_payload,
)
from dataflare_provider.registry.trust import TrustPolicy, Verification, verify_signatures

SCAN_CACHE_VERSION = 1
log = logging.getLogger(__name__)


def _env_bool(name: str) -> bool | None:
    v = os.environ.get(name)
    return None if v is None else v.strip().lower() in ("1", "true", "yes", "on")


class RegistrySettings(BaseModel):
    """Everything a :class:`RegistryClient` needs; :meth:`from_env` reads ``DATAFLARE_*``."""

    model_config = ConfigDict(extra="forbid")

    registry: str | None = None  # default registry: URL or host[:port]; None = the local store
    namespace: str | None = None  # default namespace for bare names ("json-flatten")
    username: str | None = None
    password: SecretStr | None = None
    insecure: bool | None = None  # plain http (default: only for loopback hosts)
    trust_policy: TrustPolicy | None = None
    trust_policy_file: Path | None = None
    require_signatures: bool | None = None  # overrides the trust policy's setting
    lockfile: Path | None = None
    lockfile_only: bool = False
    local_dir: Path | None = None  # default: settings.local_registry_dir()
    max_module_size: int = DEFAULT_MAX_SIZE
    scan: bool = True
    timeout_s: float = 30.0
    retries: int = 4
    backoff_s: float = 0.2

    @classmethod
    def from_env(cls, **overrides: Any) -> RegistrySettings:
        """Settings from ``DATAFLARE_REGISTRY``, ``DATAFLARE_REGISTRY_USERNAME``/``_PASSWORD``,
        ``DATAFLARE_NAMESPACE``, ``DATAFLARE_TRUST_POLICY``, ``DATAFLARE_REQUIRE_SIGNATURES``,
        ``DATAFLARE_LOCKFILE``, ``DATAFLARE_LOCKFILE_ONLY``; ``overrides`` win when not None."""
        env: dict[str, Any] = {
            "registry": os.environ.get("DATAFLARE_REGISTRY") or None,
            "namespace": os.environ.get("DATAFLARE_NAMESPACE") or None,
            "username": os.environ.get("DATAFLARE_REGISTRY_USERNAME") or None,
            "password": os.environ.get("DATAFLARE_REGISTRY_PASSWORD") or None,
            "trust_policy_file": os.environ.get("DATAFLARE_TRUST_POLICY") or None,
            "require_signatures": _env_bool("DATAFLARE_REQUIRE_SIGNATURES"),
            "lockfile": os.environ.get("DATAFLARE_LOCKFILE") or None,
            "lockfile_only": bool(_env_bool("DATAFLARE_LOCKFILE_ONLY")),
        }
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate({k: v for k, v in env.items() if v is not None})


@dataclass(frozen=True)
class PulledPlugin:
    """A verified, scanned plugin on local disk."""

    path: Path  # the module (a blob of the local store)
    manifest: PluginManifest
    digest: str  # manifest digest: what signatures and lockfiles pin
    reference: PluginReference
    wasm_digest: str
    verification: Verification
    scan: ScanReport | None = None
    from_cache: bool = False

    @property
    def version(self) -> str:
        return self.manifest.version

    def validate_config(self, config: Any) -> None:
        """Check ``config`` against the manifest's JSON Schema (call before instantiating)."""
        validate_config(self.manifest, config)

    def limits(self) -> dict[str, Any]:
        """The manifest's default limits as keyword arguments of ``runtime.limits.Limits``."""
        return self.manifest.runtime_limits()


@dataclass(frozen=True)
class PublishResult:
    reference: PluginReference  # pinned to the digest
    digest: str
    scan: ScanReport
    signature_digest: str | None = None
    key_id: str | None = None
    unchanged: bool = False


@dataclass
class PluginInfo:
    """What ``dataflare plugin inspect`` shows."""

    reference: PluginReference
    digest: str
    manifest: PluginManifest
    image: ImageManifest
    versions: list[str]
    scan: ScanReport
    verification: Verification | None
    verification_error: str | None
    downloads: dict[str, int] = field(default_factory=dict)


class RegistryClient:
    """Resolve, pull, publish, sign, verify, search and lock plugins."""

    def __init__(self, settings: RegistrySettings | None = None, **overrides: Any) -> None:
        base = settings or RegistrySettings.from_env()
        self.settings = base.model_copy(update=overrides) if overrides else base
        s = self.settings
        self.store = LocalStore(s.local_dir or df_settings.local_registry_dir())
        self.local = LocalBackend(self.store)
        self._remotes: dict[str, RemoteBackend] = {}
        self._urls: dict[str, str] = {}
        self._tokens = TokenCache()
        self.default_registry: str | None = None
        if s.registry:
            url, name = registry_base_url(s.registry, s.insecure)
            self._urls[name] = url
            self.default_registry = name
        policy = s.trust_policy or (
            TrustPolicy.load(s.trust_policy_file) if s.trust_policy_file else TrustPolicy()
        )
        if s.require_signatures is not None:
            policy = policy.model_copy(update={"require_signatures": s.require_signatures})
        self.policy = policy
        self._lockfile: Lockfile | None = None

    def close(self) -> None:
        for r in self._remotes.values():
            r.client.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- references and backends --------------------------------------------------------------

    def reference(self, ref: str | PluginReference) -> PluginReference:
        """Parse ``ref`` with the default registry (and namespace for bare names) applied."""
        if isinstance(ref, PluginReference):
            return ref.with_registry(self.default_registry)
        text = ref.strip()
        head = text.split("@")[0].split(":")[0]
        if "/" not in head and self.settings.namespace:
            text = f"{self.settings.namespace}/{text}"
        return parse_reference(text, self.default_registry)

    def backend(self, registry: str | None) -> Backend:
        """The local store for ``None``/``""``, else a (cached) remote backend."""
        if not registry:
            return self.local
        if registry not in self._remotes:
            url = self._urls.get(registry) or registry_base_url(registry, self.settings.insecure)[0]
            creds = None
            s = self.settings
            if s.username and (registry == self.default_registry or self.default_registry is None):
                creds = Credentials(s.username, s.password.get_secret_value() if s.password else "")
            retry = RetryPolicy(attempts=max(1, s.retries), backoff_s=s.backoff_s)
            client = OCIClient(url, creds, timeout_s=s.timeout_s, retry=retry,
                               token_cache=self._tokens)
            self._remotes[registry] = RemoteBackend(client)
        return self._remotes[registry]

    # --- lockfile -----------------------------------------------------------------------------

    def lockfile_path(self) -> Path:
        return self.settings.lockfile or Path.cwd() / LOCKFILE_NAME

    def lockfile(self) -> Lockfile | None:
        """The lockfile in use, if any (required in lockfile-only mode)."""
        if self._lockfile is None:
            path = self.lockfile_path()
            if self.settings.lockfile_only or (self.settings.lockfile and path.exists()):
                self._lockfile = Lockfile.load(path)
        return self._lockfile

    def _locked(self, ref: PluginReference) -> LockedPackage | None:
        lock = self.lockfile()
        hit = lock.lookup(ref) if lock else None
        if hit is None and self.settings.lockfile_only:
            raise LockfileError(
                f"reference {ref} is not in {self.lockfile_path()} and lockfile-only mode is on "
                f"(run `dataflare lock {ref}`)",
                reference=str(ref),
            )
        return hit

    # --- resolution ---------------------------------------------------------------------------

    def resolve_version(self, ref: str | PluginReference) -> tuple[PluginReference, str, str | None]:
        """(reference, manifest digest, version or None when pinned by digest only)."""
        r = self.reference(ref)
        if r.digest:
            return r, r.digest, r.version
        locked = self._locked(r)
        if locked is not None:
            return r, locked.digest, locked.version
        backend = self.backend(r.registry)
        rng = r.version_range()
        try:
            tags = version_tags(backend.tags(r.repository))
        except RegistryUnavailableError as exc:
            cached = self._cached_resolution(r, rng)
            if cached is None:
                raise
            log.warning("%s; using the cached %s %s (%s)", exc.message, r.repository,
                        cached[1], cached[0])
            return r, cached[0], cached[1]
        version = rng.max_satisfying(tags)
        if version is None:
            where = f"registry {r.registry}" if r.registry else f"the local store {self.store.root}"
            if not tags:
                raise PluginNotFoundError(f"plugin {r.repository} not found in {where}",
                                          reference=str(r))
            raise ResolutionError(
                f"no version of {r.repository} in {where} matches {rng} ({rng.describe()}); "
                f"available: {', '.join(tags)}",
                reference=str(r),
            )
        digest = backend.resolve_tag(r.repository, version)
        if digest is None:
            _, digest = backend.manifest(r.repository, version)
        return r, digest, version

    def _cached_resolution(
        self, r: PluginReference, rng: VersionRange
    ) -> tuple[str, str] | None:
        """(digest, version) of the highest cached version of a remote plugin matching ``rng``,
        for when the registry cannot be reached."""
        cache_repo = f"{r.registry}/{r.repository}"
        version = rng.max_satisfying(version_tags(self.store.list_tags(cache_repo)))
        if version is None:
            return None
        desc = self.store.resolve_tag(cache_repo, version)
        return (desc.digest, version) if desc else None

    def resolve(self, ref: str | PluginReference) -> str:
        """The manifest digest ``ref`` resolves to (lockfile first, then the highest match)."""
        return self.resolve_version(ref)[1]

    # VersionSource for the resolver
    def versions(self, ref: PluginReference) -> list[str]:
        try:
            return version_tags(self.backend(ref.registry).tags(ref.repository))
        except PluginNotFoundError:
            return []

    def manifest_at(self, ref: PluginReference, tag: str) -> tuple[str, PluginManifest]:
        raw, digest = self.backend(ref.registry).manifest(ref.repository, tag)
        return digest, plugin_manifest_of(raw, f"{ref.repository}:{tag}")[1]

    def manifest_by_digest(self, ref: PluginReference) -> PluginManifest:
        assert ref.digest is not None
        raw, _ = self.backend(ref.registry).manifest(ref.repository, ref.digest)
        return plugin_manifest_of(raw, f"{ref.repository}@{ref.digest}")[1]

    def resolve_all(self, refs: list[str | PluginReference]) -> Resolution:
        """Resolve references and their transitive ``requires`` (conflicts name both sides)."""
        return Resolver(self).resolve([self.reference(r) for r in refs])

    def lock(self, refs: list[str | PluginReference], path: str | Path | None = None) -> Lockfile:
        """Resolve ``refs`` afresh and write the lockfile pinning every plugin to a digest."""
        resolution = self.resolve_all(refs)
        lock = Lockfile()
        for ref_text, key in resolution.roots.items():
            pkg = resolution.packages[key]
            lock.roots.append(LockedRoot(ref_text, pkg.reference.repository,
                                         pkg.reference.registry or ""))
        for pkg in resolution.packages.values():
            lock.packages.append(LockedPackage(
                pkg.reference.repository, pkg.reference.registry or "", pkg.version, pkg.digest,
                tuple(sorted(pkg.manifest.requires)),
            ))
        lock.save(path or self.lockfile_path())
        self._lockfile = None
        return lock

    # --- pull ---------------------------------------------------------------------------------

    def pull(self, ref: str | PluginReference) -> PulledPlugin:
        """Resolve, fetch, verify (digests, signatures, scan) and cache a plugin."""
        r, digest, _ = self.resolve_version(ref)
        pulled = self._pull_remote(r, digest) if r.registry else self._pull_local(r, digest)
        stats_repo = f"{r.registry}/{r.repository}" if r.registry else r.repository
        self.store.record_pull(stats_repo, pulled.version)
        return pulled

    def locate(self, spec: str | Path) -> tuple[Path, PulledPlugin | None]:
        """For ``dataflare run`` and friends: an existing file path as is, else pull ``spec`` as a
        reference. Returns (module path, the pulled plugin or None for a plain path)."""
        path = Path(spec)
        if path.is_file():
            return path, None
        pulled = self.pull(str(spec))
        return pulled.path, pulled

    def pull_all(self, refs: list[str | PluginReference]) -> list[PulledPlugin]:
        """Pull every plugin of the resolution of ``refs`` (roots first)."""
        resolution = self.resolve_all(refs)
        keys = list(dict.fromkeys([*resolution.roots.values(), *resolution.packages]))
        return [self.pull(resolution.packages[k].reference) for k in keys]

    def _check_policy(
        self, r: PluginReference, digest: str, sigs: list[Signature]
    ) -> Verification:
        return verify_signatures(self.policy, str(r), r.namespace, r.repository, digest, sigs)

    def _scan(self, digest: str, wasm: bytes | Path, manifest: PluginManifest,
              what: str) -> ScanReport | None:
        if not self.settings.scan:
            return None
        marker = self.store.root / ".dataflare" / "scans" / f"{digest_hex(digest)}.json"
        if marker.exists():
            try:
                data = json.loads(marker.read_text())
                if data.get("version") == SCAN_CACHE_VERSION and data.get("ok"):
                    return None
            except ValueError:
                pass
        data_bytes = wasm if isinstance(wasm, bytes) else Path(wasm).read_bytes()
        report = scan_module(data_bytes, manifest, max_size=self.settings.max_module_size)
        report.raise_for_errors(what)
        return report

    def _remember_scan(self, digest: str, report: ScanReport | None) -> None:
        if report is None or not report.ok:
            return
        marker = self.store.root / ".dataflare" / "scans" / f"{digest_hex(digest)}.json"
        marker.parent.mkdir(parents=True, exist_ok=True)
        tmp = marker.with_suffix(".tmp" + str(os.getpid()))
        tmp.write_text(json.dumps({"version": SCAN_CACHE_VERSION, "ok": True}))
        tmp.replace(marker)

    def _pull_local(self, r: PluginReference, digest: str, repo: str | None = None,
                    from_cache: bool = False) -> PulledPlugin:
        repo = repo or r.repository
        what = f"{r.repository}@{digest}"
        raw = self.store.read_blob(digest, what=f"manifest {what}")
        image, manifest = plugin_manifest_of(raw, f"manifest {what}")
        layer = image.wasm_layer(what)
        self.store.read_blob(image.config.digest, what=f"config of {what}")
        path = self.store.verify_blob(layer.digest, what=f"module of {what}")
        sigs, _ = self.local.signatures(repo, digest)
        verification = self._check_policy(r, digest, sigs)
        report = self._scan(digest, path, manifest, str(r))
        self._remember_scan(digest, report)
        return PulledPlugin(path, manifest, digest, r.pinned(digest), layer.digest, verification,
                            report, from_cache)

    def _pull_remote(self, r: PluginReference, digest: str) -> PulledPlugin:
        assert r.registry is not None
        cache_repo = f"{r.registry}/{r.repository}"
        cached = self.store.has_blob(digest)
        sig_cached = self.store.resolve_tag(cache_repo, signature_tag(digest)) is not None
        if cached and (sig_cached or not self._wants_signatures(r)):
            try:
                return self._pull_local(r, digest, repo=cache_repo, from_cache=True)
            except PluginNotFoundError:
                pass  # partially cached: fetch again
        remote = self.backend(r.registry)
        assert isinstance(remote, RemoteBackend)
        what = f"{r.registry}/{r.repository}@{digest}"
        with self.store.transaction() as tx:
            raw, got = remote.manifest(r.repository, digest)  # digest verified by the client
            image, manifest = plugin_manifest_of(raw, f"manifest {what}")
            layer = image.wasm_layer(what)
            config = remote.blob(r.repository, image.config.digest)
            staged = tx.tmp_file()
            remote.download(r.repository, layer.digest, staged, self.settings.max_module_size)
            sigs, sig_raw = remote.signatures(r.repository, digest)
            verification = self._check_policy(r, digest, sigs)
            report = self._scan(digest, staged, manifest, str(r))
            # everything checked: stage for the cache
            tx.add_blob(config, image.config.digest, what=f"config of {what}")
            tx.add_blob_file(staged, layer.digest, what=f"module of {what}")
            tx.add_manifest(raw, cache_repo, manifest.version, expected=digest)
            if sig_raw is not None:
                sig_image = ImageManifest.parse(sig_raw, what=f"signature manifest of {what}")
                tx.add_blob(remote.blob(r.repository, sig_image.config.digest),
                            sig_image.config.digest)
                for s in sigs:
                    tx.add_blob(s.payload)
                tx.add_manifest(sig_raw, cache_repo, signature_tag(digest))
        self._remember_scan(digest, report)
        path = self.store.blob_path(layer.digest)
        return PulledPlugin(path, manifest, got, r.pinned(got), layer.digest, verification, report)

    def _wants_signatures(self, r: PluginReference) -> bool:
        return self.policy.require_signatures or bool(self.policy.keys_for(r.namespace))

    # --- publish and sign ---------------------------------------------------------------------

    def publish(
        self,
        wasm: str | Path,
        manifest: str | Path | PluginManifest,
        *,
        registry: str | None = None,
        sign_key: str | Path | None = None,
        sign_key_password: str | None = None,
        force: bool = False,
    ) -> PublishResult:
        """Scan and push a module + manifest as ``namespace/name:version`` (and sign it).

        ``registry`` defaults to the settings' registry, else the local store. Versions are
        immutable: republishing a version with other content raises :class:`VersionExistsError`
        unless ``force``; republishing the same module and manifest is a no-op.
        """
        m = manifest if isinstance(manifest, PluginManifest) else load_manifest(manifest)
        wasm_path = Path(wasm)
        target = self._registry_name(registry)
        what = f"{m.repository_path}:{m.version}"
        data = wasm_path.read_bytes()
        report = scan_module(data, m, max_size=self.settings.max_module_size)
        report.raise_for_errors(what)
        artifact = build_plugin_artifact(m, wasm_path)
        backend = self.backend(target)
        repo = m.repository_path
        existing = backend.resolve_tag(repo, m.version)
        unchanged = False
        digest = artifact.digest
        if existing == artifact.digest:
            unchanged = True
        elif existing is not None:
            raw, _ = backend.manifest(repo, existing)
            old_image, old_manifest = plugin_manifest_of(raw, f"{what} (existing)")
            same = (old_image.wasm_layer().digest == artifact.wasm_digest
                    and old_manifest.to_json() == m.to_json())
            if same:
                unchanged, digest = True, existing
            elif not force:
                where = f"registry {target}" if target else "the local store"
                raise VersionExistsError(
                    f"{what} already exists in {where} as {existing} with different content; "
                    "bump the version (or publish with force)",
                    reference=what,
                )
        if not unchanged:
            digest = backend.push_artifact(repo, m.version, artifact)
        ref = PluginReference(m.namespace, m.name, target or None, m.version, None, digest)
        sig_digest = kid = None
        if sign_key is not None:
            sig_digest, kid = self.sign(ref, sign_key, sign_key_password)
        self._remember_scan(digest, report)  # the verdict depends on the digest's content only
        return PublishResult(ref, digest, report, sig_digest, kid, unchanged)

    def _registry_name(self, registry: str | None) -> str:
        if registry is None:
            return self.default_registry or ""
        if registry in ("", "local"):
            return ""
        url, name = registry_base_url(registry, self.settings.insecure)
        self._urls.setdefault(name, url)
        return name

    def sign(
        self, ref: str | PluginReference, key_path: str | Path, password: str | None = None
    ) -> tuple[str, str]:
        """Add a cosign signature for ``ref``'s digest; returns (signature manifest digest,
        key id)."""
        key = load_private_key(key_path, password)
        r = self.reference(ref)
        digest = r.digest or self.resolve(r)
        identity = f"{r.registry}/{r.repository}" if r.registry else r.repository
        payload = simple_signing_payload(identity, digest)
        kid = key_id(key.public_key())
        sig = Signature(payload, sign_payload(payload, key), kid)
        backend = self.backend(r.registry)
        existing_sigs, existing_raw = backend.signatures(r.repository, digest)
        existing = ImageManifest.parse(existing_raw) if existing_raw else None
        raw, config, _ = signature_manifest([sig], existing)
        payloads = [s.payload for s in existing_sigs] + [payload]
        return backend.push_signature_manifest(r.repository, digest, raw, config, payloads), kid

    # --- verify, inspect, list, search --------------------------------------------------------

    def verify(self, ref: str | PluginReference, policy: TrustPolicy | None = None) -> Verification:
        """Check ``ref``'s signatures against the trust policy without pulling the module."""
        r, digest, _ = self.resolve_version(ref)
        backend = self.backend(r.registry)
        backend.manifest(r.repository, digest)  # digest check
        sigs, _ = backend.signatures(r.repository, digest)
        return verify_signatures(policy or self.policy, str(r), r.namespace, r.repository,
                                 digest, sigs)

    def inspect(self, ref: str | PluginReference) -> PluginInfo:
        """Manifest, versions, scan report, signature status and download counts of ``ref``."""
        r, digest, _ = self.resolve_version(ref)
        backend = self.backend(r.registry)
        raw, digest = backend.manifest(r.repository, digest)
        image, manifest = plugin_manifest_of(raw, f"{r.repository}@{digest}")
        wasm = backend.blob(r.repository, image.wasm_layer().digest)
        report = scan_module(wasm, manifest, max_size=self.settings.max_module_size)
        verification = error = None
        try:
            sigs, _ = backend.signatures(r.repository, digest)
            verification = self._check_policy(r, digest, sigs)
        except SignatureError as exc:
            error = str(exc)
        stats_repo = f"{r.registry}/{r.repository}" if r.registry else r.repository
        versions = sorted(version_tags(backend.tags(r.repository)))
        return PluginInfo(r.pinned(digest), digest, manifest, image, versions, report,
                          verification, error, self.store.download_stats(stats_repo)[stats_repo])

    def list_plugins(
        self, registry: str | None = None, refresh: bool = False
    ) -> list[PluginSummary]:
        """Plugins of the local store (default) or of a remote registry."""
        return self.search("", registry=registry, refresh=refresh)

    def search(
        self, text: str = "", *, category: str | None = None, kind: str | None = None,
        registry: str | None = None, refresh: bool = False,
    ) -> list[PluginSummary]:
        """Search the local store, or a remote registry's catalog (``registry``; cached)."""
        name = self._registry_name(registry) if registry is not None else ""
        stats = self.store.download_stats()
        if name:
            summaries = cached_remote_summaries(
                self.backend(name), self.store.root / ".dataflare" / "catalog", refresh
            )
        else:
            summaries = summarize(self.local) if self.store.root.exists() else []
        for s in summaries:
            key = f"{s.registry}/{s.repository}" if s.registry else s.repository
            s.downloads = sum(stats.get(key, {}).values())
        return search_summaries(summaries, text, category, kind)

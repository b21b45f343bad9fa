"""The embedded default registry and pull cache: an OCI image-layout directory.

Layout (readable by oras and skopeo)::

    ROOT/oci-layout                  {"imageLayoutVersion": "1.0.0"}
    ROOT/index.json                  manifests, each with org.opencontainers.image.ref.name
    ROOT/blobs/sha256/<hex>          content-addressed blobs (wasm modules, configs, manifests)
    ROOT/.dataflare/lock             fcntl lock serialising index.json updates across processes
    ROOT/.dataflare/tmp/             staging area (same filesystem, so os.replace is atomic)
    ROOT/.dataflare/stats.json       download statistics (pulls per plugin and version)

``ref.name`` is ``namespace/name:tag`` for plugins published locally and
``registry/namespace/name:tag`` for plugins cached from a remote registry (tags include cosign's
``sha256-<hex>.sig``). Writes go through :meth:`LocalStore.transaction`: blobs are written to the
staging area and verified, then moved in and the index replaced atomically under the lock, so a
failure at any point leaves the store as it was and concurrent writers never lose updates.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataflare_provider.registry.errors import (
    DigestMismatchError,
    LocalStoreError,
    PluginNotFoundError,
)
from dataflare_provider.registry.oci import (
    ANN_REF_NAME,
    CHUNK,
    MEDIA_OCI_INDEX,
    MEDIA_OCI_MANIFEST,
    Descriptor,
    check_digest,
    digest_hex,
    sha256_digest,
)

LAYOUT_VERSION = {"imageLayoutVersion": "1.0.0"}


def _fsync_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file next to ``path``, fsync, and rename over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def split_ref_name(ref_name: str) -> tuple[str, str]:
    """``[registry/]ns/name:tag`` -> (``[registry/]ns/name``, ``tag``)."""
    repo, sep, tag = ref_name.rpartition(":")
    if not sep or "/" in tag:
        raise LocalStoreError(f"index entry has malformed ref.name {ref_name!r}")
    return repo, tag


@dataclass
class Transaction:
    """Staged changes; committed by :meth:`LocalStore.transaction` on a clean exit."""

    store: LocalStore
    staged: dict[str, Path] = field(default_factory=dict)
    tags: list[tuple[str, str, Descriptor]] = field(default_factory=list)
    scratch: list[Path] = field(default_factory=list)
    reused: set[str] = field(default_factory=set)  # blobs already present when staged

    def tmp_file(self) -> Path:
        """A staging file for a streamed download; removed when the transaction ends."""
        path = self.store._tmp_path()
        self.scratch.append(path)
        return path

    def add_blob(self, data: bytes, expected: str | None = None, what: str = "blob") -> str:
        """Stage ``data``; verify it against ``expected`` when given. Returns its digest."""
        digest = sha256_digest(data)
        if expected is not None:
            check_digest(data, expected, what)
        if digest not in self.staged and not self.store.has_blob(digest):
            path = self.store._tmp_path()
            path.write_bytes(data)
            self.staged[digest] = path
        elif digest not in self.staged:
            self.reused.add(digest)
        return digest

    def add_blob_file(self, src: Path, expected: str, what: str = "blob") -> str:
        """Stage a file already written to :meth:`LocalStore.tmp_file` after checking its digest."""
        h = hashlib.sha256()
        with open(src, "rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
        got = "sha256:" + h.hexdigest()
        if got != expected:
            raise DigestMismatchError(
                f"digest mismatch for {what}: expected {expected}, got {got}",
                expected=expected,
                got=got,
            )
        if got not in self.staged and not self.store.has_blob(got):
            self.staged[got] = src
        elif got not in self.staged:
            self.reused.add(got)
        return got

    def tag(self, repository: str, tag: str, desc: Descriptor) -> None:
        """Point ``repository:tag`` at the manifest ``desc`` once committed."""
        self.tags.append((repository, tag, desc))

    def add_manifest(
        self, raw: bytes, repository: str, tag: str | None, expected: str | None = None,
        media_type: str = MEDIA_OCI_MANIFEST, annotations: dict[str, str] | None = None,
    ) -> str:
        """Stage a manifest blob and (optionally) tag it; returns its digest."""
        digest = self.add_blob(raw, expected, what=f"manifest of {repository}")
        if tag is not None:
            self.tag(repository, tag, Descriptor(media_type, digest, len(raw), annotations or {}))
        return digest


class LocalStore:
    """An OCI image-layout directory used as registry and cache. Safe for concurrent processes."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        self._meta = self.root / ".dataflare"

    # --- layout -------------------------------------------------------------------------------

    def init(self) -> None:
        """Create the layout if missing (idempotent, race-free)."""
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self._meta / "tmp").mkdir(parents=True, exist_ok=True)
        with self._locked():
            if not (self.root / "oci-layout").exists():
                _fsync_write(self.root / "oci-layout", json.dumps(LAYOUT_VERSION).encode())
            if not (self.root / "index.json").exists():
                self._write_index([])

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._meta.mkdir(parents=True, exist_ok=True)
        with open(self._meta / "lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _tmp_path(self) -> Path:
        (self._meta / "tmp").mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._meta / "tmp", prefix="blob-")
        os.close(fd)
        return Path(name)

    def tmp_file(self) -> Path:
        """A fresh staging file (for streaming downloads); removed if the transaction fails."""
        self.init()
        return self._tmp_path()

    def _read_index(self) -> list[dict[str, Any]]:
        path = self.root / "index.json"
        if not path.exists():
            return []
        try:
            data = json.loads(path.read_bytes())
        except ValueError as exc:
            raise LocalStoreError(f"{path} is corrupt: {exc}") from None
        manifests = data.get("manifests") or []
        if not isinstance(manifests, list):
            raise LocalStoreError(f"{path}: 'manifests' is not a list")
        return manifests

    def _write_index(self, manifests: list[dict[str, Any]]) -> None:
        body = {"schemaVersion": 2, "mediaType": MEDIA_OCI_INDEX, "manifests": manifests}
        _fsync_write(self.root / "index.json", json.dumps(body, indent=2).encode())

    # --- blobs --------------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / "sha256" / digest_hex(digest)

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def read_blob(self, digest: str, what: str = "blob") -> bytes:
        """Read a blob and check it still hashes to its name (detects on-disk tampering)."""
        path = self.blob_path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise PluginNotFoundError(
                f"{what} {digest} is not in the local store {self.root}"
            ) from None
        check_digest(data, digest, f"{what} in the local store ({path})")
        return data

    def verify_blob(self, digest: str, what: str = "blob") -> Path:
        """Re-hash a blob file in chunks; returns its path."""
        path = self.blob_path(digest)
        if not path.is_file():
            raise PluginNotFoundError(f"{what} {digest} is not in the local store {self.root}")
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
        got = "sha256:" + h.hexdigest()
        if got != digest:
            raise DigestMismatchError(
                f"digest mismatch for {what} in the local store ({path}): "
                f"expected {digest}, got {got}",
                expected=digest,
                got=got,
            )
        return path

    # --- transactions -------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Stage blobs and tags; on a clean exit move blobs in and update the index atomically."""
        self.init()
        tx = Transaction(self)
        try:
            yield tx
            with self._locked():
                gone = [d for d in tx.reused if not self.has_blob(d)]
                if gone:
                    raise LocalStoreError(
                        f"blobs {', '.join(gone)} were removed by a concurrent gc; try again"
                    )
                for digest, src in tx.staged.items():
                    dst = self.blob_path(digest)
                    if dst.exists():
                        src.unlink(missing_ok=True)
                    else:
                        os.replace(src, dst)
                if tx.tags:
                    manifests = self._read_index()
                    for repository, tag, desc in tx.tags:
                        ref_name = f"{repository}:{tag}"
                        manifests = [
                            m for m in manifests
                            if (m.get("annotations") or {}).get(ANN_REF_NAME) != ref_name
                        ]
                        entry = desc.to_dict()
                        entry["annotations"] = {**desc.annotations, ANN_REF_NAME: ref_name}
                        manifests.append(entry)
                    self._write_index(manifests)
        finally:
            for src in [*tx.staged.values(), *tx.scratch]:
                src.unlink(missing_ok=True)

    # --- queries ------------------------------------------------------------------------------

    def entries(self) -> list[tuple[str, str, Descriptor]]:
        """Every tagged manifest as (repository, tag, descriptor)."""
        out = []
        for m in self._read_index():
            ref_name = (m.get("annotations") or {}).get(ANN_REF_NAME)
            if not ref_name:
                continue
            repo, tag = split_ref_name(ref_name)
            out.append((repo, tag, Descriptor.from_dict(m)))
        return out

    def resolve_tag(self, repository: str, tag: str) -> Descriptor | None:
        """The manifest descriptor tagged ``repository:tag``, if any."""
        for repo, t, desc in self.entries():
            if repo == repository and t == tag:
                return desc
        return None

    def list_tags(self, repository: str) -> list[str]:
        return [t for repo, t, _ in self.entries() if repo == repository]

    def repositories(self) -> list[str]:
        return sorted({repo for repo, _, _ in self.entries()})

    def remove_tag(self, repository: str, tag: str) -> bool:
        """Drop a tag (blobs stay until :meth:`gc`)."""
        ref_name = f"{repository}:{tag}"
        with self._locked():
            manifests = self._read_index()
            kept = [m for m in manifests if (m.get("annotations") or {}).get(ANN_REF_NAME) != ref_name]
            if len(kept) == len(manifests):
                return False
            self._write_index(kept)
            return True

    def gc(self) -> list[str]:
        """Delete blobs no tagged manifest references (left by forced republishes or a crash
        between moving blobs in and updating the index); returns their digests."""
        removed = []
        with self._locked():
            keep: set[str] = set()
            for m in self._read_index():
                digest = str(m.get("digest", ""))
                keep.add(digest)
                try:
                    body = json.loads(self.blob_path(digest).read_bytes())
                except (OSError, ValueError, LocalStoreError):
                    continue
                for d in [body.get("config") or {}, *(body.get("layers") or [])]:
                    if isinstance(d, dict) and "digest" in d:
                        keep.add(str(d["digest"]))
            for path in (self.root / "blobs" / "sha256").glob("*"):
                digest = "sha256:" + path.name
                if digest not in keep:
                    path.unlink(missing_ok=True)
                    removed.append(digest)
        return sorted(removed)

    # --- download statistics ------------------------------------------------------------------

    def record_pull(self, repository: str, version: str) -> None:
        """Count one pull of ``repository`` at ``version``."""
        with self._locked():
            path = self._meta / "stats.json"
            stats = self._read_stats()
            per = stats.setdefault(repository, {})
            per[version] = int(per.get(version, 0)) + 1
            _fsync_write(path, json.dumps(stats, indent=2, sort_keys=True).encode())

    def _read_stats(self) -> dict[str, dict[str, int]]:
        path = self._meta / "stats.json"
        try:
            data = json.loads(path.read_bytes())
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def download_stats(self, repository: str | None = None) -> dict[str, dict[str, int]]:
        """Pulls per repository and version (one repository when given)."""
        stats = self._read_stats()
        if repository is not None:
            return {repository: stats.get(repository, {})}
        return stats

"""One interface over the two kinds of registry: the local OCI layout and a remote OCI registry.

The client resolves, pulls and publishes through a :class:`Backend`; both check every digest.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from dataflare_provider.registry.errors import PluginNotFoundError
from dataflare_provider.registry.local_store import LocalStore
from dataflare_provider.registry.manifest import PluginManifest
from dataflare_provider.registry.oci import (
    MEDIA_COSIGN_PAYLOAD,
    ImageManifest,
    PluginArtifact,
    sha256_digest,
)
from dataflare_provider.registry.oci_client import OCIClient
from dataflare_provider.registry.reference import signature_tag
from dataflare_provider.registry.semver import is_version
from dataflare_provider.registry.signing import ANN_KEY_ID, ANN_SIGNATURE, Signature


class Backend(Protocol):
    """What the client needs from a registry."""

    name: str  # "" for the local store, host[:port] for a remote

    def tags(self, repository: str) -> list[str]: ...

    def resolve_tag(self, repository: str, tag: str) -> str | None: ...

    def manifest(self, repository: str, digest_or_tag: str) -> tuple[bytes, str]: ...

    def blob(self, repository: str, digest: str) -> bytes: ...

    def signatures(self, repository: str, digest: str) -> tuple[list[Signature], bytes | None]: ...

    def repositories(self) -> list[str]: ...

    def push_artifact(self, repository: str, tag: str, artifact: PluginArtifact) -> str: ...

    def push_signature_manifest(
        self, repository: str, digest: str, manifest: bytes, config: bytes,
        payloads: list[bytes],
    ) -> str: ...


def _signatures_from(
    raw: bytes, blob_reader: Callable[[str, str], bytes], repository: str
) -> list[Signature]:
    image = ImageManifest.parse(raw, what=f"signature manifest of {repository}")
    out = []
    for layer in image.layers:
        if layer.media_type != MEDIA_COSIGN_PAYLOAD or ANN_SIGNATURE not in layer.annotations:
            continue
        payload = blob_reader(repository, layer.digest)
        out.append(Signature(payload, layer.annotations[ANN_SIGNATURE],
                             layer.annotations.get(ANN_KEY_ID)))
    return out


class LocalBackend:
    """The embedded OCI-layout store (published plugins are tagged ``namespace/name:version``)."""

    name = ""

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def tags(self, repository: str) -> list[str]:
        return [t for t in self.store.list_tags(repository) if not t.startswith("sha256-")]

    def resolve_tag(self, repository: str, tag: str) -> str | None:
        desc = self.store.resolve_tag(repository, tag)
        return desc.digest if desc else None

    def manifest(self, repository: str, digest_or_tag: str) -> tuple[bytes, str]:
        digest = digest_or_tag
        if not digest_or_tag.startswith("sha256:"):
            found = self.resolve_tag(repository, digest_or_tag)
            if found is None:
                raise PluginNotFoundError(
                    f"manifest {repository}:{digest_or_tag} not found in the local store "
                    f"{self.store.root}"
                )
            digest = found
        raw = self.store.read_blob(digest, what=f"manifest {repository}@{digest}")
        return raw, digest

    def blob(self, repository: str, digest: str) -> bytes:
        return self.store.read_blob(digest, what=f"blob {digest} of {repository}")

    def signatures(self, repository: str, digest: str) -> tuple[list[Signature], bytes | None]:
        desc = self.store.resolve_tag(repository, signature_tag(digest))
        if desc is None:
            return [], None
        raw = self.store.read_blob(desc.digest, what=f"signature manifest of {repository}")
        return _signatures_from(raw, self.blob, repository), raw

    def repositories(self) -> list[str]:
        # cached remote plugins are stored as "registry/ns/name": their first component has a
        # "." or ":" (or is localhost)
        out = []
        for repo in self.store.repositories():
            first = repo.split("/")[0]
            if "." in first or ":" in first or first == "localhost":
                continue
            out.append(repo)
        return out

    def push_artifact(self, repository: str, tag: str, artifact: PluginArtifact) -> str:
        with self.store.transaction() as tx:
            tx.add_blob(artifact.config_bytes)
            staged = tx.tmp_file()
            with open(artifact.wasm_path, "rb") as src, open(staged, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            tx.add_blob_file(staged, artifact.wasm_digest, what=f"module {artifact.wasm_path}")
            return tx.add_manifest(artifact.manifest_bytes, repository, tag)

    def push_signature_manifest(
        self, repository: str, digest: str, manifest: bytes, config: bytes,
        payloads: list[bytes],
    ) -> str:
        with self.store.transaction() as tx:
            tx.add_blob(config)
            for p in payloads:
                tx.add_blob(p)
            return tx.add_manifest(manifest, repository, signature_tag(digest))


class RemoteBackend:
    """A remote OCI registry through :class:`OCIClient`."""

    def __init__(self, client: OCIClient) -> None:
        self.client = client
        self.name = client.name

    def tags(self, repository: str) -> list[str]:
        return self.client.list_tags(repository)

    def resolve_tag(self, repository: str, tag: str) -> str | None:
        return self.client.head_manifest(repository, tag)

    def manifest(self, repository: str, digest_or_tag: str) -> tuple[bytes, str]:
        raw, digest, _ = self.client.get_manifest(repository, digest_or_tag)
        return raw, digest

    def blob(self, repository: str, digest: str) -> bytes:
        return self.client.get_blob(repository, digest)

    def download(self, repository: str, digest: str, dest: Path, max_size: int) -> None:
        self.client.download_blob(repository, digest, dest, max_size)

    def signatures(self, repository: str, digest: str) -> tuple[list[Signature], bytes | None]:
        try:
            raw, _, _ = self.client.get_manifest(repository, signature_tag(digest))
        except PluginNotFoundError:
            return [], None
        return _signatures_from(raw, self.blob, repository), raw

    def repositories(self) -> list[str]:
        return self.client.catalog()

    def push_artifact(self, repository: str, tag: str, artifact: PluginArtifact) -> str:
        for desc, content in artifact.blobs():
            self.client.push_blob(repository, desc.digest, desc.size, content)
        return self.client.put_manifest(repository, tag, artifact.manifest_bytes)

    def push_signature_manifest(
        self, repository: str, digest: str, manifest: bytes, config: bytes,
        payloads: list[bytes],
    ) -> str:
        self.client.push_blob(repository, sha256_digest(config), len(config), config)
        for p in payloads:
            self.client.push_blob(repository, sha256_digest(p), len(p), p)
        return self.client.put_manifest(repository, signature_tag(digest), manifest)


def version_tags(tags: list[str]) -> list[str]:
    """Tags that are versions (``sha256-*`` signature tags and others dropped)."""
    return [t for t in tags if not t.startswith("sha256-") and is_version(t)]


def plugin_manifest_of(raw: bytes, what: str) -> tuple[ImageManifest, PluginManifest]:
    """Parse an artifact manifest and the ``plugin.toml`` in its annotations."""
    image = ImageManifest.parse(raw, what=what)
    image.wasm_layer(what)
    return image, image.plugin_manifest(what)


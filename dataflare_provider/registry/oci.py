"""OCI media types, digests, descriptors and the CNCF wasm artifact layout of a plugin.

A published plugin is an OCI image manifest whose config is ``application/vnd.wasm.config.v0+json``
and whose single layer is the ``application/wasm`` module; DataFlare metadata is in the manifest
annotations (``org.opencontainers.image.*`` and ``io.dataflare.plugin.*``), the whole
``plugin.toml`` as JSON in ``io.dataflare.plugin.manifest``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dataflare_provider.registry.errors import DigestMismatchError, RegistryError
from dataflare_provider.registry.manifest import PluginManifest

MEDIA_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_WASM_CONFIG = "application/vnd.wasm.config.v0+json"
MEDIA_WASM = "application/wasm"
MEDIA_COSIGN_PAYLOAD = "application/vnd.dev.cosign.simplesigning.v1+json"
MANIFEST_ACCEPT = ", ".join([MEDIA_OCI_MANIFEST, MEDIA_OCI_INDEX, MEDIA_DOCKER_MANIFEST])

ANN_TITLE = "org.opencontainers.image.title"
ANN_VERSION = "org.opencontainers.image.version"
ANN_DESCRIPTION = "org.opencontainers.image.description"
ANN_LICENSES = "org.opencontainers.image.licenses"
ANN_AUTHORS = "org.opencontainers.image.authors"
ANN_URL = "org.opencontainers.image.url"
ANN_SOURCE = "org.opencontainers.image.source"
ANN_CREATED = "org.opencontainers.image.created"
ANN_REF_NAME = "org.opencontainers.image.ref.name"
ANN_PLUGIN_MANIFEST = "io.dataflare.plugin.manifest"
ANN_PLUGIN_NAMESPACE = "io.dataflare.plugin.namespace"
ANN_PLUGIN_NAME = "io.dataflare.plugin.name"
ANN_PLUGIN_KIND = "io.dataflare.plugin.kind"
ANN_PLUGIN_ABI = "io.dataflare.plugin.abi"
ANN_PLUGIN_CATEGORIES = "io.dataflare.plugin.categories"
ANN_PLUGIN_KEYWORDS = "io.dataflare.plugin.keywords"

CHUNK = 1 << 20


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def file_digest(path: str | Path) -> tuple[str, int]:
    """Digest and size of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return "sha256:" + h.hexdigest(), size


def check_digest(data: bytes, expected: str, what: str) -> None:
    """Raise :class:`DigestMismatchError` unless ``data`` hashes to ``expected``."""
    got = sha256_digest(data)
    if got != expected:
        raise DigestMismatchError(
            f"digest mismatch for {what}: expected {expected}, got {got}",
            expected=expected,
            got=got,
        )


def digest_hex(digest: str) -> str:
    """The hex part of ``sha256:<hex>`` (validated)."""
    algo, _, hexpart = digest.partition(":")
    if algo != "sha256" or len(hexpart) != 64 or any(c not in "0123456789abcdef" for c in hexpart):
        raise RegistryError(f"unsupported or malformed digest {digest!r}")
    return hexpart


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor."""

    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            d["annotations"] = dict(self.annotations)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Descriptor:
        try:
            return cls(
                media_type=str(d["mediaType"]),
                digest=str(d["digest"]),
                size=int(d["size"]),
                annotations={str(k): str(v) for k, v in (d.get("annotations") or {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryError(f"malformed OCI descriptor {d!r}: {exc}") from None


@dataclass(frozen=True)
class ImageManifest:
    """A parsed OCI image manifest (only what DataFlare needs)."""

    config: Descriptor
    layers: list[Descriptor]
    annotations: dict[str, str]
    media_type: str = MEDIA_OCI_MANIFEST

    @classmethod
    def parse(cls, raw: bytes, what: str = "manifest") -> ImageManifest:
        try:
            d = json.loads(raw)
        except ValueError as exc:
            raise RegistryError(f"{what} is not JSON: {exc}") from None
        if not isinstance(d, dict) or d.get("schemaVersion") != 2 or "config" not in d:
            mt = d.get("mediaType") if isinstance(d, dict) else None
            raise RegistryError(f"{what} is not an OCI image manifest (mediaType {mt!r})")
        return cls(
            config=Descriptor.from_dict(d["config"]),
            layers=[Descriptor.from_dict(x) for x in d.get("layers") or []],
            annotations={str(k): str(v) for k, v in (d.get("annotations") or {}).items()},
            media_type=str(d.get("mediaType") or MEDIA_OCI_MANIFEST),
        )

    def to_bytes(self) -> bytes:
        body: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": self.config.to_dict(),
            "layers": [x.to_dict() for x in self.layers],
        }
        if self.annotations:
            body["annotations"] = dict(self.annotations)
        return json.dumps(body, indent=2, sort_keys=False).encode()

    @property
    def is_plugin(self) -> bool:
        return self.config.media_type == MEDIA_WASM_CONFIG

    def wasm_layer(self, what: str = "manifest") -> Descriptor:
        """The single ``application/wasm`` layer."""
        wasm = [x for x in self.layers if x.media_type == MEDIA_WASM]
        if not self.is_plugin or len(wasm) != 1:
            raise RegistryError(
                f"{what} is not a DataFlare wasm artifact (config {self.config.media_type!r}, "
                f"{len(wasm)} application/wasm layers)"
            )
        return wasm[0]

    def plugin_manifest(self, what: str = "manifest") -> PluginManifest:
        """The ``plugin.toml`` stored in the annotations."""
        raw = self.annotations.get(ANN_PLUGIN_MANIFEST)
        if raw is None:
            raise RegistryError(f"{what} has no {ANN_PLUGIN_MANIFEST} annotation")
        return PluginManifest.from_json(raw, source=what)


def _created() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def wasm_config_blob(manifest: PluginManifest, layer_digest: str, created: str) -> bytes:
    """The ``application/vnd.wasm.config.v0+json`` config of the CNCF wasm artifact."""
    cfg: dict[str, Any] = {
        "created": created,
        "author": ", ".join(manifest.authors) or None,
        "architecture": "wasm",
        "os": "wasip2" if manifest.is_component else "wasip1",
        "layerDigests": [layer_digest],
    }
    if manifest.is_component:
        cfg["component"] = {"exports": [manifest.abi], "imports": []}
    cfg = {k: v for k, v in cfg.items() if v is not None}
    return json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()


def plugin_annotations(manifest: PluginManifest, created: str) -> dict[str, str]:
    """Manifest annotations describing the plugin."""
    ann = {
        ANN_TITLE: manifest.name,
        ANN_VERSION: manifest.version,
        ANN_DESCRIPTION: manifest.description,
        ANN_LICENSES: manifest.license or "",
        ANN_AUTHORS: ", ".join(manifest.authors),
        ANN_URL: manifest.homepage or "",
        ANN_SOURCE: manifest.repository or "",
        ANN_CREATED: created,
        ANN_PLUGIN_NAMESPACE: manifest.namespace,
        ANN_PLUGIN_NAME: manifest.name,
        ANN_PLUGIN_KIND: manifest.kind,
        ANN_PLUGIN_ABI: manifest.abi,
        ANN_PLUGIN_CATEGORIES: ",".join(manifest.categories),
        ANN_PLUGIN_KEYWORDS: ",".join(manifest.keywords),
        ANN_PLUGIN_MANIFEST: manifest.to_json(),
    }
    return {k: v for k, v in ann.items() if v}


@dataclass(frozen=True)
class PluginArtifact:
    """Everything to push for one plugin: the manifest, its config blob and the wasm layer."""

    manifest_bytes: bytes
    config_bytes: bytes
    wasm_path: Path
    wasm_digest: str
    wasm_size: int

    @property
    def digest(self) -> str:
        return sha256_digest(self.manifest_bytes)

    @property
    def manifest(self) -> ImageManifest:
        return ImageManifest.parse(self.manifest_bytes)

    def blobs(self) -> Iterable[tuple[Descriptor, bytes | Path]]:
        m = self.manifest
        yield m.config, self.config_bytes
        yield m.layers[0], self.wasm_path


def build_plugin_artifact(
    manifest: PluginManifest, wasm_path: str | Path, created: str | None = None
) -> PluginArtifact:
    """Lay out ``wasm_path`` + ``manifest`` as a CNCF wasm OCI artifact."""
    wasm_path = Path(wasm_path)
    created = created or _created()
    wasm_digest, wasm_size = file_digest(wasm_path)
    config = wasm_config_blob(manifest, wasm_digest, created)
    layer = Descriptor(
        MEDIA_WASM, wasm_digest, wasm_size, {ANN_TITLE: f"{manifest.name}.wasm"}
    )
    image = ImageManifest(
        config=Descriptor(MEDIA_WASM_CONFIG, sha256_digest(config), len(config)),
        layers=[layer],
        annotations=plugin_annotations(manifest, created),
    )
    return PluginArtifact(image.to_bytes(), config, wasm_path, wasm_digest, wasm_size)

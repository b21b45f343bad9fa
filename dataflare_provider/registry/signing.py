"""ECDSA P-256 signatures in cosign's simple-signing format.

The payload names the signed manifest digest; the signature is ECDSA-P256-SHA256 over the payload
bytes, DER-encoded and base64'd. Signatures live in an OCI image manifest tagged
``sha256-<hex>.sig`` in the plugin's repository: each layer is one payload
(``application/vnd.dev.cosign.simplesigning.v1+json``) with the signature in the layer annotation
``dev.cosignproject.cosign/signature``. Keys are PEM files (PKCS#8 private key, optionally
password-encrypted; SubjectPublicKeyInfo public key, the same format ``cosign verify --key`` reads).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dataflare_provider.registry.errors import InvalidSignatureError, SigningKeyError
from dataflare_provider.registry.oci import (
    MEDIA_COSIGN_PAYLOAD,
    MEDIA_OCI_CONFIG,
    Descriptor,
    ImageManifest,
    sha256_digest,
)

COSIGN_TYPE = "cosign container image signature"
ANN_SIGNATURE = "dev.cosignproject.cosign/signature"
ANN_KEY_ID = "io.dataflare.signature.key-id"


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """Short id of a public key: first 16 hex chars of sha256(DER SubjectPublicKeyInfo)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


def generate_keypair(prefix: str | Path, password: str | None = None) -> tuple[Path, Path]:
    """Write ``PREFIX.key`` (mode 0600) and ``PREFIX.pub``; returns their paths."""
    prefix = Path(prefix)
    key = ec.generate_private_key(ec.SECP256R1())
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_path = prefix.with_name(prefix.name + ".key")
    pub_path = prefix.with_name(prefix.name + ".pub")
    if key_path.exists():
        raise SigningKeyError(f"refusing to overwrite existing key {key_path}")
    key_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(priv)
    pub_path.write_bytes(pub)
    return key_path, pub_path


def load_private_key(path: str | Path, password: str | None = None) -> ec.EllipticCurvePrivateKey:
    """Load a P-256 private key from PEM; raises :class:`SigningKeyError`."""
    try:
        data = Path(path).read_bytes()
        key = serialization.load_pem_private_key(data, password.encode() if password else None)
    except FileNotFoundError:
        raise SigningKeyError(f"signing key {path} does not exist") from None
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"cannot load signing key {path}: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SigningKeyError(f"signing key {path} is not an ECDSA P-256 key")
    return key


def load_public_key(path_or_pem: str | Path | bytes) -> ec.EllipticCurvePublicKey:
    """Load a P-256 public key from a PEM file or PEM bytes."""
    where = "PEM data" if isinstance(path_or_pem, bytes) else str(path_or_pem)
    try:
        data = path_or_pem if isinstance(path_or_pem, bytes) else Path(path_or_pem).read_bytes()
        key = serialization.load_pem_public_key(data)
    except FileNotFoundError:
        raise SigningKeyError(f"public key {where} does not exist") from None
    except ValueError as exc:
        raise SigningKeyError(f"cannot load public key {where}: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise SigningKeyError(f"public key {where} is not an ECDSA P-256 key")
    return key


def simple_signing_payload(
    docker_reference: str, manifest_digest: str, optional: dict[str, str] | None = None
) -> bytes:
    """cosign's simple-signing payload for ``manifest_digest``."""
    body = {
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": manifest_digest},
            "type": COSIGN_TYPE,
        },
        "optional": optional or None,
    }
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True)
class SignedPayload:
    """What a payload claims (after the signature checked out)."""

    docker_reference: str
    manifest_digest: str
    optional: dict[str, Any]


def parse_payload(raw: bytes) -> SignedPayload:
    """Read a simple-signing payload; raises :class:`InvalidSignatureError` if malformed."""
    try:
        d = json.loads(raw)
        crit = d["critical"]
        image = {k.lower(): v for k, v in crit["image"].items()}
        if crit.get("type") != COSIGN_TYPE:
            raise ValueError(f"type is {crit.get('type')!r}, expected {COSIGN_TYPE!r}")
        return SignedPayload(
            docker_reference=str(crit.get("identity", {}).get("docker-reference", "")),
            manifest_digest=str(image["docker-manifest-digest"]),
            optional=dict(d.get("optional") or {}),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidSignatureError(f"malformed simple-signing payload: {exc}") from None


def sign_payload(payload: bytes, key: ec.EllipticCurvePrivateKey) -> str:
    """Base64 DER ECDSA-P256-SHA256 signature over ``payload``."""
    return base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()


def verify_payload(payload: bytes, signature_b64: str, key: ec.EllipticCurvePublicKey) -> bool:
    """Whether ``signature_b64`` is ``key``'s signature over ``payload``."""
    try:
        sig = base64.b64decode(signature_b64, validate=True)
        key.verify(sig, payload, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Signature:
    """One signature layer: payload bytes, base64 signature, claimed key id (informational)."""

    payload: bytes
    signature: str
    claimed_key_id: str | None = None


def signature_layer(sig: Signature) -> Descriptor:
    ann = {ANN_SIGNATURE: sig.signature}
    if sig.claimed_key_id:
        ann[ANN_KEY_ID] = sig.claimed_key_id
    return Descriptor(MEDIA_COSIGN_PAYLOAD, sha256_digest(sig.payload), len(sig.payload), ann)


def signature_config(layers: list[Descriptor]) -> bytes:
    """The OCI image config cosign writes for a signature manifest."""
    cfg = {
        "architecture": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [x.digest for x in layers]},
    }
    return json.dumps(cfg, separators=(",", ":")).encode()


def signature_manifest(
    sigs: list[Signature], existing: ImageManifest | None = None
) -> tuple[bytes, bytes, list[Descriptor]]:
    """A signature manifest with ``existing``'s layers plus ``sigs`` (duplicates dropped).

    Returns (manifest bytes, config bytes, all layers)."""
    layers = list(existing.layers) if existing else []
    have = {(x.digest, x.annotations.get(ANN_SIGNATURE)) for x in layers}
    for s in sigs:
        layer = signature_layer(s)
        if (layer.digest, s.signature) not in have:
            layers.append(layer)
    config = signature_config(layers)
    image = ImageManifest(
        config=Descriptor(MEDIA_OCI_CONFIG, sha256_digest(config), len(config)),
        layers=layers,
        annotations={},
    )
    return image.to_bytes(), config, layers

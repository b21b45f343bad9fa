"""The trust policy: which public keys are trusted for which namespaces, and whether unsigned
plugins may run. Loaded from TOML::

    require_signatures = true

    [[trust]]
    namespaces = ["dataflare", "acme/*"]   # fnmatch patterns over the namespace
    key = "keys/dataflare.pub"             # PEM, relative to the policy file

and checked by :func:`verify_signatures` before a pulled plugin is handed to anyone.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel, ConfigDict, Field

from dataflare_provider.registry.errors import (
    InvalidSignatureError,
    SignatureError,
    SigningKeyError,
    UnsignedPluginError,
    UntrustedSignatureError,
)
from dataflare_provider.registry.signing import (
    Signature,
    key_id,
    load_public_key,
    parse_payload,
    verify_payload,
)


class TrustRule(BaseModel):
    """Keys trusted for namespaces matching any of ``namespaces``."""

    model_config = ConfigDict(extra="forbid")

    namespaces: list[str] = Field(min_length=1)
    key: str = Field(description="Path to a PEM public key, or the PEM text itself")


class TrustPolicy(BaseModel):
    """Trusted keys per namespace pattern and whether signatures are mandatory."""

    model_config = ConfigDict(extra="forbid")

    require_signatures: bool = False
    trust: list[TrustRule] = Field(default_factory=list)
    base_dir: str | None = Field(None, description="Resolve relative key paths against this")

    @classmethod
    def load(cls, path: str | Path) -> TrustPolicy:
        """Read a policy file; raises :class:`SigningKeyError` when it is missing or invalid."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text())
        except FileNotFoundError:
            raise SigningKeyError(f"trust policy {p} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise SigningKeyError(f"trust policy {p} is not valid TOML: {exc}") from None
        data.setdefault("base_dir", str(p.parent))
        return cls.model_validate(data)

    @classmethod
    def trusting(
        cls, keys: dict[str, str | Path], require_signatures: bool = True
    ) -> TrustPolicy:
        """Shorthand: ``{namespace pattern: public key path}``."""
        return cls(
            require_signatures=require_signatures,
            trust=[TrustRule(namespaces=[ns], key=str(k)) for ns, k in keys.items()],
        )

    def keys_for(self, namespace: str) -> list[ec.EllipticCurvePublicKey]:
        """Public keys trusted for ``namespace``."""
        out = []
        for rule in self.trust:
            if any(fnmatch.fnmatchcase(namespace, pat) for pat in rule.namespaces):
                if rule.key.lstrip().startswith("-----BEGIN"):
                    out.append(load_public_key(rule.key.encode()))
                else:
                    path = Path(rule.key).expanduser()
                    if not path.is_absolute() and self.base_dir:
                        path = Path(self.base_dir) / path
                    out.append(load_public_key(path))
        return out


def _repository_path(docker_reference: str, components: int) -> str:
    """The last ``components`` path components of ``[registry/]ns/name[:tag][@digest]``."""
    parts = docker_reference.split("@")[0].split("/")
    parts[-1] = parts[-1].split(":")[0]
    return "/".join(parts[-components:])


@dataclass(frozen=True)
class Verification:
    """Outcome of a policy check: ``status`` is verified, unsigned or unchecked."""

    status: str
    key_id: str | None = None
    detail: str = ""


def verify_signatures(
    policy: TrustPolicy,
    reference: str,
    namespace: str,
    repository: str,
    digest: str,
    signatures: Sequence[Signature],
) -> Verification:
    """Apply ``policy`` to the signatures found for ``digest``.

    Unsigned under ``require_signatures`` -> :class:`UnsignedPluginError`; signatures that no key
    trusted for the namespace verifies -> :class:`UntrustedSignatureError`; a trusted signature over
    another digest or repository -> :class:`InvalidSignatureError`. With no trusted key for the
    namespace and signatures optional, the plugin passes as ``unchecked``.
    """
    keys = policy.keys_for(namespace)
    trusted_ids = [key_id(k) for k in keys]
    if not signatures:
        if policy.require_signatures:
            raise UnsignedPluginError(
                f"plugin {reference} ({digest}) has no signature and the trust policy requires one",
                reference=reference,
                digest=digest,
            )
        return Verification("unsigned", detail="no signature (allowed by the trust policy)")
    if not keys:
        if policy.require_signatures:
            raise UntrustedSignatureError(
                f"plugin {reference} is signed, but the trust policy trusts no key for namespace "
                f"{namespace!r}",
                reference=reference,
                digest=digest,
            )
        return Verification("unchecked", detail=f"no trusted key for namespace {namespace!r}")
    problems: list[str] = []
    claimed: list[str] = []
    for sig in signatures:
        for key, kid in zip(keys, trusted_ids, strict=True):
            if not verify_payload(sig.payload, sig.signature, key):
                continue
            payload = parse_payload(sig.payload)
            if payload.manifest_digest != digest:
                problems.append(
                    f"signature by key {kid} is for {payload.manifest_digest}, not {digest}"
                )
                continue
            signed_repo = _repository_path(payload.docker_reference, repository.count("/") + 1)
            if signed_repo != repository:
                problems.append(
                    f"signature by key {kid} is for repository {signed_repo!r}, not {repository!r}"
                )
                continue
            return Verification("verified", key_id=kid)
        if sig.claimed_key_id:
            claimed.append(sig.claimed_key_id)
    if problems:
        raise InvalidSignatureError(
            f"plugin {reference}: " + "; ".join(problems), reference=reference, digest=digest
        )
    by = f"key(s) {', '.join(sorted(set(claimed)))}" if claimed else "an unknown key"
    raise UntrustedSignatureError(
        f"plugin {reference} ({digest}) is signed by {by}, not by a key trusted for namespace "
        f"{namespace!r} (trusted: {', '.join(trusted_ids)})",
        reference=reference,
        digest=digest,
    )


__all__ = [
    "SignatureError",
    "TrustPolicy",
    "TrustRule",
    "Verification",
    "verify_signatures",
]

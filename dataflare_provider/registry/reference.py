"""Plugin references: ``[registry/]namespace/name[:version | :range | @sha256:digest]``.

The first path component is a registry when it contains a ``.`` or a ``:`` or is ``localhost``
(Docker's rule), e.g. ``127.0.0.1:5000/dataflare/json-flatten:^1.2``. Without one, the default
registry applies (the local store unless settings name a remote). The namespace may have several
components (``acme/team/name``). After the name comes an exact version (``:1.2.3``, also the OCI
tag), a range (``:^1.2``, ``:~1.4.0``, ``:>=1,<2``), ``:latest``, or a digest (``@sha256:<64 hex>``).
No suffix means the highest stable version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from dataflare_provider.registry.errors import InvalidReferenceError
from dataflare_provider.registry.semver import SemverError, VersionRange, is_version

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class PluginReference:
    """A parsed reference. Exactly one of ``version``, ``range`` or ``digest`` may be set
    (``digest`` may come together with a version or range, which then is informational)."""

    namespace: str
    name: str
    registry: str | None = None
    version: str | None = None
    range: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """``namespace/name``: the OCI repository path."""
        return f"{self.namespace}/{self.name}"

    @property
    def is_pinned(self) -> bool:
        """Whether this names one artifact (a digest) rather than a tag or range."""
        return self.digest is not None

    def version_range(self) -> VersionRange:
        """The range to resolve against tags (exact versions become ``=X``; none means any)."""
        if self.version is not None:
            return VersionRange.exact(self.version)
        return VersionRange.parse(self.range or "*")

    def with_registry(self, registry: str | None) -> PluginReference:
        """This reference with the registry filled in when it names none."""
        return self if self.registry or registry is None else replace(self, registry=registry)

    def pinned(self, digest: str) -> PluginReference:
        """This reference pinned to ``digest``."""
        return replace(self, digest=digest)

    def __str__(self) -> str:
        out = f"{self.registry}/" if self.registry else ""
        out += self.repository
        if self.version:
            out += f":{self.version}"
        elif self.range:
            out += f":{self.range}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def _is_registry(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


def parse_reference(text: str, default_registry: str | None = None) -> PluginReference:
    """Parse ``text``; raises :class:`InvalidReferenceError` saying which part is wrong."""
    raw = text.strip()
    if not raw:
        raise InvalidReferenceError("empty plugin reference")
    for scheme in ("oci://", "docker://"):
        if raw.startswith(scheme):
            raw = raw[len(scheme) :]
    digest: str | None = None
    if "@" in raw:
        raw, digest = raw.rsplit("@", 1)
        if not _DIGEST.match(digest):
            raise InvalidReferenceError(
                f"invalid digest {digest!r} in reference {text!r} (expected sha256:<64 hex>)",
                reference=text,
            )
    parts = raw.split("/")
    registry: str | None = None
    if (len(parts) >= 3 and _is_registry(parts[0])) or (len(parts) == 2 and _is_registry(parts[0])):
        registry, parts = parts[0], parts[1:]
    if len(parts) < 2:
        raise InvalidReferenceError(
            f"reference {text!r} needs a namespace and a name (namespace/name)", reference=text
        )
    last = parts[-1]
    suffix: str | None = None
    if ":" in last:
        last, suffix = last.split(":", 1)
    parts[-1] = last
    for comp in parts:
        if not _COMPONENT.match(comp):
            raise InvalidReferenceError(
                f"invalid path component {comp!r} in reference {text!r} "
                "(lowercase letters, digits and . _ - separators)",
                reference=text,
            )
    version: str | None = None
    vrange: str | None = None
    if suffix is not None:
        if is_version(suffix):
            version = suffix
        else:
            try:
                VersionRange.parse(suffix)
            except SemverError as exc:
                raise InvalidReferenceError(f"reference {text!r}: {exc}", reference=text) from None
            vrange = suffix
    return PluginReference(
        namespace="/".join(parts[:-1]),
        name=parts[-1],
        registry=registry or default_registry,
        version=version,
        range=vrange,
        digest=digest,
    )


def signature_tag(digest: str) -> str:
    """cosign's tag for the signatures of ``digest``: ``sha256-<hex>.sig``."""
    return digest.replace(":", "-") + ".sig"

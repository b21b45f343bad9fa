"""Registry errors. Each names what is wrong: the reference, the digest expected and got, the key,
the HTTP status. Transient ones (registry unreachable, 5xx, 429) may be retried; the rest fail the
same way every time."""

from __future__ import annotations

from dataflare_provider.errors import ConfigError, PermanentError, PluginLoadError, TransientError


class InvalidReferenceError(ConfigError):
    """A plugin reference does not parse (``[registry/]namespace/name[:version|:range|@digest]``)."""


class ManifestError(ConfigError):
    """``plugin.toml`` is missing, malformed or does not match the manifest schema."""


class RegistryUnavailableError(TransientError):
    """The registry could not be reached, or answered 5xx/429 after every retry."""


class RegistryError(PermanentError):
    """The registry refused a request or answered something this client cannot use."""


class RegistryAuthError(RegistryError):
    """401: missing or bad credentials (or the token server refused them)."""


class RegistryForbiddenError(RegistryError):
    """403: the credentials are valid but do not grant this action on this repository."""


class PluginNotFoundError(RegistryError):
    """404: no such repository, tag, manifest or blob (or no version matches a range)."""


class VersionExistsError(RegistryError):
    """Publishing a version that already exists with different content (versions are immutable)."""


class DigestMismatchError(PermanentError):
    """Content did not hash to the digest it was addressed by (tampered or corrupted)."""


class SignatureError(PermanentError):
    """Base of signature and trust-policy failures."""


class UnsignedPluginError(SignatureError):
    """The plugin has no signature but the trust policy requires one."""


class UntrustedSignatureError(SignatureError):
    """The plugin is signed, but by no key the trust policy trusts for its namespace."""


class InvalidSignatureError(SignatureError):
    """A signature is malformed or does not match its payload / the plugin digest."""


class SigningKeyError(ConfigError):
    """A signing or public key file is missing or unreadable."""


class ScanError(PluginLoadError):
    """The module failed the publish/pull scan (invalid, wrong exports, forbidden imports, too big)."""


class ResolutionError(PermanentError):
    """No version satisfies a reference, or the transitive ``requires`` cannot be satisfied."""


class VersionConflictError(ResolutionError):
    """Two constraints on the same plugin have no version in common."""


class LockfileError(ConfigError):
    """``dataflare.lock`` is malformed, or lacks an entry in lockfile-only mode."""


class LocalStoreError(PermanentError):
    """The local OCI layout is corrupt or cannot be written."""

"""Plugin registry: references, the OCI client, the local OCI-layout store, signatures, scanning,
resolution with a lockfile, and search. Start from :class:`RegistryClient`."""

from dataflare_provider.registry.client import (
    PluginInfo,
    PublishResult,
    PulledPlugin,
    RegistryClient,
    RegistrySettings,
)
from dataflare_provider.registry.lockfile import Lockfile
from dataflare_provider.registry.manifest import PluginManifest, load_manifest, validate_config
from dataflare_provider.registry.reference import PluginReference, parse_reference
from dataflare_provider.registry.semver import VersionRange
from dataflare_provider.registry.trust import TrustPolicy, Verification

__all__ = [
    "Lockfile",
    "PluginInfo",
    "PluginManifest",
    "PluginReference",
    "PublishResult",
    "PulledPlugin",
    "RegistryClient",
    "RegistrySettings",
    "TrustPolicy",
    "Verification",
    "VersionRange",
    "load_manifest",
    "parse_reference",
    "validate_config",
]

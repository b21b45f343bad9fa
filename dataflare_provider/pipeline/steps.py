"""A pipeline step: a loaded plugin, its validated config and its limits.

:func:`resolve_step` accepts what users write: a ``.wasm`` path, a registry reference such as
``dataflare/basic-transformer:^1.0`` (pulled, verified and scanned by the registry client), or an
already loaded plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataflare_provider.errors import ConfigError
from dataflare_provider.registry import PluginManifest, RegistryClient, load_manifest
from dataflare_provider.registry.manifest import validate_config
from dataflare_provider.runtime.limits import Limits
from dataflare_provider.runtime.loader import LoadedPlugin, load_plugin


@dataclass
class Step:
    """One plugin of a pipeline."""

    plugin: LoadedPlugin
    config: dict[str, Any] = field(default_factory=dict)
    limits: Limits | None = None
    manifest: PluginManifest | None = None
    reference: str | None = None  # what the user asked for
    digest: str | None = None  # registry manifest digest, when pulled

    @property
    def name(self) -> str:
        return self.plugin.name

    def describe(self) -> dict[str, Any]:
        """Identity of the step for reports and fingerprints."""
        return {
            "plugin": self.name,
            "reference": self.reference,
            "version": self.manifest.version if self.manifest else None,
            "digest": self.digest,
            "wasm_sha256": self.plugin.digest,
            "config": self.config,
        }


def manifest_limits(manifest: PluginManifest | None) -> Limits | None:
    """The runtime limits a manifest's ``[limits]`` table asks for."""
    return Limits(**manifest.runtime_limits()) if manifest is not None else None


def component_options(manifest: PluginManifest | None) -> dict[str, Any]:
    """What a manifest tells the component loader (ignored for core modules)."""
    if manifest is None or not manifest.is_component:
        return {}
    options: dict[str, Any] = {"stateful": manifest.stateful}
    if manifest.record_mapping is not None:
        options["mapping"] = manifest.record_mapping.model_dump()
    return options


def _is_path(spec: str) -> bool:
    return spec.endswith(".wasm") or spec.startswith(("/", "./", "../")) or Path(spec).is_file()


def resolve_step(
    spec: str | Path | LoadedPlugin,
    config: Mapping[str, Any] | None = None,
    *,
    limits: Limits | Mapping[str, Any] | None = None,
    registry: RegistryClient | None = None,
) -> Step:
    """Load the plugin ``spec`` names and check ``config`` against its manifest's schema."""
    config = dict(config or {})
    override = Limits.model_validate(limits) if isinstance(limits, Mapping) else limits
    manifest: PluginManifest | None = None
    digest: str | None = None
    reference: str | None = None
    if isinstance(spec, Path) or (isinstance(spec, str) and _is_path(spec)):
        path = Path(spec)
        if not path.is_file():
            raise ConfigError(f"plugin file {path} does not exist")
        toml = path.parent / "plugin.toml"
        for candidate in (toml, path.parent.parent / "plugin.toml"):
            if candidate.is_file():
                manifest = load_manifest(candidate)
                break
        base = manifest_limits(manifest) or Limits()
        plugin = load_plugin(
            path, name=manifest.name if manifest else path.stem, limits=base.merged(override),
            **component_options(manifest),
        )  # fmt: skip
        reference = str(path)
    elif isinstance(spec, str):
        client = registry or RegistryClient()
        pulled = client.pull(spec)
        manifest, digest, reference = pulled.manifest, pulled.digest, spec
        base = manifest_limits(manifest) or Limits()
        plugin = load_plugin(
            pulled.path, name=manifest.name, limits=base.merged(override),
            digest=pulled.wasm_digest.removeprefix("sha256:"), **component_options(manifest),
        )  # fmt: skip
    else:
        plugin = spec
    if manifest is not None:
        validate_config(manifest, config)
    return Step(plugin, config, override, manifest, reference, digest)

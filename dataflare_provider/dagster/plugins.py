"""What an asset runs: :class:`PluginSpec` (a plugin, its config and limits), and the check of a
spec's config against the plugin's JSON Schema at definition-load time.

The definition-time check reads only the plugin's manifest (a ``plugin.toml`` next to a ``.wasm``
file, or the manifest in the registry) and never fails a code location because the registry or the
plugin is unavailable: the config is then checked when the asset runs (``resolve_step``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from dataflare_provider.errors import ConfigError, DataFlareError
from dataflare_provider.pipeline import Step
from dataflare_provider.registry import (
    PluginManifest,
    RegistryClient,
    RegistrySettings,
    load_manifest,
    validate_config,
)
from dataflare_provider.registry.errors import InvalidReferenceError, RegistryUnavailableError
from dataflare_provider.runtime.limits import Limits

log = logging.getLogger("dataflare_provider.dagster")

UNREACHABLE_TTL_S = 60.0
_unreachable: dict[str, float] = {}  # registry -> when it was last found unreachable


@dataclass(frozen=True)
class PluginSpec:
    """One plugin of a pipeline, as written in a definition.

    ``plugin`` is a registry reference (``dataflare/row-filter:^1.0``) or a ``.wasm`` path;
    ``limits`` override the manifest's and the resource's defaults (``timeout_s``,
    ``memory_bytes``, ``fuel``).
    """

    plugin: str | os.PathLike[str]
    config: Mapping[str, Any] = field(default_factory=dict)
    limits: Limits | Mapping[str, Any] | None = None

    @property
    def label(self) -> str:
        return os.fspath(self.plugin)


PluginLike: TypeAlias = str | os.PathLike[str] | PluginSpec | Step
"""A reference or path, a :class:`PluginSpec`, or an already resolved ``pipeline.Step``."""


def as_specs(
    plugin: PluginLike | Sequence[PluginLike], config: Mapping[str, Any] | None = None
) -> list[PluginSpec | Step]:
    """Normalize ``plugin`` (one plugin or a chain) to specs; ``config`` is for a single plugin
    given as a reference or path."""
    items = list(plugin) if isinstance(plugin, list | tuple) else [plugin]
    if not items:
        raise ConfigError("a pipeline needs at least one plugin")
    if config is not None and (len(items) != 1 or isinstance(items[0], PluginSpec | Step)):
        raise ConfigError(
            "config= applies to a single plugin given by reference or path; "
            "give a chain as PluginSpec(plugin, config) items"
        )
    specs: list[PluginSpec | Step] = []
    for item in items:
        if isinstance(item, PluginSpec | Step):
            specs.append(item)
        elif isinstance(item, str | os.PathLike):
            specs.append(PluginSpec(item, dict(config or {})))
        else:
            raise ConfigError(f"not a plugin reference, path, PluginSpec or Step: {item!r}")
    return specs


def label(spec: PluginSpec | Step) -> str:
    """The reference or path of a spec, for descriptions and logs."""
    return spec.label if isinstance(spec, PluginSpec) else (spec.reference or spec.name)


def _looks_like_path(text: str) -> bool:
    return text.endswith(".wasm") or text.startswith(("/", "./", "../")) or Path(text).is_file()


def _manifest_next_to(path: Path) -> PluginManifest | None:
    for candidate in (path.parent / "plugin.toml", path.parent.parent / "plugin.toml"):
        if candidate.is_file():
            return load_manifest(candidate)
    return None


def definition_manifest(
    spec: PluginSpec, settings: RegistrySettings | None = None
) -> PluginManifest | None:
    """The manifest of ``spec``'s plugin if it can be read now, else ``None`` (logged).

    Raises :class:`~dataflare_provider.registry.errors.InvalidReferenceError` for a reference that
    does not parse: that will never work.
    """
    text = spec.label
    if _looks_like_path(text):
        path = Path(text)
        try:
            return _manifest_next_to(path) if path.is_file() else None
        except DataFlareError as exc:
            log.info("plugin %s: manifest not readable at definition time: %s", text, exc)
            return None
    base = settings or RegistrySettings.from_env()
    quick = base.model_copy(update={"retries": 1, "timeout_s": min(base.timeout_s, 5.0)})
    try:
        with RegistryClient(quick) as client:
            ref = client.reference(text)  # InvalidReferenceError propagates
            where = ref.registry or ""
            if time.monotonic() - _unreachable.get(where, -UNREACHABLE_TTL_S) < UNREACHABLE_TTL_S:
                log.info("plugin %s: registry %s was unreachable moments ago; its config will "
                         "be validated when the asset runs", text, where)  # fmt: skip
                return None
            try:
                r, digest, version = client.resolve_version(ref)
                if version is not None and not r.digest:
                    return client.manifest_at(r, version)[1]
                return client.manifest_by_digest(r.pinned(digest))
            except (DataFlareError, OSError) as exc:
                if isinstance(exc, RegistryUnavailableError):
                    # one timeout per registry, not one per asset of a code location
                    _unreachable[where] = time.monotonic()
                log.info(
                    "plugin %s: not available at definition time (%s); its config will be "
                    "validated when the asset runs",
                    text, exc,
                )  # fmt: skip
                return None
    except InvalidReferenceError:
        raise
    except (DataFlareError, OSError) as exc:  # e.g. an unreadable trust policy or lockfile
        log.info("plugin %s: registry not usable at definition time: %s", text, exc)
        return None


def check_config(spec: PluginSpec | Step, settings: RegistrySettings | None = None) -> bool:
    """Validate ``spec``'s config against its plugin's schema when the manifest is available.

    Returns whether the config was checked; raises ``PluginConfigError`` when it is invalid.
    """
    if isinstance(spec, Step):
        return True  # resolve_step validated it
    manifest = definition_manifest(spec, settings)
    if manifest is None:
        return False
    validate_config(manifest, dict(spec.config))
    return True

"""The plugin manifest: ``plugin.toml`` next to the plugin source, a pydantic model.

``PluginManifest.json_schema()`` is what ``dataflare plugin schema`` prints (editors validate and
complete ``plugin.toml`` with it); :func:`validate_config` checks a task's config against the
plugin's ``config_schema`` before the host calls ``dataflare_init``.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dataflare_provider.errors import PluginConfigError
from dataflare_provider.registry.errors import ManifestError
from dataflare_provider.registry.semver import SemverError, VersionRange, parse_version
from dataflare_provider.registry.taxonomy import CATEGORIES, KIND_GROUP, is_category

ABI_CORE_1 = "dataflare-abi 1"
ABI_COMPONENT_1 = "dataflare:core@1.0.0"
Kind = Literal["processor", "source", "sink"]
Capability = Literal["log", "metrics", "wasi"]

_NAME = r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$"
_NAMESPACE = r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"


class Limits(BaseModel):
    """Default resource limits of one instance; a task may lower them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    memory_mb: int = Field(64, ge=1, le=4096, description="Linear memory cap in MiB")
    timeout_s: float = Field(60.0, gt=0, description="Wall-clock timeout per call, seconds")
    fuel: int | None = Field(None, ge=1, description="Fuel per call (None: unmetered)")


class ComponentMapping(BaseModel):
    """How a component plugin sees rows (``runtime.component.RecordMapping``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    payload_column: str | None = Field(
        None, description="Binary/utf8 column sent as the payload (default: the row as JSON)"
    )
    id_column: str = Field("id", description="Column used as the record id, when present")
    timestamp_column: str = Field("timestamp", description="Column used as the record timestamp")
    metadata_columns: list[str] = Field(
        default_factory=list, description="Columns sent as metadata key/value pairs"
    )


class PluginManifest(BaseModel):
    """What ``plugin.toml`` says about a plugin."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="DataFlare plugin.toml")

    namespace: str = Field(pattern=_NAMESPACE, description="Publisher namespace, e.g. 'dataflare'")
    name: str = Field(pattern=_NAME, description="Plugin name, e.g. 'json-flatten'")
    version: str = Field(description="Semantic version MAJOR.MINOR.PATCH[-PRERELEASE]")
    kind: Kind = Field(description="processor (batch -> batch), source or sink")
    abi: Literal["dataflare-abi 1", "dataflare:core@1.0.0"] = Field(
        "dataflare-abi 1", description="Core-module ABI or the component world"
    )
    description: str = ""
    license: str | None = Field(None, description="SPDX license expression")
    authors: list[str] = Field(default_factory=list)
    homepage: str | None = None
    repository: str | None = None
    categories: list[str] = Field(
        default_factory=list, description="Taxonomy paths, e.g. 'processors/transform/json'"
    )
    keywords: list[str] = Field(default_factory=list)
    config_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object"},
        description="JSON Schema of the plugin's config, checked before dataflare_init",
    )
    capabilities: list[Capability] = Field(
        default_factory=list,
        description="Host imports the module may use: log, metrics (dataflare.*), wasi (WASI p1)",
    )
    limits: Limits = Field(default_factory=Limits)  # type: ignore[arg-type]
    stateful: bool | None = Field(
        None,
        description="Whether the plugin keeps state across batches (then it runs on one instance "
        "and does not resume mid-stream). Unset: core modules tell by exporting dataflare_finish; "
        "components are assumed stateful",
    )
    record_mapping: ComponentMapping | None = Field(
        None, description="Component plugins: how Arrow rows become data-records"
    )
    requires: dict[str, str] = Field(
        default_factory=dict,
        description="Other plugins this one is used with: 'namespace/name' = 'semver range'",
    )

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        try:
            parse_version(v)
        except SemverError as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        for c in v:
            if not is_category(c):
                known = ", ".join(sorted(k for k in CATEGORIES if k.count("/") >= 1))
                raise ValueError(f"unknown category {c!r}; known: {known}")
        return v

    @field_validator("config_schema")
    @classmethod
    def _schema(cls, v: dict[str, Any]) -> dict[str, Any]:
        validator = jsonschema.validators.validator_for(v, default=jsonschema.Draft202012Validator)
        try:
            validator.check_schema(v)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"config_schema is not a valid JSON Schema: {exc.message}") from None
        return v

    @field_validator("requires")
    @classmethod
    def _requires(cls, v: dict[str, str]) -> dict[str, str]:
        for dep, rng in v.items():
            if (
                not re.match(r"^([^/]+/)?[a-z0-9._/-]+/[a-z0-9._-]+$", dep)
                or ":" in dep.split("/")[-1]
            ):
                raise ValueError(f"requires key {dep!r} must be 'namespace/name'")
            try:
                VersionRange.parse(rng)
            except SemverError as exc:
                raise ValueError(f"requires[{dep!r}]: {exc}") from None
        return v

    @model_validator(mode="after")
    def _categories_fit_kind(self) -> PluginManifest:
        group = KIND_GROUP[self.kind]
        for c in self.categories:
            if not c.startswith(group):
                raise ValueError(
                    f"category {c!r} does not fit kind {self.kind!r} (expected {group}/...)"
                )
        return self

    @property
    def repository_path(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"

    @property
    def is_component(self) -> bool:
        return self.abi == ABI_COMPONENT_1

    def runtime_limits(self) -> dict[str, Any]:
        """The default limits as keyword arguments of ``runtime.limits.Limits``."""
        lim = self.limits
        return {"timeout_s": lim.timeout_s, "memory_bytes": lim.memory_mb << 20, "fuel": lim.fuel}

    def to_json(self) -> str:
        """Canonical compact JSON (sorted keys), as stored in ``io.dataflare.plugin.manifest``."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, source: str = "manifest annotation") -> PluginManifest:
        """Parse the JSON form; raises :class:`ManifestError`."""
        try:
            return cls.model_validate(json.loads(text))
        except (ValueError, ValidationError) as exc:
            raise ManifestError(f"invalid plugin manifest in {source}: {_explain(exc)}") from None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema of ``plugin.toml`` itself."""
        schema = cls.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = "https://dataflare.dev/schemas/plugin.toml.json"
        return schema


def _explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)


def load_manifest(path: str | Path) -> PluginManifest:
    """Read and validate ``plugin.toml``; raises :class:`ManifestError` naming file and fields."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"plugin manifest {str(p)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{p}: not valid TOML: {exc}") from None
    if isinstance(data.get("plugin"), dict) and "name" not in data:  # allow a [plugin] table
        data = {**data.pop("plugin"), **data}
    try:
        return PluginManifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(f"{p}: {_explain(exc)}") from None


def validate_config(schema_or_manifest: PluginManifest | dict[str, Any], config: Any) -> None:
    """Check a plugin config against the manifest's JSON Schema before ``dataflare_init``.

    Raises :class:`~dataflare_provider.errors.PluginConfigError` listing every violation with its
    JSON path.
    """
    if isinstance(schema_or_manifest, PluginManifest):
        schema = schema_or_manifest.config_schema
        plugin: str | None = schema_or_manifest.repository_path
    else:
        schema, plugin = schema_or_manifest, None
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    errors = sorted(cls(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{e.json_path}: {e.message}" for e in errors]
        raise PluginConfigError(
            "plugin config does not match the plugin's config_schema: " + "; ".join(lines),
            plugin=plugin,
        )

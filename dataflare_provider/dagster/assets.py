"""Asset factories: one line turns a WASM plugin (or a chain) into a Dagster asset.

    clean = wasm_transform_asset("dataflare/basic-transformer:^1.0", name="orders_clean",
                                 config={"lowercase": ["customer"]}, upstream=orders_raw)

Data comes from upstream assets (tables loaded by their IO manager) or from ``input`` files; the
result is either returned as a ``pyarrow.Table`` to the asset's IO manager, or written to
``output`` (files in, files out runs through ``pipeline.TransformRun``: staged output with commit
markers, so a retry resumes). Path templates may use ``{partition_key}`` and ``{name}``.

:func:`wasm_transform_multi_asset` emits the rejected rows as a second asset.

(No ``from __future__ import annotations`` here: Dagster inspects the compute functions'
annotations at definition time.)
"""

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeAlias

import dagster as dg

from dataflare_provider.dagster.errors import as_dagster_error
from dataflare_provider.dagster.execution import (
    TEMPLATE_FIELDS,
    TransformPlan,
    execute,
    template_fields,
)
from dataflare_provider.dagster.metadata import (
    ERROR_RATE_CHECK,
    dead_letter_metadata,
    error_rate_check,
    report_metadata,
)
from dataflare_provider.dagster.plugins import PluginLike, as_specs, check_config, label
from dataflare_provider.dagster.resource import DataFlareResource
from dataflare_provider.errors import ConfigError
from dataflare_provider.pipeline import DEAD_LETTER_SCHEMA
from dataflare_provider.registry import RegistrySettings

log = logging.getLogger("dataflare_provider.dagster")

AssetRef: TypeAlias = str | dg.AssetKey | dg.AssetsDefinition | dg.AssetSpec | dg.SourceAsset

DEFAULT_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=2.0, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
"""Retries transient failures (registry unreachable, I/O errors, timeouts) 3 times."""


def _key_of(ref: AssetRef) -> dg.AssetKey:
    """The key of an asset reference; of a WASM multi-asset, its main output."""
    if isinstance(ref, dg.AssetsDefinition) and len(ref.keys) > 1:
        main = ref.keys_by_output_name.get("main")
        if main is None:
            raise dg.DagsterInvalidDefinitionError(
                f"{ref.node_def.name} defines several assets; give the AssetKey of the one meant"
            )
        return main
    if isinstance(ref, dg.AssetsDefinition | dg.AssetSpec | dg.SourceAsset):
        return ref.key
    return dg.AssetKey.from_coercible(ref)


def _refs(refs: AssetRef | Sequence[AssetRef] | None) -> list[dg.AssetKey]:
    if refs is None:
        return []
    items: Sequence[AssetRef] = refs if isinstance(refs, list | tuple) else [refs]  # type: ignore[list-item]
    return [_key_of(r) for r in items]


def _input_names(keys: list[dg.AssetKey]) -> dict[str, dg.AssetKey]:
    names: dict[str, dg.AssetKey] = {}
    for key in keys:
        base = re.sub(r"\W", "_", "__".join(key.path))
        name, i = base, 2
        while name in names:
            name, i = f"{base}_{i}", i + 1
        names[name] = key
    return names


def _invalid(name: str, message: str) -> dg.DagsterInvalidDefinitionError:
    return dg.DagsterInvalidDefinitionError(f"WASM asset {name!r}: {message}")


def _check_templates(name: str, templates: Mapping[str, str | None], partitioned: bool) -> None:
    for what, template in templates.items():
        if template is None:
            continue
        fields = template_fields(template)
        if fields - TEMPLATE_FIELDS:
            raise _invalid(name, f"{what} template {template!r} uses unknown fields "
                                 f"{sorted(fields - TEMPLATE_FIELDS)}; known: "
                                 f"{sorted(TEMPLATE_FIELDS)}")  # fmt: skip
        if "partition_key" in fields and not partitioned:
            raise _invalid(name, f"{what} template {template!r} uses {{partition_key}} but the "
                                 "asset has no partitions_def")  # fmt: skip
        if partitioned and what != "input" and "partition_key" not in fields:
            raise _invalid(name, f"{what} template {template!r} lacks {{partition_key}}: "
                                 "every partition would overwrite the same location")  # fmt: skip


def _validate_configs(
    name: str, plan: TransformPlan, registry: RegistrySettings | DataFlareResource | None
) -> None:
    settings = registry.registry_settings() if isinstance(registry, DataFlareResource) else registry
    for spec in plan.specs:
        try:
            checked = check_config(spec, settings)
        except ConfigError as exc:
            raise _invalid(name, f"config of plugin {label(spec)} is invalid: {exc}") from exc
        if not checked:
            log.info("asset %s: config of %s will be validated when it runs", name, label(spec))


def _plan(
    name: str,
    plugin: PluginLike | Sequence[PluginLike],
    config: Mapping[str, Any] | None,
    upstream: dict[str, dg.AssetKey],
    *,
    input: str | None,
    output: str | None,
    dead_letter: str | None,
    partitioned: bool,
    max_error_rate: float | None,
    retry_deterministic: bool,
    resume: bool,
    resource_key: str,
    options: dict[str, Any],
    validate_config: bool,
    registry: RegistrySettings | DataFlareResource | None,
) -> TransformPlan:
    try:
        specs = tuple(as_specs(plugin, config))
    except ConfigError as exc:
        raise _invalid(name, str(exc)) from exc
    if upstream and input is not None:
        raise _invalid(name, "give either upstream assets or input paths, not both")
    if not upstream and input is None and output is None:
        raise _invalid(name, "a source plugin (no upstream, no input) needs an output path")
    if max_error_rate is not None and not 0 <= max_error_rate <= 1:
        raise _invalid(name, f"max_error_rate must be within [0, 1], got {max_error_rate}")
    _check_templates(name, {"input": input, "output": output, "dead_letter": dead_letter},
                     partitioned)  # fmt: skip
    plan = TransformPlan(
        name=name, specs=specs, input=input, output=output, dead_letter=dead_letter,
        upstream=tuple(upstream), max_error_rate=max_error_rate,
        retry_deterministic=retry_deterministic, resume=resume, resource_key=resource_key,
        options={k: v for k, v in options.items() if v is not None},
    )  # fmt: skip
    if validate_config:
        _validate_configs(name, plan, registry)
    return plan


def _spec_metadata(plan: TransformPlan, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"dataflare/plugins": [label(s) for s in plan.specs]}
    for what in ("input", "output", "dead_letter"):
        if getattr(plan, what):
            meta[f"dataflare/{what}"] = getattr(plan, what)
    meta.update(metadata or {})
    return meta


def _description(plan: TransformPlan, description: str | None) -> str:
    if description:
        return description
    source = plan.input or ", ".join(plan.upstream) or "a source plugin"
    target = plan.output or "a pyarrow.Table (IO manager)"
    chain = " | ".join(label(s) for s in plan.specs)
    return f"WebAssembly plugins `{chain}` over {source} -> {target}."


def _value(outcome_value: Any, returned: bool) -> dict[str, Any]:
    return {"value": outcome_value} if returned else {}


def _events(
    context: dg.AssetExecutionContext,
    plan: TransformPlan,
    inputs: Mapping[str, Any],
    *,
    main_key: dg.AssetKey | None,
    dead_key: dg.AssetKey | None,
) -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult]:
    outcome = execute(context, plan, inputs)
    if dead_key is not None:
        yield dg.MaterializeResult(
            asset_key=dead_key,
            metadata=dead_letter_metadata(
                outcome.dead_letter_rows, DEAD_LETTER_SCHEMA, outcome.dead_letter_uri
            ),
            **_value(outcome.dead_letter, plan.dead_letter is None),
        )
    check = (
        error_rate_check(
            outcome.rows_error, outcome.rows_in, plan.max_error_rate, asset_key=main_key
        )
        if plan.max_error_rate is not None
        else None
    )
    if outcome.error is not None:
        if check is not None:
            yield check
        context.log.error("%s", outcome.error)
        raise as_dagster_error(outcome.error, retry_deterministic=plan.retry_deterministic)
    assert outcome.report is not None
    yield dg.MaterializeResult(
        asset_key=main_key,
        metadata=report_metadata(
            outcome.report, outcome.schema, partitioned=context.has_partition_key
        ),
        check_results=[check] if check is not None else None,
        **_value(outcome.output, plan.output is None),
    )


def wasm_transform_asset(
    plugin: PluginLike | Sequence[PluginLike],
    *,
    name: str,
    config: Mapping[str, Any] | None = None,
    upstream: AssetRef | Sequence[AssetRef] | None = None,
    input: str | None = None,
    output: str | None = None,
    dead_letter: str | None = None,
    deps: Sequence[AssetRef] | None = None,
    partitions_def: dg.PartitionsDefinition[str] | None = None,
    max_error_rate: float | None = None,
    retry_policy: dg.RetryPolicy | None = DEFAULT_RETRY_POLICY,
    retry_deterministic: bool = False,
    resume: bool = True,
    input_format: str | None = None,
    output_format: str | None = None,
    dead_letter_format: str | None = None,
    batch_size: int | None = None,
    commit_every: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    resource_key: str = "dataflare",
    validate_config: bool = True,
    registry: RegistrySettings | DataFlareResource | None = None,
    key_prefix: str | Sequence[str] | None = None,
    group_name: str | None = None,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    owners: Sequence[str] | None = None,
    io_manager_key: str | None = None,
    code_version: str | None = None,
) -> dg.AssetsDefinition:
    """An asset that runs ``plugin`` (a reference, path, ``PluginSpec`` or a list: a chain).

    Data: ``upstream`` assets (their tables, concatenated when several) or ``input`` files (a
    path, directory or glob; a template). Result: returned to the IO manager as a
    ``pyarrow.Table``, or written to ``output`` (files -> files runs resume on retry). Rejected rows
    go to ``dead_letter`` (a path) when given; with ``max_error_rate`` the asset gets an
    ``error_rate`` check and fails (not retried) above it. ``config`` is validated against the
    plugin's schema now when its manifest is available (``registry`` settings, default from
    ``DATAFLARE_*``), else when the asset runs.
    """
    keys = _input_names(_refs(upstream))
    plan = _plan(
        name, plugin, config, keys, input=input, output=output, dead_letter=dead_letter,
        partitioned=partitions_def is not None, max_error_rate=max_error_rate,
        retry_deterministic=retry_deterministic, resume=resume, resource_key=resource_key,
        options={"input_format": input_format, "output_format": output_format,
                 "dead_letter_format": dead_letter_format, "batch_size": batch_size,
                 "commit_every": commit_every, "storage_options": storage_options},
        validate_config=validate_config, registry=registry,
    )  # fmt: skip
    prefix = [key_prefix] if isinstance(key_prefix, str) else list(key_prefix or [])
    key = dg.AssetKey([*prefix, name])
    checks = (
        [dg.AssetCheckSpec(ERROR_RATE_CHECK, asset=key,
                           description=f"At most {max_error_rate:.2%} of the rows rejected")]
        if max_error_rate is not None
        else None
    )  # fmt: skip

    @dg.asset(
        key=key,
        ins={n: dg.AssetIn(key=k) for n, k in keys.items()},
        deps=_refs(deps) or None,
        required_resource_keys={resource_key},
        partitions_def=partitions_def,
        retry_policy=retry_policy,
        check_specs=checks,
        group_name=group_name,
        description=_description(plan, description),
        metadata=_spec_metadata(plan, metadata),
        tags=tags,
        owners=owners,
        io_manager_key=io_manager_key,
        code_version=code_version,
        kinds={"wasm"},
    )
    def _wasm_asset(
        context: dg.AssetExecutionContext, **inputs: Any
    ) -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult]:
        yield from _events(context, plan, inputs, main_key=None, dead_key=None)

    return _wasm_asset


def wasm_transform_multi_asset(
    plugin: PluginLike | Sequence[PluginLike],
    *,
    name: str,
    dead_letter_name: str | None = None,
    config: Mapping[str, Any] | None = None,
    upstream: AssetRef | Sequence[AssetRef] | None = None,
    input: str | None = None,
    output: str | None = None,
    dead_letter: str | None = None,
    deps: Sequence[AssetRef] | None = None,
    partitions_def: dg.PartitionsDefinition[str] | None = None,
    max_error_rate: float | None = None,
    retry_policy: dg.RetryPolicy | None = DEFAULT_RETRY_POLICY,
    retry_deterministic: bool = False,
    resume: bool = True,
    input_format: str | None = None,
    output_format: str | None = None,
    dead_letter_format: str | None = None,
    batch_size: int | None = None,
    commit_every: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    resource_key: str = "dataflare",
    validate_config: bool = True,
    registry: RegistrySettings | DataFlareResource | None = None,
    key_prefix: str | Sequence[str] | None = None,
    group_name: str | None = None,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    owners: Sequence[str] | None = None,
    io_manager_key: str | None = None,
    code_version: str | None = None,
) -> dg.AssetsDefinition:
    """Like :func:`wasm_transform_asset`, with the rejected rows as a second asset
    (``dead_letter_name``, default ``<name>_dead_letter``; the uniform dead-letter schema).

    Both outputs are tables for the IO manager, or both files (``output`` and ``dead_letter``).
    The dead-letter asset is materialized even when the run fails for its error rate.
    """
    if (output is None) != (dead_letter is None):
        raise _invalid(name, "give both output and dead_letter paths (files) or neither "
                             "(both returned to the IO manager)")  # fmt: skip
    keys = _input_names(_refs(upstream))
    plan = _plan(
        name, plugin, config, keys, input=input, output=output, dead_letter=dead_letter,
        partitioned=partitions_def is not None, max_error_rate=max_error_rate,
        retry_deterministic=retry_deterministic, resume=resume, resource_key=resource_key,
        options={"input_format": input_format, "output_format": output_format,
                 "dead_letter_format": dead_letter_format, "batch_size": batch_size,
                 "commit_every": commit_every, "storage_options": storage_options},
        validate_config=validate_config, registry=registry,
    )  # fmt: skip
    prefix = [key_prefix] if isinstance(key_prefix, str) else list(key_prefix or [])
    main_key = dg.AssetKey([*prefix, name])
    dead_key = dg.AssetKey([*prefix, dead_letter_name or f"{name}_dead_letter"])
    files = output is not None
    spec_meta = _spec_metadata(plan, metadata)
    common: dict[str, Any] = {
        "group_name": group_name,
        "owners": owners,
        "tags": tags,
        "code_version": code_version,
        "kinds": {"wasm"},
        "io_manager_key": io_manager_key,
        "dagster_type": dg.Nothing if files else None,
    }
    outs = {
        "main": dg.AssetOut(key=main_key, description=_description(plan, description),
                              metadata=spec_meta, **common),
        "dead_letter": dg.AssetOut(
            key=dead_key, metadata={"dataflare/plugins": spec_meta["dataflare/plugins"],
                                    **({"dataflare/path": dead_letter} if dead_letter else {})},
            description=f"Rows rejected by {main_key.to_user_string()}'s plugins: "
                        "_dataflare_batch, _dataflare_plugin, _dataflare_error and the row as "
                        "JSON (_dataflare_record).",
            **common,
        ),
    }  # fmt: skip
    checks = (
        [dg.AssetCheckSpec(ERROR_RATE_CHECK, asset=main_key,
                           description=f"At most {max_error_rate:.2%} of the rows rejected")]
        if max_error_rate is not None
        else None
    )  # fmt: skip

    @dg.multi_asset(
        name="__".join([*prefix, name]),
        outs=outs,
        ins={n: dg.AssetIn(key=k) for n, k in keys.items()},
        deps=_refs(deps) or None,
        required_resource_keys={resource_key},
        partitions_def=partitions_def,
        retry_policy=retry_policy,
        check_specs=checks,
        can_subset=False,
    )
    def _wasm_multi_asset(
        context: dg.AssetExecutionContext, **inputs: Any
    ) -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult]:
        yield from _events(context, plan, inputs, main_key=main_key, dead_key=dead_key)

    return _wasm_multi_asset

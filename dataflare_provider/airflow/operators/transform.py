"""``WasmTransformOperator`` (one plugin) and ``WasmPipelineOperator`` (several in one task)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dataflare_provider.airflow.operators.base import BaseWasmOperator, PluginSpec, normalize_limits
from dataflare_provider.errors import ConfigError
from dataflare_provider.runtime.limits import Limits


class WasmTransformOperator(BaseWasmOperator):
    """Run one WebAssembly plugin over a dataset, batch by batch, and write the result atomically.

    .. code-block:: python

        WasmTransformOperator(
            task_id="clean",
            plugin="dataflare/basic-transformer:^1.0",
            config={"lowercase": ["name"]},
            input="s3://bucket/raw/{{ ds }}/",
            output="s3://bucket/clean/{{ ds }}/",
        )

    :param plugin: registry reference (``namespace/name:^1.2``, ``...@sha256:...``) or ``.wasm``
        path. (templated)
    :param config: the plugin's config, validated against its JSON Schema before any data is
        read. (templated)
    :param input: input file, directory or glob (Parquet, CSV, JSON Lines); path, fsspec URI or
        ``ObjectStoragePath``. (templated)

    The other parameters are those of :class:`~.base.BaseWasmOperator`. Returns (XCom) the run
    summary: rows in/out/error, batches, resumed batches, duration and per-plugin metrics.
    """

    template_fields: Sequence[str] = (
        "plugin",
        "config",
        "input_path",
        *BaseWasmOperator.template_fields,
    )
    template_fields_renderers = {**BaseWasmOperator.template_fields_renderers, "config": "json"}

    def __init__(
        self,
        *,
        plugin: str,
        input: Any,
        output: Any,
        config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(output=output, **kwargs)
        self.plugin = plugin
        self.config = config
        self.input_path = input

    def plugin_specs(self) -> list[tuple[Any, dict[str, Any], dict[str, Any]]]:
        return [(self.plugin, dict(self.config or {}), normalize_limits(self.limits))]

    def input_target(self) -> Any:
        return self.input_path


def pipeline_specs(
    plugins: Sequence[PluginSpec], limits: Limits | Mapping[str, Any] | None
) -> list[tuple[Any, dict[str, Any], dict[str, Any]]]:
    """Normalise ``plugins=[...]`` items: a reference, or ``{"plugin", "config", "limits"}``."""
    if isinstance(plugins, str | Mapping) or not plugins:
        raise ConfigError("plugins must be a non-empty list of references or dicts")
    common = normalize_limits(limits)
    specs: list[tuple[Any, dict[str, Any], dict[str, Any]]] = []
    for i, item in enumerate(plugins):
        if isinstance(item, str):
            specs.append((item, {}, common))
            continue
        if not isinstance(item, Mapping) or "plugin" not in item:
            raise ConfigError(f"plugins[{i}] must be a reference or a dict with a 'plugin' key")
        unknown = set(item) - {"plugin", "config", "limits"}
        if unknown:
            raise ConfigError(f"plugins[{i}] has unknown keys {sorted(unknown)}")
        own = normalize_limits(item.get("limits"))
        specs.append((item["plugin"], dict(item.get("config") or {}), {**common, **own}))
    return specs


class WasmPipelineOperator(BaseWasmOperator):
    """Run several plugins in sequence in one task: each batch flows through all of them.

    .. code-block:: python

        WasmPipelineOperator(
            task_id="report",
            plugins=[
                {"plugin": "dataflare/row-filter:^1.0",
                 "config": {"column": "amount", "op": ">=", "value": 10}},
                {"plugin": "dataflare/streaming-aggregator:^1.0",
                 "config": {"group_by": "region", "sum": "amount"}},
            ],
            input="/data/orders/{{ ds }}/",
            output="/data/report/{{ ds }}.parquet",
            dead_letter="/data/rejected/{{ ds }}.parquet",
        )

    :param plugins: references, or dicts ``{"plugin", "config", "limits"}``; per-plugin limits
        override ``limits``. (templated)
    :param input: as for :class:`WasmTransformOperator`; ``None`` when the first plugin is a
        source. (templated)
    """

    template_fields: Sequence[str] = ("plugins", "input_path", *BaseWasmOperator.template_fields)
    template_fields_renderers = {**BaseWasmOperator.template_fields_renderers, "plugins": "json"}

    def __init__(
        self,
        *,
        plugins: Sequence[PluginSpec],
        output: Any,
        input: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(output=output, **kwargs)
        self.plugins = plugins
        self.input_path = input

    def plugin_specs(self) -> list[tuple[Any, dict[str, Any], dict[str, Any]]]:
        return pipeline_specs(self.plugins, self.limits)

    def input_target(self) -> Any:
        return self.input_path

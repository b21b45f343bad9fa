"""``WasmSourceOperator``: a source plugin (generator or decoder) writes a dataset; no input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dataflare_provider.airflow.operators.base import BaseWasmOperator, PluginSpec, normalize_limits
from dataflare_provider.airflow.operators.transform import pipeline_specs


class WasmSourceOperator(BaseWasmOperator):
    """Run a source plugin (optionally followed by processors) and write what it produces.

    .. code-block:: python

        WasmSourceOperator(
            task_id="generate",
            plugin="acme/synthetic-orders:^1.0",
            config={"rows": 1_000_000},
            processors=[{"plugin": "dataflare/basic-transformer:^1.0",
                         "config": {"lowercase": ["region"]}}],
            output="/data/synthetic/{{ ds }}.parquet",
        )

    :param plugin: the source plugin (reference or ``.wasm`` path). (templated)
    :param config: its config, validated before it runs. (templated)
    :param processors: plugins the generated batches then flow through (as
        ``WasmPipelineOperator.plugins``). (templated)

    A source runs on one instance and its output is not resumable (a retry starts over; the
    output is still written atomically).
    """

    template_fields: Sequence[str] = ("plugin", "config", "processors",
                                      *BaseWasmOperator.template_fields)  # fmt: skip
    template_fields_renderers = {**BaseWasmOperator.template_fields_renderers, "config": "json",
                                 "processors": "json"}  # fmt: skip

    def __init__(
        self,
        *,
        plugin: str,
        output: Any,
        config: dict[str, Any] | None = None,
        processors: Sequence[PluginSpec] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(output=output, **kwargs)
        self.plugin = plugin
        self.config = config
        self.processors = processors

    def plugin_specs(self) -> list[tuple[Any, dict[str, Any], dict[str, Any]]]:
        first = (self.plugin, dict(self.config or {}), normalize_limits(self.limits))
        rest = pipeline_specs(self.processors, self.limits) if self.processors else []
        return [first, *rest]

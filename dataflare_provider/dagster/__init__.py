"""Dagster integration: :class:`DataFlareResource` and WASM asset factories.

    from dataflare_provider.dagster import DataFlareResource, wasm_transform_asset

    orders_clean = wasm_transform_asset("dataflare/basic-transformer:^1.0", name="orders_clean",
                                        config={"lowercase": ["customer"]}, upstream=orders_raw)
    defs = dg.Definitions(assets=[orders_raw, orders_clean],
                          resources={"dataflare": DataFlareResource()})

Needs the ``dagster`` extra (``pip install 'dataflare-provider[dagster]'``). See docs/dagster.md.
"""

from dataflare_provider.dagster.assets import (
    DEFAULT_RETRY_POLICY,
    wasm_transform_asset,
    wasm_transform_multi_asset,
)
from dataflare_provider.dagster.errors import as_dagster_error, dagster_errors
from dataflare_provider.dagster.metadata import ERROR_RATE_CHECK, report_metadata
from dataflare_provider.dagster.plugins import PluginSpec
from dataflare_provider.dagster.resource import DataFlareResource, LimitsConfig

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "ERROR_RATE_CHECK",
    "DataFlareResource",
    "LimitsConfig",
    "PluginSpec",
    "as_dagster_error",
    "dagster_errors",
    "report_metadata",
    "wasm_transform_asset",
    "wasm_transform_multi_asset",
]

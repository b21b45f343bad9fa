"""Apache Airflow provider: ``DataFlareHook``, ``WasmTransformOperator``, ``WasmPipelineOperator``,
``WasmSourceOperator`` and the provider's exceptions.

Imports are lazy so that Airflow's provider discovery (``provider_info``) loads nothing else.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "DataFlareHook": "dataflare_provider.airflow.hooks.dataflare",
    "WasmTransformOperator": "dataflare_provider.airflow.operators.transform",
    "WasmPipelineOperator": "dataflare_provider.airflow.operators.transform",
    "WasmSourceOperator": "dataflare_provider.airflow.operators.source",
    "DataFlareException": "dataflare_provider.airflow.exceptions",
    "DataFlareTransientError": "dataflare_provider.airflow.exceptions",
    "DataFlarePermanentError": "dataflare_provider.airflow.exceptions",
    "DataFlarePluginFailure": "dataflare_provider.airflow.exceptions",
    "DataFlarePluginRetryableFailure": "dataflare_provider.airflow.exceptions",
    "DataFlareDataError": "dataflare_provider.airflow.exceptions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The wasmtime host: shared engine, AOT cache, the core ABI, sandbox, lifecycle and metrics."""

from dataflare_provider.runtime.engine import EngineConfig, get_engine
from dataflare_provider.runtime.lifecycle import PluginState
from dataflare_provider.runtime.limits import Limits
from dataflare_provider.runtime.metrics import PluginMetrics
from dataflare_provider.runtime.plugin import ERROR_COLUMN, Plugin, PluginInstance, ProcessResult

__all__ = [
    "ERROR_COLUMN",
    "EngineConfig",
    "Limits",
    "Plugin",
    "PluginInstance",
    "PluginMetrics",
    "PluginState",
    "ProcessResult",
    "get_engine",
]

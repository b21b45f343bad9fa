"""What every sandboxed plugin instance shares, core module or component.

:class:`SandboxedInstance` owns the lifecycle and metrics, builds the sandboxed store (epoch
deadline watch, memory cap, WASI without files/env/network, fuel), captures guest output, turns a
trap into the right error class, and answers the host functions. Subclasses instantiate their kind
of binary (``_instantiate``), initialise it (``_initialize``) and move data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Self

import wasmtime

from dataflare_provider.errors import (
    DataFlareError,
    FuelExhaustedError,
    MemoryLimitError,
    PluginInterrupted,
    PluginStateError,
    PluginTimeoutError,
    PluginTrapError,
)
from dataflare_provider.runtime import deadline
from dataflare_provider.runtime.engine import EngineConfig, get_engine
from dataflare_provider.runtime.host import GUEST_LEVELS, LineLogger, OutputCapture, sandbox_wasi
from dataflare_provider.runtime.lifecycle import Lifecycle, PluginState
from dataflare_provider.runtime.limits import Limits
from dataflare_provider.runtime.metrics import PluginMetrics


def engine_config_for(limits: Limits) -> EngineConfig:
    """Fuel metering costs ~13%: only engines of plugins with a fuel budget meter it."""
    return EngineConfig(fuel=limits.fuel is not None)


def trap_summary(message: str, trap_code: wasmtime.TrapCode | None = None) -> str:
    """``"wasm `unreachable` instruction executed (at <wasm function 13>)"`` from a trap message."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    cause = next(
        (ln for ln in reversed(lines) if ln.startswith("wasm trap:")), lines[-1] if lines else ""
    )
    cause = cause.removeprefix("wasm trap:").strip()
    frame = next((ln for ln in lines if ln[:1].isdigit()), "")
    where = frame.split(" - ", 1)[1] if " - " in frame else ""
    return f"{cause} (at {where})" if where else cause or str(trap_code)


class SandboxedInstance:
    """Base of ``PluginInstance`` and ``ComponentInstance``; single-threaded."""

    store: wasmtime.Store | None
    watch: deadline.Watch

    def __init__(
        self, plugin: Any, config: Mapping[str, Any], limits: Limits, logger: logging.Logger
    ) -> None:
        start = time.perf_counter()
        self.plugin = plugin
        self.name: str = plugin.name
        self.limits = limits
        self.logger = logger
        self.lifecycle = Lifecycle(plugin.name, logger)
        self.metrics = PluginMetrics(plugin.name, instances=1, load_source=plugin.load_source)
        self._engine_config = engine_config_for(limits)
        self._fuel = limits.fuel
        self._stdout, self._stderr = self._new_captures()
        self._start(config, start)

    # -- life ---------------------------------------------------------------------------------

    def _start(self, config: Mapping[str, Any], start: float) -> None:
        try:
            self._instantiate()
        except DataFlareError as exc:
            self.lifecycle.to(PluginState.ERROR, exc.message)
            raise
        self.metrics.load_time_s = self.plugin.load_time_s + (time.perf_counter() - start)
        self.lifecycle.to(PluginState.INITIALIZING)
        init_start = time.perf_counter()
        try:
            self._initialize(config)
        except DataFlareError as exc:
            if self.lifecycle.state is not PluginState.ERROR:
                self.lifecycle.to(PluginState.ERROR, exc.message)
            raise
        self.metrics.init_time_s = time.perf_counter() - init_start
        self.lifecycle.to(PluginState.READY)

    def _instantiate(self) -> None:
        raise NotImplementedError

    def _initialize(self, config: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _new_captures(self) -> tuple[OutputCapture, OutputCapture]:
        """Guest stdout/stderr captures (one pair per store: each opens its own files)."""
        prefix = f"[{self.plugin.name}]"
        return (
            OutputCapture(LineLogger(self.logger, f"{prefix} stdout:", logging.INFO)),
            OutputCapture(LineLogger(self.logger, f"{prefix} stderr:", logging.WARNING)),
        )

    def _new_store(self) -> tuple[wasmtime.Engine, wasmtime.Store]:
        """A store with the sandbox: deadline watch, memory cap, WASI without files, fuel."""
        engine = get_engine(self._engine_config)
        store = self.store = wasmtime.Store(engine)
        self.watch = deadline.watch_store(store)
        if self.limits.memory_bytes is not None:
            store.set_limits(memory_size=self.limits.memory_bytes)
        store.set_wasi(sandbox_wasi(self._stdout, self._stderr))
        if self._fuel is not None:
            store.set_fuel(self._fuel)
        return engine, store

    def _instantiation_error(self, exc: wasmtime.WasmtimeError) -> DataFlareError:
        from dataflare_provider.errors import PluginLoadError

        text = str(exc)
        if "memory" in text and self.limits.memory_bytes is not None:
            return MemoryLimitError(
                f"cannot instantiate within the memory limit: {text}",
                plugin=self.name, memory_limit=self.limits.memory_bytes,
            )  # fmt: skip
        return PluginLoadError(f"instantiation failed: {text}", plugin=self.name)

    # -- faults -------------------------------------------------------------------------------

    def _fault(
        self, func: str, message: str, trap_code: wasmtime.TrapCode | None = None
    ) -> DataFlareError:
        """Turn a failed guest call into the right error class and move the instance to Error."""
        ctx: dict[str, Any] = {"plugin": self.name, "call": func}
        err: DataFlareError
        if self.watch.reason == deadline.TIMED_OUT:
            err = PluginTimeoutError(
                f"{func} ran past its {self.limits.timeout_s:g} s timeout", **ctx
            )
        elif self.watch.reason == deadline.INTERRUPTED:
            err = PluginInterrupted(f"{func} was interrupted", **ctx)
        elif trap_code is wasmtime.TrapCode.OUT_OF_FUEL or "all fuel consumed" in message:
            err = FuelExhaustedError(f"{func} used up its fuel budget of {self._fuel:,}", **ctx)
        elif self._near_memory_limit():
            err = self._memory_error(f"{func} trapped at the memory limit: {message}")
        else:
            err = PluginTrapError(f"{func} trapped: {trap_summary(message, trap_code)}", **ctx)
        if self.lifecycle.state is not PluginState.ERROR:
            self.lifecycle.to(PluginState.ERROR, err.message)
        return err

    def _memory_size(self) -> int | None:
        """Current linear memory size, when the instance can tell."""
        return None

    def _near_memory_limit(self) -> bool:
        """Whether a failure is best explained by the memory cap.

        wasmtime does not report a refused ``memory.grow`` to the embedder; the guest just sees -1
        and fails later. So a failure counts as a memory-limit failure when linear memory is within
        the last quarter (or last 16 MiB) of the cap.
        """
        limit = self.limits.memory_bytes
        size = self._memory_size()
        if limit is None or size is None:
            return False
        return size > 0.75 * limit or size + 16 * 2**20 > limit

    def _memory_error(self, message: str) -> MemoryLimitError:
        return MemoryLimitError(
            message, plugin=self.name, memory_limit=self.limits.memory_bytes,
            memory_size=self._memory_size(),
        )  # fmt: skip

    # -- data ---------------------------------------------------------------------------------

    def _begin(self) -> None:
        if self.lifecycle.state is not PluginState.READY:
            self.lifecycle.require(PluginState.READY)
        self.lifecycle.state = PluginState.PROCESSING  # per batch: not logged

    def _end(self) -> None:
        if self.lifecycle.state is PluginState.PROCESSING:
            self.lifecycle.state = PluginState.READY

    def _not_supported(self, what: str) -> PluginStateError:
        return PluginStateError(f"plugin {self.name} {what}", plugin=self.name)

    # -- control ------------------------------------------------------------------------------

    def interrupt(self) -> None:
        """Make the running guest call (if any) trap with :class:`PluginInterrupted`.

        Safe to call from another thread (e.g. Airflow's ``on_kill``).
        """
        self.watch.interrupt()

    def pause(self) -> None:
        self.lifecycle.to(PluginState.PAUSED)

    def resume(self) -> None:
        self.lifecycle.to(PluginState.READY)

    @property
    def state(self) -> PluginState:
        return self.lifecycle.state

    def _release(self) -> None:
        """Subclass hook: drop the store and what points into it."""

    def close(self) -> None:
        """Stop the instance and release its store."""
        if self.lifecycle.state is PluginState.STOPPED:
            return
        if self.lifecycle.state is not PluginState.STOPPING:
            self.lifecycle.to(PluginState.STOPPING)
        self._release()
        self._stdout.close()
        self._stderr.close()
        self.lifecycle.to(PluginState.STOPPED)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HostContext (see runtime.host) --------------------------------------------------------

    def guest_bytes(self, ptr: int, length: int) -> bytes | None:
        return None

    def guest_log(self, level: int, message: str) -> None:
        self.logger.log(GUEST_LEVELS.get(level, logging.INFO), "[%s] %s", self.name, message)

    def guest_counter(self, name: str, value: int) -> None:
        self.metrics.counter_add(name, value)

    def guest_histogram(self, name: str, value: float) -> None:
        self.metrics.histogram_record(name, value)

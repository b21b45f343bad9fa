"""``Plugin`` (a compiled, checked module) and ``PluginInstance`` (a running, sandboxed instance).

A :class:`Plugin` is safe to share between threads; each thread makes its own
:class:`PluginInstance` (a wasmtime store is single-threaded). A typical use::

    plugin = Plugin.from_file("basic-transformer.wasm")
    with plugin.instantiate({"lowercase": ["name"]}) as inst:
        for batch in batches:
            result = inst.process(batch)      # result.output, result.dead_letter
        tail = inst.finish()
    print(inst.metrics.format_table())
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import wasmtime

from dataflare_provider.errors import (
    ABIVersionError,
    PluginABIError,
    PluginConfigError,
    PluginError,
    PluginLoadError,
    PluginSchemaError,
)
from dataflare_provider.runtime.abi import BatchMarshal
from dataflare_provider.runtime.binary import PluginBinary
from dataflare_provider.runtime.cache import CompiledCache, default_cache
from dataflare_provider.runtime.engine import EngineConfig, get_engine
from dataflare_provider.runtime.host import (
    linker_for,
    set_current,
)
from dataflare_provider.runtime.instance import SandboxedInstance
from dataflare_provider.runtime.limits import Limits
from dataflare_provider.runtime.memory import GuestMemory
from dataflare_provider.runtime.rawcall import GuestCallFailed, RawFunc, lookup_export
from dataflare_provider.runtime.sandbox import (
    POLICY_FINGERPRINT,
    SUPPORTED_ABI_VERSIONS,
    check_exports,
    check_imports,
)

log = logging.getLogger("dataflare_provider.runtime")

ERROR_COLUMN = "_dataflare_error"
OUTPUT_POLL_S = 0.05

STATUS_OK = 0
STATUS_NONE = 1
STATUS_PLUGIN_ERROR = -1
STATUS_BAD_CONFIG = -2
STATUS_BAD_SCHEMA = -3


@dataclass(frozen=True)
class ProcessResult:
    """What one call produced: the main output and the rows the plugin marked as errors."""

    output: pa.RecordBatch | None
    dead_letter: pa.RecordBatch | None = None

    @property
    def rows_out(self) -> int:
        return self.output.num_rows if self.output is not None else 0

    @property
    def rows_error(self) -> int:
        return self.dead_letter.num_rows if self.dead_letter is not None else 0


EMPTY_RESULT = ProcessResult(None, None)


def split_dead_letter(batch: pa.RecordBatch) -> ProcessResult:
    """Route rows with a non-null ``_dataflare_error`` to the dead-letter batch."""
    idx = batch.schema.get_field_index(ERROR_COLUMN)
    if idx < 0:
        return ProcessResult(batch)
    errors = batch.column(idx)
    if errors.null_count == len(errors):
        return ProcessResult(batch.remove_column(idx))
    bad = pc.is_valid(errors)
    return ProcessResult(
        batch.filter(pc.invert(bad)).remove_column(idx),
        batch.filter(bad),
    )


class Plugin(PluginBinary):
    """A compiled, import-checked ``dataflare-abi 1`` module, shared by all its instances."""

    def __init__(
        self,
        wasm: bytes,
        *,
        name: str | None = None,
        limits: Limits | None = None,
        cache: CompiledCache | None = None,
        digest: str | None = None,
    ) -> None:
        start = time.perf_counter()
        self.name = name or "plugin"
        self.limits = limits or Limits()
        self.size = len(wasm)
        self._wasm = wasm
        self._cache = cache or default_cache
        self._pres: dict[EngineConfig, wasmtime.InstancePre] = {}
        config = self._engine_config(self.limits)
        try:
            compiled = self._cache.module(wasm, config, digest=digest)
        except wasmtime.WasmtimeError as exc:
            raise PluginLoadError(
                f"not a valid WebAssembly module: {exc}", plugin=self.name
            ) from None
        self.digest = compiled.digest
        self.load_source = compiled.source
        module = compiled.module
        verdict = self._cache.verdict(compiled, config, POLICY_FINGERPRINT)
        if verdict is None:
            check_imports(module, self.name)
            verdict = {"exports": check_exports(module, self.name)}
            self._cache.store_verdict(compiled, config, POLICY_FINGERPRINT, verdict)
        self.exports: dict[str, str | None] = verdict["exports"]
        self.kind = "processor" if "dataflare_process" in self.exports else "source"
        self.stateful = "dataflare_finish" in self.exports
        self._pres[config] = linker_for(get_engine(config)).instantiate_pre(module)
        self.load_time_s = time.perf_counter() - start
        self._log_loaded(self.kind)

    def _instance_pre(self, config: EngineConfig) -> wasmtime.InstancePre:
        pre = self._pres.get(config)
        if pre is None:
            module = self._cache.module(self._wasm, config, digest=self.digest).module
            pre = self._pres[config] = linker_for(get_engine(config)).instantiate_pre(module)
        return pre

    def instantiate(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        limits: Limits | dict[str, Any] | None = None,
        logger: logging.Logger | None = None,
    ) -> PluginInstance:
        """A new sandboxed instance, initialised with ``config`` and ready for data."""
        return PluginInstance(self, config or {}, self.limits.merged(limits), logger or log)

    def __repr__(self) -> str:
        return f"Plugin({self.name!r}, kind={self.kind}, sha256={self.digest[:12]})"


class PluginInstance(SandboxedInstance):
    """One sandboxed instance of a :class:`Plugin`. Single-threaded; see the module docstring."""

    plugin: Plugin
    store: wasmtime.Store

    def __init__(
        self,
        plugin: Plugin,
        config: Mapping[str, Any],
        limits: Limits,
        logger: logging.Logger,
    ) -> None:
        self._next_poll = 0.0
        super().__init__(plugin, config, limits, logger)

    # -- setup --------------------------------------------------------------------------------

    def _instantiate(self) -> None:
        _, store = self._new_store()
        try:
            instance = self.plugin._instance_pre(self._engine_config).instantiate(store)
        except wasmtime.WasmtimeError as exc:
            raise self._instantiation_error(exc) from None
        self._instance = instance
        memory = self._export("memory")
        assert isinstance(memory, wasmtime.Memory)
        self.mem = GuestMemory(store, memory)
        fn = {
            name: RawFunc(store, f, name)
            for name in self.plugin.exports
            if isinstance(f := self._export(name), wasmtime.Func)
        }
        self._fn_version = fn["dataflare_abi_version"]
        self._fn_alloc = fn["dataflare_alloc"]
        self._fn_free = fn["dataflare_free"]
        self._fn_init = fn["dataflare_init"]
        self._fn_last_error = fn["dataflare_last_error"]
        self._fn_process = fn.get("dataflare_process")
        self._fn_finish = fn.get("dataflare_finish")
        self._fn_read = fn.get("dataflare_read")
        self._fn_initialize = fn.get("_initialize")
        self.marshal = BatchMarshal(self.mem, self._guest_alloc, self._guest_free)

    def _guest_alloc(self, size: int, align: int) -> int:
        return self._call(self._fn_alloc, size, align) or 0

    def _guest_free(self, ptr: int, size: int, align: int) -> None:
        self._call(self._fn_free, ptr, size, align)

    def _export(self, name: str) -> Any:
        return lookup_export(self.store, self._instance, name)

    def _initialize(self, config: Mapping[str, Any]) -> None:
        if self._fn_initialize is not None:
            self._call(self._fn_initialize)
        version = self._call(self._fn_version)
        if version not in SUPPORTED_ABI_VERSIONS:
            raise ABIVersionError(
                f"plugin speaks dataflare-abi {version}; this host supports "
                + ", ".join(str(v) for v in SUPPORTED_ABI_VERSIONS),
                plugin=self.name,
            )
        try:
            payload = json.dumps(dict(config), separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise PluginConfigError(
                f"config is not JSON-serialisable: {exc}", plugin=self.name
            ) from None
        size = max(len(payload), 1)
        ptr = (self._call(self._fn_alloc, size, 1) or 0) & 0xFFFFFFFF
        if ptr == 0:
            raise self._memory_error("dataflare_alloc for the config failed")
        self.mem.write(ptr, payload)
        status = self._call(self._fn_init, ptr, len(payload))
        self._call(self._fn_free, ptr, size, 1)
        self._check_status(status, "dataflare_init")

    # -- guest calls --------------------------------------------------------------------------

    def _call(self, fn: RawFunc, *args: int) -> int | None:
        set_current(self)
        watch = self.watch
        watch.arm(self.limits.timeout_s)
        fuel = self._fuel
        if fuel is not None:
            self.store.set_fuel(fuel)
        try:
            return fn(*args)
        except GuestCallFailed as exc:
            self._poll_output()
            self.mem.refresh()
            raise self._fault(fn.name, exc.fault.message, exc.fault.trap_code) from None
        finally:
            watch.deadline = math.inf
            set_current(None)
            self.mem.refresh()
            if watch.started > self._next_poll:
                self._poll_output()
            if fuel is not None:
                self.metrics.fuel_consumed += fuel - self.store.get_fuel()

    def _poll_output(self) -> None:
        """Log what the guest printed (checked at most every ``OUTPUT_POLL_S`` on the hot path)."""
        self._stdout.poll()
        self._stderr.poll()
        self._next_poll = time.monotonic() + OUTPUT_POLL_S

    def _memory_size(self) -> int | None:
        return self.mem.size

    def _check_status(self, status: int | None, func: str) -> bool:
        """True for output, False for none; raises for errors."""
        if status == STATUS_OK:
            return True
        if status == STATUS_NONE:
            return False
        ctx = {"plugin": self.name, "call": func}
        if status is not None and status < 0:
            self.marshal.clear_output()
            self._call(self._fn_last_error, self.marshal.error_slot)
            message = self.marshal.read_error()
            if status == STATUS_BAD_CONFIG:
                raise PluginConfigError(f"plugin refused its config: {message}", **ctx)
            if status == STATUS_BAD_SCHEMA:
                raise PluginSchemaError(f"plugin refused the input schema: {message}", **ctx)
            if self._near_memory_limit():
                raise self._memory_error(f"{func} failed at the memory limit: {message}")
            raise PluginError(f"{func} failed: {message}", status=status, **ctx)
        raise PluginABIError(f"{func} returned unknown status {status}", **ctx)

    def _result(self, status: int | None, func: str) -> ProcessResult:
        if not self._check_status(status, func):
            return EMPTY_RESULT
        try:
            batch = self.marshal.read_batch(self.marshal.out_schema, self.marshal.out_array)
        except PluginABIError as exc:
            exc.context.setdefault("plugin", self.name)
            raise
        return split_dead_letter(batch)

    # -- data ---------------------------------------------------------------------------------

    def process(self, batch: pa.RecordBatch) -> ProcessResult:
        """Run one batch through ``dataflare_process``."""
        if self._fn_process is None:
            raise self._not_supported("is a source; it has no dataflare_process")
        self._begin()
        start = time.perf_counter()
        try:
            in_schema, in_array = self.marshal.write_batch(batch)
            self.marshal.clear_output()
            status = self._call(
                self._fn_process,
                in_schema,
                in_array,
                self.marshal.out_schema,
                self.marshal.out_array,
            )
            result = self._result(status, "dataflare_process")
        finally:
            self._end()
        self.metrics.record_batch(
            time.perf_counter() - start, batch.num_rows, result.rows_out, result.rows_error
        )
        self.metrics.memory_usage_bytes = self.mem.high_water
        return result

    def finish(self) -> ProcessResult:
        """End of stream: let a stateful plugin emit what it holds (no-op without the export)."""
        if self._fn_finish is None:
            return EMPTY_RESULT
        self._begin()
        start = time.perf_counter()
        try:
            self.marshal.clear_output()
            status = self._call(self._fn_finish, self.marshal.out_schema, self.marshal.out_array)
            result = self._result(status, "dataflare_finish")
        finally:
            self._end()
        if result.output is not None or result.dead_letter is not None:
            self.metrics.record_batch(
                time.perf_counter() - start, 0, result.rows_out, result.rows_error
            )
        return result

    def read(self, max_rows: int = 65536) -> ProcessResult | None:
        """Source plugins: the next batch, or ``None`` at end of stream."""
        if self._fn_read is None:
            raise self._not_supported("is not a source; it has no dataflare_read")
        self._begin()
        start = time.perf_counter()
        try:
            self.marshal.clear_output()
            status = self._call(
                self._fn_read, max_rows, self.marshal.out_schema, self.marshal.out_array
            )
            result = None if status == STATUS_NONE else self._result(status, "dataflare_read")
        finally:
            self._end()
        if result is not None:
            self.metrics.record_batch(
                time.perf_counter() - start, 0, result.rows_out, result.rows_error
            )
        return result

    def _release(self) -> None:
        self.metrics.memory_usage_bytes = max(self.metrics.memory_usage_bytes, self.mem.high_water)

    # -- HostContext --------------------------------------------------------------------------

    def guest_bytes(self, ptr: int, length: int) -> bytes | None:
        self.mem.refresh()
        if ptr + length > self.mem.size:
            return None
        return bytes(self.mem.view[ptr : ptr + length])

"""``ComponentPlugin``/``ComponentInstance``: component-model plugins (``wit/dataflare.wit``) with the
same interface as :class:`~dataflare_provider.runtime.plugin.Plugin`/``PluginInstance``.

Callers see the same ``instantiate(config)``, ``process(batch) -> ProcessResult``, ``finish()``,
``read()``, ``close()``, lifecycle states, metrics, limits and error classes. Underneath, a batch
becomes one ``process-batch`` call per chunk of at most ``max_call_bytes`` of payload (see
:mod:`.mapping` for the row <-> record rules and :mod:`.lowering` for the bulk value layout).
"""

from __future__ import annotations

import ctypes
import json
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import wasmtime
from wasmtime import _ffi as ffi
from wasmtime.component import Component, Func

from dataflare_provider.errors import (
    ForbiddenImportError,
    MissingExportError,
    PluginConfigError,
    PluginError,
    PluginLoadError,
    PluginStateError,
)
from dataflare_provider.runtime.binary import PluginBinary
from dataflare_provider.runtime.cache import CompiledCache, default_cache
from dataflare_provider.runtime.component import lowering as low
from dataflare_provider.runtime.component.call import call_raw
from dataflare_provider.runtime.component.columns import RecordColumns
from dataflare_provider.runtime.component.host import component_linker_for
from dataflare_provider.runtime.component.mapping import (
    RecordMapping,
    assemble,
    dead_letter,
    records_to_batch,
    to_records,
)
from dataflare_provider.runtime.component.wit import EXPORTS, World, import_allowed
from dataflare_provider.runtime.engine import EngineConfig, get_engine
from dataflare_provider.runtime.host import (
    set_current,
)
from dataflare_provider.runtime.instance import SandboxedInstance
from dataflare_provider.runtime.limits import Limits
from dataflare_provider.runtime.plugin import EMPTY_RESULT, ProcessResult

log = logging.getLogger("dataflare_provider.runtime")

# functions each world's export must have
REQUIRED_FUNCS: dict[World, tuple[str, ...]] = {
    "processor": ("init", "process", "process-batch", "finish"),
    "source": ("init", "read-next", "read-batch", "reset"),
    "destination": ("init", "write", "write-batch", "flush"),
}
KINDS: dict[World, str] = {"processor": "processor", "source": "source", "destination": "sink"}
DEFAULT_MAX_CALL_BYTES = 2 * 1024 * 1024
DEFAULT_RECYCLE_BYTES = 128 * 1024 * 1024


def check_component_imports(component: Component, engine: wasmtime.Engine, name: str) -> list[str]:
    """The component's imports; refuses (naming it) any import outside the sandbox."""
    imports = list(component.type.imports(engine))
    for item in imports:
        if not import_allowed(item):
            raise ForbiddenImportError(
                f"component imports {item!r}, which the DataFlare sandbox does not provide "
                "(allowed: dataflare:core/logging, metrics, types and WASI 0.2 cli/io/clocks/"
                "random/filesystem/sockets, without files or network)",
                plugin=name, import_name=item,
            )  # fmt: skip
    return imports


def find_world(component: Component, engine: wasmtime.Engine, name: str) -> World:
    """Which of the processor/source/destination exports the component has (exactly one)."""
    exports = set(component.type.exports(engine))
    found = [w for w, iface in EXPORTS.items() if iface in exports]
    if len(found) != 1:
        raise MissingExportError(
            "a DataFlare component exports exactly one of "
            + ", ".join(EXPORTS.values())
            + f"; this one exports {sorted(exports) or 'nothing'}",
            plugin=name,
        )
    return found[0]


class ComponentPlugin(PluginBinary):
    """A compiled, import-checked DataFlare component, shared by all its instances.

    ``mapping`` (a :class:`RecordMapping` or its options dict) says how rows become records;
    ``digest`` (the sha256 hex of ``wasm``, when the caller already knows it, e.g. from the
    registry) saves hashing the ~18 MB binary on every load. ``stateful=False`` declares that
    the processor keeps no state across batches, so a pipeline may run several instances, and an
    instance may be *recycled* (replaced by a fresh one, re-initialised with the same config)
    once it has returned ``recycle_after_bytes`` of results: componentize-py 0.25 guests never
    free the memory of returned values, so their linear memory grows by every result (see
    docs/components.md) and would otherwise reach the memory limit.
    """

    is_component = True

    def __init__(
        self,
        wasm: bytes,
        *,
        name: str | None = None,
        limits: Limits | None = None,
        cache: CompiledCache | None = None,
        mapping: RecordMapping | Mapping[str, Any] | None = None,
        max_call_bytes: int = DEFAULT_MAX_CALL_BYTES,
        recycle_after_bytes: int | None = DEFAULT_RECYCLE_BYTES,
        digest: str | None = None,
        stateful: bool | None = None,
    ) -> None:
        start = time.perf_counter()
        self.name = name or "plugin"
        self.limits = limits or Limits()
        self.size = len(wasm)
        self.mapping = (
            mapping
            if isinstance(mapping, RecordMapping)
            else RecordMapping.from_options(dict(mapping or {}))
        )
        self.max_call_bytes = max_call_bytes
        self.recycle_after_bytes = recycle_after_bytes
        self._wasm = wasm
        self._cache = cache or default_cache
        config = self._engine_config(self.limits)
        try:
            compiled = self._cache.component(wasm, config, digest=digest)
        except wasmtime.WasmtimeError as exc:
            raise PluginLoadError(
                f"not a valid WebAssembly component: {exc}", plugin=self.name
            ) from None
        self.digest = compiled.digest
        self.load_source = compiled.source
        self.component: Component = compiled.module
        engine = get_engine(config)
        self.imports = check_component_imports(self.component, engine, self.name)
        self.world: World = find_world(self.component, engine, self.name)
        self.kind = KINDS[self.world]
        # Every processor component exports `finish`, so whether it holds state across batches
        # cannot be seen from the binary: assume it does (the pipeline then runs one worker)
        # unless told otherwise (e.g. by the plugin manifest).
        self.stateful = self.world == "processor" if stateful is None else stateful
        self.load_time_s = time.perf_counter() - start
        self._log_loaded(f"component {self.world}")

    def _component_for(self, config: EngineConfig) -> Component:
        if config == self._engine_config(self.limits):
            return self.component
        return self._cache.component(self._wasm, config, digest=self.digest).module

    def instantiate(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        limits: Limits | dict[str, Any] | None = None,
        logger: logging.Logger | None = None,
    ) -> ComponentInstance:
        """A new sandboxed instance, initialised with ``config`` and ready for data."""
        return ComponentInstance(self, config or {}, self.limits.merged(limits), logger or log)

    def __repr__(self) -> str:
        return f"ComponentPlugin({self.name!r}, world={self.world}, sha256={self.digest[:12]})"


class ComponentInstance(SandboxedInstance):
    """One sandboxed instance of a :class:`ComponentPlugin`. Single-threaded, like
    ``PluginInstance``."""

    plugin: ComponentPlugin

    def __init__(
        self,
        plugin: ComponentPlugin,
        config: Mapping[str, Any],
        limits: Limits,
        logger: logging.Logger,
    ) -> None:
        self.mapping = plugin.mapping
        self._rows_seen = 0
        self._scratch = low.ByteValsScratch()
        self._config = dict(config)
        self._returned_bytes = 0
        self.recycles = 0
        self.store = None
        super().__init__(plugin, config, limits, logger)

    # -- setup --------------------------------------------------------------------------------

    def _instantiate(self) -> None:
        engine, store = self._new_store()
        component = self.plugin._component_for(self._engine_config)
        try:
            instance = component_linker_for(engine).instantiate(store, component)
        except wasmtime.WasmtimeError as exc:
            raise self._instantiation_error(exc) from None
        iface_name = EXPORTS[self.plugin.world]
        iface = instance.get_export_index(store, iface_name)
        funcs: dict[str, Func] = {}
        for fname in REQUIRED_FUNCS[self.plugin.world]:
            idx = instance.get_export_index(store, fname, iface) if iface is not None else None
            func = instance.get_func(store, idx) if idx is not None else None
            if func is None:
                raise MissingExportError(
                    f"component export {iface_name} lacks function {fname!r}", plugin=self.name
                )
            funcs[fname] = func
        self._funcs = funcs

    def _initialize(self, config: Mapping[str, Any]) -> None:
        try:
            payload = json.dumps(dict(config), separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise PluginConfigError(
                f"config is not JSON-serialisable: {exc}", plugin=self.name
            ) from None
        ok, message = self._call_status("init", _string_arg(payload))
        if not ok:
            raise PluginConfigError(f"plugin refused its config: {message}", plugin=self.name)

    # -- guest calls --------------------------------------------------------------------------

    def _call(self, fname: str, args: list[Any], *, has_result: bool = True) -> Any:
        store = self.store
        if store is None:
            raise PluginStateError(f"plugin {self.name} is closed", plugin=self.name)
        set_current(self)
        watch = self.watch
        watch.arm(self.limits.timeout_s)
        fuel = self._fuel
        if fuel is not None:
            store.set_fuel(fuel)
        try:
            return call_raw(self._funcs[fname], store, args, has_result=has_result)
        except wasmtime.WasmtimeError as exc:
            code = exc.trap_code if isinstance(exc, wasmtime.Trap) else None
            raise self._fault(fname, str(exc), code) from None
        finally:
            watch.disarm()
            set_current(None)
            self._stdout.poll()
            self._stderr.poll()
            if fuel is not None:
                self.metrics.fuel_consumed += fuel - store.get_fuel()

    def _call_status(self, fname: str, *args: Any) -> tuple[bool, str]:
        """Call a function returning ``result<_, string>``."""
        val = self._call(fname, [a.val for a in args])
        try:
            ok, payload = _lift_result(val)
            return ok, "" if ok else _lift_string(payload)
        finally:
            low.delete_val(val)

    # -- data ---------------------------------------------------------------------------------

    def _chunks(self, records: RecordColumns) -> Iterator[tuple[int, int]]:
        """Record ranges whose payloads stay under ``max_call_bytes`` (at least one record)."""
        n = len(records)
        ends = records.payloads.offsets
        start = 0
        while start < n:
            limit = ends[start] + self.plugin.max_call_bytes
            stop = int(np.searchsorted(ends, limit, side="right")) - 1
            stop = min(max(stop, start + 1), n)
            yield start, stop
            start = stop

    def process(self, batch: pa.RecordBatch) -> ProcessResult:
        """Run one batch through ``process-batch`` (one call per chunk of records)."""
        if self.plugin.world != "processor":
            if self.plugin.world == "destination":
                return self._write(batch)
            raise PluginStateError(f"plugin {self.name} is a source; it has no process",
                                   plugin=self.name)  # fmt: skip
        self._begin()
        start = time.perf_counter()
        try:
            records = to_records(batch, self.mapping, self._rows_seen)
            self._rows_seen += batch.num_rows
            outputs: list[pa.RecordBatch] = []
            dead_rows: list[np.ndarray] = []
            dead_msgs: list[str] = []
            for lo, hi in self._chunks(records):
                chunk = _slice(records, lo, hi)
                lowered = low.lower_records(chunk, self._scratch)
                val = self._call("process-batch", [lowered.val])
                try:
                    lifted = low.lift_results(val)
                finally:
                    low.delete_val(val)
                self._returned_bytes += _result_bytes(lifted.records) + sum(map(len, lifted.errors))
                if len(lifted.status) != hi - lo:
                    raise PluginError(
                        f"process-batch returned {len(lifted.status)} results for {hi - lo} "
                        "records", plugin=self.name,
                    )  # fmt: skip
                out, rows, msgs = assemble(batch, np.arange(lo, hi), lifted.status,
                                           lifted.records, lifted.errors, self.mapping)  # fmt: skip
                if out is not None:
                    outputs.append(out)
                dead_rows.append(rows)
                dead_msgs.extend(msgs)
            result = ProcessResult(
                _concat(outputs),
                dead_letter(batch, np.concatenate(dead_rows) if dead_rows else np.zeros(0, int),
                            dead_msgs),
            )  # fmt: skip
        finally:
            self._end()
        self._maybe_recycle()
        self.metrics.record_batch(
            time.perf_counter() - start, batch.num_rows, result.rows_out, result.rows_error
        )
        return result

    def _maybe_recycle(self) -> None:
        """Replace a stateless instance whose guest memory holds too many returned values."""
        limit = self.plugin.recycle_after_bytes
        if limit is None or self._returned_bytes < limit or self.plugin.stateful:
            return
        start = time.perf_counter()
        self._release()
        self._stdout.close()
        self._stderr.close()
        self._stdout, self._stderr = self._new_captures()
        self._instantiate()
        self._initialize(self._config)
        self._returned_bytes = 0
        self.recycles += 1
        self.logger.info(
            "plugin %s: recycled the instance after %d MiB of results (%.1f ms)", self.name,
            limit >> 20, (time.perf_counter() - start) * 1e3,
        )  # fmt: skip

    def finish(self) -> ProcessResult:
        """End of stream: records a stateful processor still holds; sinks flush."""
        if self.plugin.world == "source":
            return EMPTY_RESULT
        if self.plugin.world == "destination":
            return self._flush()
        self._begin()
        start = time.perf_counter()
        try:
            val = self._call("finish", [])
            try:
                records = low.lift_record_ptrs(low.list_elements(val))
            finally:
                low.delete_val(val)
            out, bad = records_to_batch(records, self.mapping)
            result = ProcessResult(out, _bad_batch(bad))
        finally:
            self._end()
        if result.output is not None or result.dead_letter is not None:
            self.metrics.record_batch(time.perf_counter() - start, 0, result.rows_out,
                                      result.rows_error)  # fmt: skip
        return result

    def read(self, max_rows: int = 65536) -> ProcessResult | None:
        """Source plugins: the next batch (one ``read-batch`` call), ``None`` at end of stream."""
        if self.plugin.world != "source":
            raise PluginStateError(f"plugin {self.name} is not a source", plugin=self.name)
        self._begin()
        start = time.perf_counter()
        try:
            val = self._call("read-batch", [_u32_arg(max_rows)])
            try:
                ok, payload = _lift_result(val)
                if not ok:
                    message = _lift_string(payload)
                    raise PluginError(f"read-batch failed: {message}", plugin=self.name)
                records = low.lift_record_ptrs(_list_at(payload))
            finally:
                low.delete_val(val)
            if len(records) == 0:
                return None
            out, bad = records_to_batch(records, self.mapping)
            result = ProcessResult(out, _bad_batch(bad))
        finally:
            self._end()
        self.metrics.record_batch(
            time.perf_counter() - start, 0, result.rows_out, result.rows_error
        )
        return result

    def reset(self) -> None:
        """Source plugins: start the stream again."""
        ok, message = self._call_status("reset")
        if not ok:
            raise PluginError(f"reset failed: {message}", plugin=self.name)

    def _write(self, batch: pa.RecordBatch) -> ProcessResult:
        self._begin()
        start = time.perf_counter()
        try:
            records = to_records(batch, self.mapping, self._rows_seen)
            self._rows_seen += batch.num_rows
            for lo, hi in self._chunks(records):
                lowered = low.lower_records(_slice(records, lo, hi), self._scratch)
                ok, message = self._call_status("write-batch", lowered)
                if not ok:
                    raise PluginError(f"write-batch failed: {message}", plugin=self.name)
        finally:
            self._end()
        self.metrics.record_batch(time.perf_counter() - start, batch.num_rows, 0, 0)
        return EMPTY_RESULT

    def _flush(self) -> ProcessResult:
        self._begin()
        try:
            val = self._call("flush", [])
            try:
                ok, payload = _lift_result(val)
                if not ok:
                    raise PluginError(f"flush failed: {_lift_string(payload)}", plugin=self.name)
                elems = _list_at(payload)
                data = low.read_var(elems[:1], np.array([len(elems)]), low.VAL_SIZE, 8)
            finally:
                low.delete_val(val)
        finally:
            self._end()
        raw = data.data.tobytes()
        if not raw:
            return EMPTY_RESULT
        return ProcessResult(pa.record_batch([pa.array([raw], pa.binary())], names=["data"]))

    def _release(self) -> None:
        self._funcs = {}
        self.store = None


# --- small value helpers -------------------------------------------------------------------------


class _Arg:
    def __init__(self, val: Any, keep: Any = None) -> None:
        self.val = val
        self.keep = keep


def _string_arg(text: str) -> _Arg:
    raw = text.encode()
    buf = ctypes.create_string_buffer(raw, len(raw) + 1)
    val = ffi.wasmtime_component_val_t()
    val.kind = low.K_STRING
    val.of.string.size = len(raw)
    val.of.string.data = ctypes.cast(buf, ctypes.POINTER(ffi.wasm_byte_t))
    return _Arg(val, buf)


def _u32_arg(value: int) -> Any:
    val = ffi.wasmtime_component_val_t()
    val.kind = int(ffi.WASMTIME_COMPONENT_U32.value)
    val.of.u32 = value
    return val


def _lift_result(val: Any) -> tuple[bool, int]:
    """``(is_ok, address of the payload val_t or 0)`` of a ``result<...>`` value."""
    if val.kind != low.K_RESULT:
        raise PluginError(f"expected a result value, got kind {val.kind}")
    ptr = ctypes.cast(val.of.result.val, ctypes.c_void_p).value or 0
    return bool(val.of.result.is_ok), ptr


def _lift_string(ptr: int) -> str:
    if not ptr:
        return ""
    v = ffi.wasmtime_component_val_t.from_address(ptr)
    return ctypes.string_at(v.of.string.data, v.of.string.size).decode("utf-8", "replace")


def _list_at(ptr: int) -> np.ndarray:
    if not ptr:
        return np.zeros(0, np.int64)
    return low.list_elements(ffi.wasmtime_component_val_t.from_address(ptr))


def _result_bytes(records: RecordColumns) -> int:
    """Guest memory a lifted result held: payloads, ids, metadata, ~40 B of structure each."""
    return (records.payload_bytes + len(records.ids.data) + len(records.meta_keys.data)
            + len(records.meta_values.data) + 40 * len(records))  # fmt: skip


def _slice(records: RecordColumns, lo: int, hi: int) -> RecordColumns:
    if lo == 0 and hi == len(records):
        return records
    from dataflare_provider.runtime.component.columns import VarBytes

    def var(v: VarBytes, a: int, b: int) -> VarBytes:
        o = v.offsets[a : b + 1]
        return VarBytes(o - o[0], v.data[o[0] : o[-1]])

    mo = records.meta_offsets[lo : hi + 1]
    return RecordColumns(
        var(records.ids, lo, hi), records.timestamps[lo:hi], var(records.payloads, lo, hi),
        mo - mo[0], var(records.meta_keys, int(mo[0]), int(mo[-1])),
        var(records.meta_values, int(mo[0]), int(mo[-1])),
    )  # fmt: skip


def _concat(batches: list[pa.RecordBatch]) -> pa.RecordBatch | None:
    if not batches:
        return None
    if len(batches) == 1:
        return batches[0]
    table = (
        pa.Table.from_batches(batches)
        if all(b.schema == batches[0].schema for b in batches)
        else pa.concat_tables(
            [pa.Table.from_batches([b]) for b in batches], promote_options="permissive"
        )
    )
    return table.combine_chunks().to_batches()[0]


def _bad_batch(bad: list[tuple[int, str]]) -> pa.RecordBatch | None:
    if not bad:
        return None
    from dataflare_provider.runtime.plugin import ERROR_COLUMN

    return pa.record_batch([pa.array([m for _, m in bad], pa.string())], names=[ERROR_COLUMN])

"""Hostile or buggy guests get clear errors; the host process survives and moves on."""

from __future__ import annotations

import logging
import threading
import time

import pyarrow as pa
import pytest

from dataflare_provider.errors import (
    FuelExhaustedError,
    MemoryLimitError,
    PluginABIError,
    PluginError,
    PluginInterrupted,
    PluginStateError,
    PluginTimeoutError,
    PluginTrapError,
)
from dataflare_provider.runtime import Limits, Plugin, PluginState

BATCH = pa.record_batch({"x": pa.array([1, 2, 3], pa.int64())})


@pytest.fixture(scope="module")
def hostile(test_plugin) -> Plugin:  # type: ignore[no-untyped-def]
    return Plugin.from_file(test_plugin("hostile"), name="hostile")


def run(plugin: Plugin, mode: str, **limits: object) -> pa.RecordBatch | None:
    with plugin.instantiate({"mode": mode}, limits=limits or None) as inst:
        return inst.process(BATCH).output


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("bad_ptr", r"column 'x' \(int64\): values buffer: \[0xffffff00"),
        ("neg_len", r"output array length is -5"),
        ("bad_format", r"column 'x': unsupported or malformed format string b'Q!'"),
        ("unterminated", r"output column #0 format"),
        ("bad_nbuf", r"n_buffers is 7, expected 2"),
        ("bad_top", r"output schema format is b'l'"),
        ("many_children", r"n_children is 1000000000"),
        ("child_len", r"length 2 differs from the batch length 3"),
        ("big_offset", r"offset 1099511627776 is out of range"),
        ("null_struct", r"output array children: null pointer"),
        ("bad_utf8_offsets", r"column 'x' \(string\)"),
        ("bad_utf8", r"invalid array"),
        ("status", r"unknown status 42"),
    ],
)
def test_hostile_output_is_an_abi_error(hostile: Plugin, mode: str, message: str) -> None:
    with pytest.raises(PluginABIError, match=message):
        run(hostile, mode)


def test_nulls_without_validity_buffer_are_not_trusted(hostile: Plugin) -> None:
    """A null_count without a validity buffer cannot create nulls out of thin air."""
    out = run(hostile, "nulls_without_validity")
    assert out is not None and out.column(0).null_count == 0


def test_trap_is_a_trap_error_and_poisons_the_instance(hostile: Plugin) -> None:
    with hostile.instantiate({"mode": "trap"}) as inst:
        with pytest.raises(PluginTrapError, match="unreachable"):
            inst.process(BATCH)
        assert inst.state is PluginState.ERROR
        with pytest.raises(PluginStateError, match="Error"):
            inst.process(BATCH)


def test_infinite_loop_times_out_and_the_next_plugin_runs(hostile: Plugin, test_plugin) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    with pytest.raises(PluginTimeoutError, match=r"0.3 s timeout") as info:
        run(hostile, "loop", timeout_s=0.3)
    elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 2.0
    assert info.value.retryable  # wall-clock timeouts are transient
    echo = Plugin.from_file(test_plugin("echo"))
    with echo.instantiate() as inst:
        assert inst.process(BATCH).output.equals(BATCH)  # type: ignore[union-attr]


def test_fuel_budget(hostile: Plugin) -> None:
    with pytest.raises(FuelExhaustedError, match="fuel budget of 1,000,000"):
        run(hostile, "loop", fuel=1_000_000, timeout_s=30)


def test_fuel_is_counted(test_plugin) -> None:  # type: ignore[no-untyped-def]
    echo = Plugin.from_file(test_plugin("echo"), limits=Limits(fuel=10**9))
    with echo.instantiate() as inst:
        inst.process(BATCH)
    assert inst.metrics.fuel_consumed > 0


def test_memory_bomb_hits_the_limit(hostile: Plugin) -> None:
    with pytest.raises(MemoryLimitError, match="memory limit") as info:
        run(hostile, "bomb", memory_bytes=32 * 2**20)
    assert info.value.context["memory_limit"] == 32 * 2**20


def test_interrupt_from_another_thread(hostile: Plugin) -> None:
    inst = hostile.instantiate({"mode": "loop"}, limits={"timeout_s": 60})
    threading.Timer(0.2, inst.interrupt).start()
    start = time.monotonic()
    with pytest.raises(PluginInterrupted):
        inst.process(BATCH)
    assert time.monotonic() - start < 5
    inst.close()


def test_guest_error_status(test_plugin) -> None:  # type: ignore[no-untyped-def]
    plugin = Plugin.from_file(test_plugin("passthrough"))
    with plugin.instantiate({"fail": True}) as inst:
        with pytest.raises(PluginError, match="asked to fail"):
            inst.process(BATCH)
        assert inst.state is PluginState.READY  # the guest reported it; the instance is fine


def test_filtered_everything(test_plugin) -> None:  # type: ignore[no-untyped-def]
    plugin = Plugin.from_file(test_plugin("passthrough"))
    with plugin.instantiate({"filter_all": True}) as inst:
        result = inst.process(BATCH)
    assert result.output is None and result.dead_letter is None
    assert inst.metrics.rows_in == 3 and inst.metrics.rows_out == 0


def test_guest_output_and_metrics_reach_the_log(
    hostile: Plugin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dataflare_provider")
    with hostile.instantiate({"mode": "talk"}) as inst:
        inst.process(BATCH)
        inst.process(BATCH)
    text = caplog.text
    assert "[hostile] stdout: hello from stdout" in text
    assert "[hostile] stderr: warning on stderr" in text
    assert "[hostile] info line" in text and "[hostile] error line" in text
    assert inst.metrics.counters == {"batches_seen": 2, "rows_seen": 6}
    summary = inst.metrics.summary()
    assert summary["histograms"]["batch_rows"]["count"] == 2
    assert "Ready -> Stopping" in text and "Loading -> Initializing" in text

"""SDK features the reference plugins do not reach, in Rust, Go and AssemblyScript: a stateful
processor (``finish`` exported only on request; builders for bool, timestamp, date32, null,
large_binary, formatted values; logging and metrics) and a source (``read``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from dataflare_provider.errors import PluginConfigError
from dataflare_provider.runtime import Plugin
from dataflare_provider.testing import assert_batches_equal
from dataflare_provider.toolchain.project import build, load_project

PLUGINS = Path(__file__).resolve().parent / "plugins"
PREFIX = {"rust": "rust", "go": "go", "assemblyscript": "as"}
FINISH = pa.record_batch({
    "rows": pa.array([5, 2], pa.int64()),
    "label": pa.array(["n=5", None], pa.string()),
    "flag": pa.array([True, None], pa.bool_()),
    "at": pa.array([0, 86_400_000], pa.timestamp("ms", "UTC")),
    "day": pa.array([19_000, 0], pa.date32()),
    "nothing": pa.nulls(2),
    "big": pa.array([b"\x00\x01", b"2"], pa.large_binary()),
})  # fmt: skip


@pytest.fixture(scope="session")
def selftest() -> Callable[[str, str], Plugin]:
    """``selftest(language, "finish" | "source")`` -> the loaded self-test plugin (built once)."""
    loaded: dict[tuple[str, str], Plugin] = {}

    def get(language: str, which: str) -> Plugin:
        if (language, which) not in loaded:
            report = build(load_project(PLUGINS / f"{PREFIX[language]}-{which}"))
            loaded[language, which] = Plugin.from_file(report.path)
        return loaded[language, which]

    return get


@pytest.mark.parametrize("language", list(PREFIX))
def test_stateful_processor_with_finish(
    selftest: Callable[[str, str], Plugin], language: str, caplog: pytest.LogCaptureFixture
) -> None:
    plugin = selftest(language, "finish")
    assert plugin.kind == "processor" and plugin.stateful and "dataflare_finish" in plugin.exports
    batch = pa.record_batch({"x": [1, 2, 3], "s": ["a", None, "c"]})
    with caplog.at_level(logging.INFO), plugin.instantiate({"label": "n"}) as inst:
        assert inst.process(batch).output.equals(batch)
        assert inst.process(batch.slice(1)).output.equals(batch.slice(1))
        assert_batches_equal(inst.finish().output, FINISH)
        assert inst.metrics.counters["rows_seen"] == 5
        hist = inst.metrics.histograms["batch_rows"]
        assert (hist.count, hist.total, hist.max) == (2, 5.0, 3.0)
    assert "finishing after 2 batches" in caplog.text


@pytest.mark.parametrize("language", list(PREFIX))
def test_source(selftest: Callable[[str, str], Plugin], language: str) -> None:
    plugin = selftest(language, "source")
    assert plugin.kind == "source" and not plugin.stateful
    with plugin.instantiate({"rows": 5}) as inst:
        batches = []
        while (res := inst.read(2)) is not None:
            batches.append(res.output)
    assert [b.num_rows for b in batches] == [2, 2, 1]
    table = pa.Table.from_batches(batches)
    assert table.column("id").to_pylist() == [0, 1, 2, 3, 4]
    assert table.column("even").to_pylist() == ["even", None, "even", None, "even"]
    with pytest.raises(PluginConfigError, match="rows"):
        plugin.instantiate({"rows": "many"})

"""Every abi-1 type survives a round trip, through the copy path and the pass-through path."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from dataflare_provider.errors import UnsupportedTypeError
from dataflare_provider.runtime import Plugin


def all_types_batch(n: int = 40) -> pa.RecordBatch:
    def nullify(values: list[object]) -> list[object]:
        return [None if i % 3 == 1 else v for i, v in enumerate(values)]

    ints = list(range(-n // 2, n - n // 2))
    cols: dict[str, pa.Array] = {
        "null": pa.nulls(n),
        "bool": pa.array(nullify([i % 2 == 0 for i in range(n)]), pa.bool_()),
    }
    for t in ("int8", "int16", "int32", "int64"):
        cols[t] = pa.array(nullify(ints), getattr(pa, t)())
    for t in ("uint8", "uint16", "uint32", "uint64"):
        cols[t] = pa.array(nullify([abs(i) for i in ints]), getattr(pa, t)())
    cols["float32"] = pa.array(nullify([i / 4 for i in ints]), pa.float32())
    cols["float64"] = pa.array(nullify([i / 3 for i in ints]), pa.float64())
    words = [("wörd" * (i % 4)) + str(i) for i in range(n)]
    cols["utf8"] = pa.array(nullify(words), pa.utf8())
    cols["large_utf8"] = pa.array(nullify(words), pa.large_utf8())
    cols["binary"] = pa.array(nullify([w.encode() for w in words]), pa.binary())
    cols["large_binary"] = pa.array(nullify([w.encode() for w in words]), pa.large_binary())
    cols["date32"] = pa.array(
        nullify([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)])
    )
    for unit in ("s", "ms", "us", "ns"):
        for tz in (None, "UTC", "Europe/Paris"):
            cols[f"ts_{unit}_{tz}"] = pa.array(
                nullify([1_700_000_000 + i for i in range(n)]), pa.timestamp(unit, tz=tz)
            )
    cols["no_nulls"] = pa.array(range(n), pa.int64())
    return pa.record_batch(cols)


@pytest.fixture(scope="module")
def echo(test_plugin) -> Plugin:  # type: ignore[no-untyped-def]
    return Plugin.from_file(test_plugin("echo"))


@pytest.fixture(scope="module")
def passthrough(test_plugin) -> Plugin:  # type: ignore[no-untyped-def]
    return Plugin.from_file(test_plugin("passthrough"))


@pytest.mark.parametrize("which", ["echo", "passthrough"])
def test_every_type_round_trips(which: str, request: pytest.FixtureRequest) -> None:
    plugin: Plugin = request.getfixturevalue(which)
    batch = all_types_batch()
    with plugin.instantiate() as inst:
        out = inst.process(batch).output
    assert out is not None
    assert out.schema == batch.schema
    for name in batch.schema.names:
        assert out.column(name).equals(batch.column(name)), name


@pytest.mark.parametrize("which", ["echo", "passthrough"])
@pytest.mark.parametrize(
    ("offset", "length"), [(1, 20), (3, 17), (7, 9), (8, 16), (13, 27), (39, 1), (5, 0)]
)
def test_sliced_inputs(
    which: str, offset: int, length: int, request: pytest.FixtureRequest
) -> None:
    plugin: Plugin = request.getfixturevalue(which)
    batch = all_types_batch().slice(offset, length)
    with plugin.instantiate() as inst:
        out = inst.process(batch).output
    assert out is not None and out.num_rows == length
    for name in batch.schema.names:
        assert out.column(name).equals(batch.column(name)), name


def test_output_with_offsets(echo: Plugin) -> None:
    """The guest may return arrays with a non-zero offset."""
    batch = all_types_batch().slice(2, 30)
    with echo.instantiate({"drop_first": True}) as inst:
        out = inst.process(batch).output
    assert out is not None
    expected = batch.slice(1)
    for name in batch.schema.names:
        assert out.column(name).equals(expected.column(name)), name


@pytest.mark.parametrize("which", ["echo", "passthrough"])
def test_empty_batch(which: str, request: pytest.FixtureRequest) -> None:
    plugin: Plugin = request.getfixturevalue(which)
    batch = all_types_batch().slice(0, 0)
    with plugin.instantiate() as inst:
        out = inst.process(batch).output
    assert out is not None and out.num_rows == 0 and out.schema == batch.schema


def test_empty_batch_built_from_empty_arrays(echo: Plugin) -> None:
    batch = pa.RecordBatch.from_pydict(
        {"s": pa.array([], pa.utf8()), "b": pa.array([], pa.large_binary())}
    )
    with echo.instantiate() as inst:
        out = inst.process(batch).output
    assert out is not None and out.equals(batch)


def test_many_batches_with_changing_schema(echo: Plugin) -> None:
    a = pa.record_batch({"x": pa.array(range(1000), pa.int64())})
    b = pa.record_batch({"y": pa.array([str(i) for i in range(5000)]), "z": pa.array([1.5] * 5000)})
    with echo.instantiate() as inst:
        for batch in (a, b, a, b, b):
            out = inst.process(batch).output
            assert out is not None and out.equals(batch)


def test_pass_through_reuses_host_arrays(passthrough: Plugin) -> None:
    batch = pa.record_batch({"x": pa.array(range(100_000), pa.int64())})
    with passthrough.instantiate() as inst:
        out = inst.process(batch).output
    assert out is not None
    assert out.column(0).buffers()[1].address == batch.column(0).buffers()[1].address


@pytest.mark.parametrize(
    "array",
    [
        pa.array([[1, 2], [3]]),
        pa.array(["a", "b"]).dictionary_encode(),
        pa.array([1, 2], pa.decimal128(5, 2)),
        pa.array([{"a": 1}]),
    ],
)
def test_unsupported_type_names_the_column(passthrough: Plugin, array: pa.Array) -> None:
    batch = pa.record_batch({"ok": pa.array(range(len(array))), "bad_col": array})
    with passthrough.instantiate() as inst:
        with pytest.raises(UnsupportedTypeError, match="bad_col"):
            inst.process(batch)
        # the instance is still usable after refusing a batch
        good = pa.record_batch({"ok": pa.array([1, 2, 3])})
        assert inst.process(good).output.equals(good)  # type: ignore[union-attr]

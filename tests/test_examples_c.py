"""The C example plugins (examples/*, built from source with the C SDK) against pyarrow/Python
reference computations of the semantics in each example's README.md."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dataflare_provider.errors import PluginConfigError, PluginSchemaError
from dataflare_provider.registry.manifest import load_manifest, validate_config
from dataflare_provider.runtime import Plugin, PluginInstance

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# The pyarrow reference implementations the shared SDK vectors are generated from.
sys.path.insert(0, str(ROOT / "tests" / "vectors"))
from generate import (  # noqa: E402
    NUMERIC_TYPES,
    OPS,
    basic_transformer,
    int_range,
    wrap64,
)

NAMES = ("basic-transformer", "row-filter", "streaming-aggregator")


@pytest.fixture(scope="session")
def plugins() -> dict[str, Plugin]:
    """Build every C example with ``make -C examples`` (once per session) and load it."""
    proc = subprocess.run(["make", "-C", str(EXAMPLES)], capture_output=True, text=True)
    assert proc.returncode == 0, f"make -C examples failed:\n{proc.stdout}\n{proc.stderr}"
    return {n: Plugin.from_file(EXAMPLES / n / "build" / f"{n}.wasm") for n in NAMES}


@pytest.fixture
def run(plugins: dict[str, Plugin]) -> Iterator[Any]:
    """``run(name, config)`` -> an instance that is closed after the test."""
    made: list[PluginInstance] = []

    def instantiate(name: str, config: dict[str, Any]) -> PluginInstance:
        inst = plugins[name].instantiate(config=config)
        made.append(inst)
        return inst

    yield instantiate
    for inst in made:
        inst.close()


# -- data -------------------------------------------------------------------------------------


def numeric_values(t: pa.DataType, n: int, rng: random.Random, null_rate: float = 0.2) -> pa.Array:
    """n values of type t with nulls, including the type's extremes."""
    out: list[Any] = []
    for i in range(n):
        if rng.random() < null_rate:
            out.append(None)
        elif pa.types.is_integer(t):
            lo, hi = int_range(t)
            out.append(
                (lo, hi, 0)[i % 3] if i % 7 == 0 else rng.randint(max(lo, -1000), min(hi, 1000))
            )
        else:
            v = rng.uniform(-1000, 1000)
            if i % 11 == 0:
                v = float(i % 5 - 2)
            out.append(float(pa.scalar(v, t).as_py()))  # representable in t
    return pa.array(out, t)


def words(n: int, rng: random.Random, null_rate: float = 0.2) -> list[str | None]:
    pool = [
        "Hello",
        "WORLD",
        "MiXeD Case",
        "",
        "ÄÖÜ Straße",
        "日本語 ABC",
        "z",
        "Zebra-42",
        "a" * 40,
    ]
    return [None if rng.random() < null_rate else rng.choice(pool) for _ in range(n)]


def mixed_batch(n: int, seed: int = 1) -> pa.RecordBatch:
    """Every abi-1 type, with nulls."""
    rng = random.Random(seed)
    cols: dict[str, pa.Array] = {}
    for t in NUMERIC_TYPES:
        cols[f"c_{t}"] = numeric_values(t, n, rng)
    w = words(n, rng)
    cols["s"] = pa.array(w, pa.string())
    cols["ls"] = pa.array(words(n, rng), pa.large_string())
    cols["bin"] = pa.array([None if x is None else x.encode() for x in w], pa.binary())
    cols["lbin"] = pa.array([None if x is None else x.encode()[::-1] for x in w], pa.large_binary())
    cols["b"] = pa.array(
        [None if rng.random() < 0.2 else rng.random() < 0.5 for _ in range(n)], pa.bool_()
    )
    cols["d"] = pa.array(
        [None if rng.random() < 0.2 else rng.randint(-1000, 30000) for _ in range(n)], pa.date32()
    )
    for unit, tz in (("s", None), ("ms", "UTC"), ("us", "Europe/Paris"), ("ns", None)):
        cols[f"ts_{unit}"] = pa.array(
            [None if rng.random() < 0.2 else rng.randint(-(10**12), 10**12) for _ in range(n)],
            pa.timestamp(unit, tz),
        )
    cols["nul"] = pa.nulls(n)
    return pa.record_batch(list(cols.values()), names=list(cols))


def same_buffers(a: pa.Array, b: pa.Array) -> bool:
    """Whether b is a's memory (the host's zero-copy pass-through), not a copy."""
    if pa.types.is_null(a.type):
        return bool(pa.types.is_null(b.type))  # no buffers, nothing to copy
    return a.offset == b.offset and [x.address if x else 0 for x in a.buffers()] == [
        x.address if x else 0 for x in b.buffers()
    ]


# -- basic-transformer ------------------------------------------------------------------------


def test_transformer_empty_config_passes_everything_through_zero_copy(run: Any) -> None:
    batch = mixed_batch(50)
    for b in (batch, batch.slice(3, 40)):
        out = run("basic-transformer", {}).process(b)
        assert out.dead_letter is None
        assert out.output.equals(b)
        for name in b.schema.names:
            assert same_buffers(b.column(name), out.output.column(name)), name


@pytest.mark.parametrize("sliced", [False, True])
def test_transformer_lowercase_utf8_and_large_utf8(run: Any, sliced: bool) -> None:
    batch = mixed_batch(200, seed=2)
    if sliced:
        batch = batch.slice(3, 150)
    config = {"lowercase": ["s", "ls"]}
    out = run("basic-transformer", config).process(batch).output
    assert out.equals(basic_transformer(batch, config))
    assert out.schema.field("ls").type == pa.large_string()
    for name in batch.schema.names:
        if name not in ("s", "ls"):
            assert same_buffers(batch.column(name), out.column(name)), name


@pytest.mark.parametrize("t", NUMERIC_TYPES, ids=str)
def test_transformer_derive_every_numeric_type(run: Any, t: pa.DataType) -> None:
    rng = random.Random(3)
    batch = pa.record_batch(
        {"x": numeric_values(t, 300, rng), "s": pa.array(words(300, rng), pa.string())}
    )
    derive: list[dict[str, Any]]
    if pa.types.is_integer(t):
        derive = [{"name": "y", "from": "x", "multiply": 3, "add": -7},
                  {"name": "big", "from": "x", "multiply": 2**62 + 1, "add": 2**63 - 1},
                  {"name": "same", "from": "x"}]  # fmt: skip
    else:
        derive = [{"name": "y", "from": "x", "multiply": 0.1, "add": 2.5},
                  {"name": "z", "from": "x", "multiply": -3, "add": 1e300},
                  {"name": "same", "from": "x"}]  # fmt: skip
    config = {"lowercase": ["s"], "derive": derive}
    inst = run("basic-transformer", config)
    for b in (batch, batch.slice(3, 250), batch.slice(7, 0)):
        out = inst.process(b).output
        expected = basic_transformer(b, config)
        assert out.equals(expected), (t, b.num_rows)
        for d in derive:  # the value slot under a null is 0
            col = out.column(d["name"])
            raw = np.frombuffer(col.buffers()[1], dtype=col.type.to_pandas_dtype())
            raw = raw[col.offset : col.offset + len(col)]
            nulls = ~np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            assert (raw[nulls] == 0).all()


def test_transformer_derive_wraps_int64(run: Any) -> None:
    batch = pa.record_batch({"x": pa.array([2**63 - 1, 2**62, 3], pa.int64())})
    out = (
        run("basic-transformer", {"derive": [{"name": "y", "from": "x", "multiply": 4, "add": 1}]})
        .process(batch)
        .output
    )
    assert out.column("y").to_pylist() == [wrap64((2**63 - 1) * 4 + 1), wrap64(2**64 + 1), 13]
    u = pa.record_batch({"x": pa.array([2**64 - 1, 2**63, 0], pa.uint64())})
    out = (
        run("basic-transformer", {"derive": [{"name": "y", "from": "x", "add": 1}]})
        .process(u)
        .output
    )
    assert out.column("y").to_pylist() == [0, -(2**63) + 1, 1]


def test_transformer_empty_batch(run: Any) -> None:
    batch = mixed_batch(10).slice(0, 0)
    config = {"lowercase": ["s"], "derive": [{"name": "y", "from": "c_int32", "multiply": 2}]}
    out = run("basic-transformer", config).process(batch).output
    assert out.num_rows == 0
    assert out.equals(basic_transformer(batch, config))


def test_transformer_several_batches_and_large_batch(run: Any) -> None:
    config = {"lowercase": ["s"], "derive": [{"name": "y", "from": "x", "multiply": 2}]}
    inst = run("basic-transformer", config)
    rng = random.Random(5)
    for n in (1, 100_000, 17, 0, 70_000):
        batch = pa.record_batch(
            {"x": numeric_values(pa.float64(), n, rng), "s": pa.array(words(n, rng), pa.string())}
        )
        assert inst.process(batch).output.equals(basic_transformer(batch, config))


@pytest.mark.parametrize(
    "config",
    [
        {"lowercase": "s"},
        {"lowercase": [1]},
        {"derive": {"name": "y"}},
        {"derive": [{"from": "x"}]},
        {"derive": [{"name": "y"}]},
        {"derive": [{"name": "y", "from": "x", "multiply": "2"}]},
        {"derive": [{"name": "y", "from": "x", "scale": 2}]},
        {"derive": ["y"]},
        {"uppercase": ["s"]},
    ],
)
def test_transformer_bad_config(plugins: dict[str, Plugin], config: dict[str, Any]) -> None:
    with pytest.raises(PluginConfigError):
        plugins["basic-transformer"].instantiate(config=config)


@pytest.mark.parametrize(
    "param", [{"multiply": 2.5}, {"add": 1.0}, {"multiply": 1e3}, {"add": 2**63}]
)
def test_transformer_integer_source_needs_integer_params(run: Any, param: dict[str, Any]) -> None:
    batch = pa.record_batch({"x": pa.array([1, 2], pa.int32()), "f": pa.array([1.0, 2.0])})
    with pytest.raises(PluginConfigError, match="integer"):
        run("basic-transformer", {"derive": [{"name": "y", "from": "x", **param}]}).process(batch)
    out = (
        run("basic-transformer", {"derive": [{"name": "y", "from": "f", **param}]})
        .process(batch)
        .output
    )
    assert out is not None
    assert out.column("y").type == pa.float64()


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ({"lowercase": ["nope"]}, "nope"),
        ({"lowercase": ["x"]}, "'x'"),
        ({"derive": [{"name": "y", "from": "missing"}]}, "missing"),
        ({"derive": [{"name": "y", "from": "s"}]}, "'s'"),
    ],
)
def test_transformer_missing_or_wrong_column(run: Any, config: dict[str, Any], needle: str) -> None:
    batch = pa.record_batch({"x": pa.array([1, 2]), "s": pa.array(["A", "B"])})
    with pytest.raises(PluginSchemaError, match=needle):
        run("basic-transformer", config).process(batch)


# -- row-filter -------------------------------------------------------------------------------


def filter_reference(
    batch: pa.RecordBatch, column: str, op: str, value: float
) -> tuple[list[int], list[int]]:
    """(kept row indices, null row indices). Python compares int with float exactly."""
    kept, nulls = [], []
    for i, x in enumerate(batch.column(column).to_pylist()):
        if x is None:
            nulls.append(i)
        elif OPS[op](x, value):
            kept.append(i)
    return kept, nulls


def check_filter(
    inst: PluginInstance, batch: pa.RecordBatch, column: str, op: str, value: float
) -> None:
    kept, nulls = filter_reference(batch, column, op, value)
    res = inst.process(batch)
    if not kept and not nulls:
        assert res.output is None and res.dead_letter is None
        return
    if kept:
        out = res.output
        assert out is not None
        assert out.equals(batch.take(pa.array(kept, pa.int64()))), (column, op, value)
        if len(kept) == batch.num_rows:  # nothing dropped: zero-copy
            for name in batch.schema.names:
                assert same_buffers(batch.column(name), out.column(name)), name
    else:
        assert res.output is None or res.output.num_rows == 0
    if nulls:
        dl = res.dead_letter
        assert dl is not None
        assert dl.drop_columns(["_dataflare_error"]).equals(batch.take(pa.array(nulls, pa.int64())))
        assert dl.column("_dataflare_error").to_pylist() == [f"{column} is null"] * len(nulls)
        assert dl.schema.field("_dataflare_error").type == pa.string()
    else:
        assert res.dead_letter is None


@pytest.mark.parametrize("t", NUMERIC_TYPES, ids=str)
def test_filter_every_numeric_type_and_op(run: Any, t: pa.DataType) -> None:
    base = mixed_batch(120, seed=7)
    batch = base.set_column(0, "amount", numeric_values(t, 120, random.Random(8)))
    for op in OPS:
        for value in (0, 17, -5, 2.5):
            inst = run("row-filter", {"column": "amount", "op": op, "value": value})
            for b in (batch, batch.slice(3, 100), batch.slice(5, 1)):
                check_filter(inst, b, "amount", op, value)


@pytest.mark.parametrize(
    ("t", "values", "op", "value"),
    [
        (pa.uint8(), [0, 1, 255], ">", -1),  # every uint > -1
        (pa.uint8(), [0, 1, 255], "<", -1),
        (pa.uint64(), [0, 2**63, 2**64 - 1], ">=", 2**63),  # fits uint64 only
        (pa.int64(), [-(2**63), 0, 2**63 - 1], "<", 2**63),  # above every int64
        (pa.int64(), [-(2**63), 0, 2**63 - 1], ">", -(2**63)),
        (pa.int32(), [2, 3, 1000, 1001], ">", 2.5),
        (pa.int32(), [2, 3], "==", 2.5),
        (pa.int32(), [2, 3], "!=", 2.5),
        (pa.int32(), [999, 1000, 1001], ">=", 1e3),
        (pa.int64(), [2**62, -(2**62)], "<", 1e30),
        (pa.int64(), [2**62, -(2**62)], ">", -1e30),
        (pa.int64(), [2**53 + 1, 2**53], "==", 2**53 + 1),  # integer literal: no rounding to double
        (pa.uint64(), [2**64 - 1], "==", 2**64 - 1),
        (pa.float64(), [math.nan, 1.0, -math.inf], "!=", 1.0),
        (pa.float64(), [math.nan, 1.0, math.inf], ">", 0),
        (pa.float32(), [0.1, 0.5], "==", 0.1),  # float32(0.1) != double 0.1
        (pa.float32(), [0.1, 0.5], "==", 0.5),
    ],
)
def test_filter_exact_comparisons(
    run: Any, t: pa.DataType, values: list[Any], op: str, value: Any
) -> None:
    batch = pa.record_batch(
        {"x": pa.array([*values, None], t), "i": pa.array(range(len(values) + 1))}
    )
    kept, nulls = filter_reference(batch, "x", op, value)
    res = run("row-filter", {"column": "x", "op": op, "value": value}).process(batch)
    assert (res.output.column("i").to_pylist() if res.output is not None else []) == kept
    assert res.dead_letter.column("i").to_pylist() == nulls


def test_filter_everything_dropped_is_no_output_and_counts(run: Any) -> None:
    inst = run("row-filter", {"column": "x", "op": ">", "value": 100})
    res = inst.process(pa.record_batch({"x": pa.array([1, 2, 3])}))
    assert res.output is None and res.dead_letter is None
    inst.process(pa.record_batch({"x": pa.array([1, 200, 300, None])}))
    assert inst.metrics.counters["rows_dropped"] == 4


def test_filter_all_null_rows_go_to_dead_letter(run: Any) -> None:
    batch = pa.record_batch({"x": pa.array([None, None], pa.float32()), "s": pa.array(["a", None])})
    res = run("row-filter", {"column": "x", "op": "<", "value": 0}).process(batch)
    assert res.output is None or res.output.num_rows == 0
    assert res.dead_letter.column("s").to_pylist() == ["a", None]


def test_filter_empty_batch_and_large_batch(run: Any) -> None:
    inst = run("row-filter", {"column": "c_int64", "op": ">=", "value": 0})
    batch = mixed_batch(30)
    assert inst.process(batch.slice(0, 0)).output is None
    big = pa.record_batch({"c_int64": numeric_values(pa.int64(), 150_000, random.Random(9)),
                           "s": pa.array(words(150_000, random.Random(10)), pa.string())})  # fmt: skip
    check_filter(inst, big, "c_int64", ">=", 0)
    check_filter(inst, big.slice(1, 99_999), "c_int64", ">=", 0)


@pytest.mark.parametrize(
    "config",
    [
        {"op": ">", "value": 1},
        {"column": "x", "value": 1},
        {"column": "x", "op": ">"},
        {"column": "x", "op": "=~", "value": 1},
        {"column": "x", "op": ">", "value": "1"},
        {"column": 3, "op": ">", "value": 1},
        {"column": "x", "op": ">", "value": 1, "limit": 3},
        {},
    ],
)
def test_filter_bad_config(plugins: dict[str, Plugin], config: dict[str, Any]) -> None:
    with pytest.raises(PluginConfigError):
        plugins["row-filter"].instantiate(config=config)


@pytest.mark.parametrize(("column", "needle"), [("nope", "nope"), ("s", "'s'"), ("b", "'b'")])
def test_filter_missing_or_non_numeric_column(run: Any, column: str, needle: str) -> None:
    batch = pa.record_batch({"x": pa.array([1]), "s": pa.array(["a"]), "b": pa.array([True])})
    with pytest.raises(PluginSchemaError, match=needle):
        run("row-filter", {"column": column, "op": ">", "value": 0}).process(batch)


# -- streaming-aggregator ---------------------------------------------------------------------


def aggregate_reference(
    batches: list[pa.RecordBatch], key: str, val: str, value_type: pa.DataType
) -> pa.RecordBatch | None:
    groups: dict[str | None, list[Any]] = {}
    is_int = pa.types.is_integer(value_type)
    for b in batches:
        for k, v in zip(b.column(key).to_pylist(), b.column(val).to_pylist(), strict=True):
            g = groups.setdefault(k, [0, 0 if is_int else 0.0])
            g[0] += 1
            if v is not None:
                g[1] = wrap64(g[1] + wrap64(v)) if is_int else g[1] + float(v)
    if not groups:
        return None
    return pa.record_batch(
        [pa.array(list(groups), pa.string()),
         pa.array([g[0] for g in groups.values()], pa.int64()),
         pa.array([g[1] for g in groups.values()], pa.int64() if is_int else pa.float64())],
        names=[key, "count", "sum"],
    )  # fmt: skip


def key_batches(
    t: pa.DataType,
    sizes: list[int],
    seed: int,
    n_keys: int = 40,
    key_type: pa.DataType | None = None,
) -> list[pa.RecordBatch]:
    rng = random.Random(seed)
    key_type = key_type or pa.string()
    keys = [f"k{i}" for i in range(n_keys)] + ["", "K0", "ü"]
    out = []
    for n in sizes:
        k = [None if rng.random() < 0.05 else rng.choice(keys) for _ in range(n)]
        out.append(
            pa.record_batch(
                {
                    "other": pa.array(range(n)),
                    "key": pa.array(k, key_type),
                    "value": numeric_values(t, n, rng),
                }
            )
        )
    return out


@pytest.mark.parametrize("t", NUMERIC_TYPES, ids=str)
def test_aggregator_every_numeric_type_over_several_batches(run: Any, t: pa.DataType) -> None:
    batches = key_batches(t, [100, 0, 250, 1, 64], seed=11)
    batches[2] = batches[2].slice(3, 200)
    inst = run("streaming-aggregator", {"group_by": "key", "sum": "value"})
    for b in batches:
        res = inst.process(b)
        assert res.output is None and res.dead_letter is None
    out = inst.finish().output
    assert out.equals(aggregate_reference(batches, "key", "value", t))


def test_aggregator_large_utf8_keys_null_group_and_wrapping(run: Any) -> None:
    b1 = pa.record_batch({"key": pa.array(["a", None, "b", "a", None, ""], pa.large_string()),
                          "value": pa.array([2**63 - 1, 5, None, 1, None, 7], pa.int64())})  # fmt: skip
    b2 = pa.record_batch(
        {"key": pa.array([None, "b"], pa.large_string()), "value": pa.array([1, None], pa.int64())}
    )
    inst = run("streaming-aggregator", {"group_by": "key", "sum": "value"})
    inst.process(b1)
    inst.process(b2)
    out = inst.finish().output
    assert out.schema.field("key").type == pa.string()
    assert out.to_pydict() == {
        "key": ["a", None, "b", ""],
        "count": [2, 3, 2, 1],
        "sum": [-(2**63), 6, 0, 7],
    }


def test_aggregator_many_groups_grow_the_table(run: Any) -> None:
    batches = key_batches(pa.int32(), [60_000, 60_000, 10], seed=12, n_keys=50_000)
    inst = run("streaming-aggregator", {"group_by": "key", "sum": "value"})
    for b in batches:
        inst.process(b)
    assert inst.finish().output.equals(aggregate_reference(batches, "key", "value", pa.int32()))


def test_aggregator_finish_without_rows_and_reuse(run: Any) -> None:
    inst = run("streaming-aggregator", {"group_by": "key", "sum": "value"})
    assert inst.finish().output is None
    empty = key_batches(pa.float64(), [0], seed=13)
    inst.process(empty[0])
    assert inst.finish().output is None
    first = key_batches(pa.float32(), [30], seed=14)
    inst.process(first[0])
    assert inst.finish().output.equals(aggregate_reference(first, "key", "value", pa.float32()))
    second = key_batches(pa.int16(), [20], seed=15)  # state was cleared: a new stream, a new type
    inst.process(second[0])
    assert inst.finish().output.equals(aggregate_reference(second, "key", "value", pa.int16()))


def test_aggregator_sum_type_change_between_batches(run: Any) -> None:
    inst = run("streaming-aggregator", {"group_by": "key", "sum": "value"})
    inst.process(key_batches(pa.int32(), [5], seed=16)[0])
    inst.process(key_batches(pa.uint64(), [5], seed=17)[0])  # integer -> integer is fine
    with pytest.raises(PluginSchemaError, match="changed"):
        inst.process(key_batches(pa.float64(), [5], seed=18)[0])


@pytest.mark.parametrize(
    "config",
    [{}, {"group_by": "key"}, {"sum": "value"}, {"group_by": 1, "sum": "value"},
     {"group_by": "key", "sum": ["value"]}, {"group_by": "key", "sum": "value", "avg": "value"}],
)  # fmt: skip
def test_aggregator_bad_config(plugins: dict[str, Plugin], config: dict[str, Any]) -> None:
    with pytest.raises(PluginConfigError):
        plugins["streaming-aggregator"].instantiate(config=config)


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ({"group_by": "nope", "sum": "value"}, "nope"),
        ({"group_by": "key", "sum": "nope"}, "nope"),
        ({"group_by": "other", "sum": "value"}, "'other'"),  # int key
        ({"group_by": "key", "sum": "key"}, "'key'"),  # string sum
    ],
)
def test_aggregator_missing_or_wrong_column(run: Any, config: dict[str, Any], needle: str) -> None:
    with pytest.raises(PluginSchemaError, match=needle):
        run("streaming-aggregator", config).process(key_batches(pa.int32(), [3], seed=19)[0])


# -- manifests --------------------------------------------------------------------------------

GOOD_CONFIGS: dict[str, list[dict[str, Any]]] = {
    "basic-transformer": [
        {},
        {"lowercase": ["s"], "derive": [{"name": "y", "from": "x", "multiply": 2, "add": 1}]},
    ],
    "row-filter": [{"column": "amount", "op": ">=", "value": 1.5}],
    "streaming-aggregator": [{"group_by": "key", "sum": "value"}],
}
BAD_CONFIGS: dict[str, dict[str, Any]] = {
    "basic-transformer": {"lowercase": "s"},
    "row-filter": {"column": "amount", "op": "=~", "value": 1},
    "streaming-aggregator": {"group_by": "key"},
}


@pytest.mark.parametrize("name", NAMES)
def test_manifest_loads_and_schema_matches_plugin(plugins: dict[str, Plugin], name: str) -> None:
    manifest = load_manifest(EXAMPLES / name / "plugin.toml")
    assert (manifest.namespace, manifest.name, manifest.version, manifest.kind) == (
        "dataflare",
        name,
        "1.0.0",
        "processor",
    )
    assert manifest.license == "Apache-2.0"
    for config in GOOD_CONFIGS[name]:
        validate_config(manifest, config)
        plugins[name].instantiate(config=config).close()  # the plugin agrees with its schema
    with pytest.raises(PluginConfigError):
        validate_config(manifest, BAD_CONFIGS[name])
    with pytest.raises(PluginConfigError):
        plugins[name].instantiate(config=BAD_CONFIGS[name])


# -- SDK surface (sdk/c/tests/*.c) --------------------------------------------------------------

SDK_TESTS = ROOT / "sdk" / "c" / "tests"


@pytest.fixture(scope="session")
def sdk_plugins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Plugin]:
    """The SDK self-test plugins, built with the same flags as the examples."""
    from dataflare_provider.toolchain.c import compile_c

    out = tmp_path_factory.mktemp("sdk-c-tests")
    flags = ["-flto", "-mbulk-memory", "-Wall", "-Wextra", "-Werror", "-Wl,--strip-all"]
    return {
        name: Plugin.from_file(
            compile_c([SDK_TESTS / f"{name}.c"], out / f"{name}.wasm", extra_flags=flags)
        )
        for name in ("sdk_selftest", "sdk_source")
    }


def selftest(sdk_plugins: dict[str, Plugin], config: dict[str, Any], batch: pa.RecordBatch) -> Any:
    inst = sdk_plugins["sdk_selftest"].instantiate(config=config)
    try:
        return inst.process(batch)
    finally:
        inst.close()


ONE_ROW = pa.record_batch({"x": pa.array([1])})


def strict_equal(a: Any, b: Any) -> bool:
    """Equality that tells int from float (the SDK's integer-literal detection)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def expected_json(v: Any) -> Any:
    """What the SDK reports: integer literals outside [-2^63, 2^64) are parsed as doubles."""
    if isinstance(v, bool) or v is None or isinstance(v, str | float):
        return v
    if isinstance(v, int):
        return v if -(2**63) <= v < 2**64 else float(v)
    if isinstance(v, list):
        return [expected_json(x) for x in v]
    return {k: expected_json(x) for k, x in v.items()}


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        "[]",
        ' \n\t{ "a" : [ 1 , -0 , 1.5 , 1E2 , -2.5e-3 , 0.0 ] , "b" : { } }\r\n',
        '"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\u20ac \\ud83d\\ude00"',
        '{"big": 18446744073709551615, "min": -9223372036854775808, "over": 18446744073709551616}',
        '{"neg_over": -9223372036854775809, "huge": 100000000000000000000000000000}',
        '[true, false, null, [[[]]], {"k": {"k": [1]}}]',
        '{"dup": 1, "dup": 2}',
        '"\\u0000 nul"',
        "3",
        "-1.7976931348623157e308",
    ],
)
def test_sdk_json_reader(sdk_plugins: dict[str, Plugin], text: str) -> None:
    """Round trip through df_json_parse; repeated keys: both kept, the last wins (as in Python)."""
    out = selftest(sdk_plugins, {"mode": "json", "text": text}, ONE_ROW).output
    got = json.loads(out.column("out")[0].as_py())
    want = expected_json(json.loads(text))
    assert strict_equal(got, want), (got, want)


@pytest.mark.parametrize(
    "text",
    ["", "{", '{"a" 1}', '{"a": 1,}', "[1 2]", "01", "1.", "-", "1e", "tru", '"\\x"', '"\\ud800"',
     '"\\udc00x"', '"a\nb"', '"open', "{} x", "[" * 100 + "]" * 100, '{1: 2}', "nan"],
)  # fmt: skip
def test_sdk_json_reader_rejects(sdk_plugins: dict[str, Plugin], text: str) -> None:
    with pytest.raises(PluginConfigError, match="at byte"):
        selftest(sdk_plugins, {"mode": "json", "text": text}, ONE_ROW)


def test_sdk_builders_every_type(sdk_plugins: dict[str, Plugin]) -> None:
    out = selftest(sdk_plugins, {"mode": "build"}, ONE_ROW).output
    r = range(5)
    expected = {
        "bool": pa.array([False, True, False, True, None]),
        "i8": pa.array([-i * 30 for i in r], pa.int8()),
        "i16": pa.array([None, 1000, 2000, 3000, 4000], pa.int16()),
        "i32": pa.array([-i for i in r], pa.int32()),
        "i64": pa.array([-(2**63) + i for i in r], pa.int64()),
        "u8": pa.array([250 + i for i in r], pa.uint8()),
        "u16": pa.array([65535 - i for i in r], pa.uint16()),
        "u32": pa.array([4_000_000_000 + i for i in r], pa.uint32()),
        "u64": pa.array([2**64 - 1 - i for i in r], pa.uint64()),
        "f32": pa.array([0.5 * i for i in r], pa.float32()),
        "f64": pa.array([1.0, 0.5, None, 0.25, 0.2]),
        "date": pa.array([19000 + i for i in r], pa.date32()),
        "ts": pa.array(
            [1_700_000_000_000_000_000 + i for i in r], pa.timestamp("ns", "Asia/Tokyo")
        ),
        "ts_naive": pa.array([-i for i in r], pa.timestamp("s")),
        "utf8": pa.array(["plain", "42-x-1.50", None, "piece!!", ""]),
        "large_utf8": pa.array(["row0", "row1", "row2", None, "row4"], pa.large_string()),
        "binary": pa.array([b"\0\1\2\3\4"[:i] for i in r], pa.binary()),
        "large_binary": pa.array([bytes([97 + i]) * 100_000 for i in r], pa.large_binary()),
        "null": pa.nulls(5),
    }
    assert out.equals(pa.record_batch(list(expected.values()), names=list(expected)))


@pytest.mark.parametrize("rows", [0, 1, 57])
def test_sdk_take_every_type(sdk_plugins: dict[str, Plugin], rows: int) -> None:
    batch = mixed_batch(80, seed=21).slice(5, rows)
    out = selftest(sdk_plugins, {"mode": "take"}, batch).output
    idx = list(range(rows - 1, -1, -1)) + ([0] if rows else [])
    assert out.equals(batch.take(pa.array(idx, pa.int64())))


@pytest.mark.parametrize("offset", [0, 3, 9])
def test_sdk_copy_and_set_null(sdk_plugins: dict[str, Plugin], offset: int) -> None:
    batch = mixed_batch(40, seed=22).slice(offset, 25)
    out = selftest(sdk_plugins, {"mode": "copy"}, batch).output
    for name, col in zip(batch.schema.names, batch.columns, strict=True):
        first = pa.array([True] + [False] * (len(col) - 1))
        want = (
            col if pa.types.is_null(col.type) else pc.if_else(first, pa.scalar(None, col.type), col)
        )
        assert out.column(name).equals(want), name


def test_sdk_column_info(sdk_plugins: dict[str, Plugin]) -> None:
    batch = pa.record_batch(
        {"i": pa.array([-5, None], pa.int16()), "u": pa.array([2**64 - 1, 1], pa.uint64()),
         "f": pa.array([2.75, None], pa.float32()), "b": pa.array([True, None]),
         "s": pa.array([None, "x"]), "d": pa.array([3, 4], pa.date32()),
         "t": pa.array([-7, 8], pa.timestamp("us", "UTC")), "n": pa.nulls(2),
         "inf": pa.array([math.inf, 0.0]), "ninf": pa.array([-1e300, 0.0]),
         "nan": pa.array([math.nan, 0.0], pa.float32())}
    )  # fmt: skip
    out = selftest(sdk_plugins, {"mode": "info"}, batch).output.to_pydict()
    assert out["name"] == batch.schema.names
    assert out["type"] == [
        "int16",
        "uint64",
        "float",
        "bool",
        "string",
        "date32",
        "timestamp",
        "null",
        "double",
        "double",
        "float",
    ]
    assert out["null_count"] == [1, 0, 1, 1, 1, 0, 0, 2, 0, 0, 0]
    # floats -> int64 saturate (NaN -> 0), like Rust's `as`
    assert out["first_i64"] == [-5, -1, 2, 1, None, 3, -7, None, 2**63 - 1, -(2**63), 0]
    assert out["first_f64"][:10] == [
        -5.0,
        2.0**64,
        2.75,
        1.0,
        None,
        3.0,
        -7.0,
        None,
        math.inf,
        -1e300,
    ]
    assert math.isnan(out["first_f64"][10])
    assert out["found"] == [True] * 11


def test_sdk_builder_misuse_is_a_plugin_error(sdk_plugins: dict[str, Plugin]) -> None:
    from dataflare_provider.errors import PluginError

    with pytest.raises(PluginError, match="'short' has 2 rows, the output batch 3"):
        selftest(sdk_plugins, {"mode": "misuse"}, pa.record_batch({"x": pa.array([1, 2, 3])}))


def test_sdk_logging_and_metrics(
    sdk_plugins: dict[str, Plugin], caplog: pytest.LogCaptureFixture
) -> None:
    inst = sdk_plugins["sdk_selftest"].instantiate(config={"mode": "log"})
    with caplog.at_level("DEBUG"):
        assert inst.process(mixed_batch(9)).output is None
    text = caplog.text
    for needle in ("trace 0", "debug 1", "info two", "warn 3.0", "error 4"):
        assert needle in text
    assert inst.metrics.counters["rows_seen"] == 9
    hist = inst.metrics.histograms["batch_rows"]
    assert (hist.count, hist.mean, hist.max) == (1, 9.0, 9.0)
    inst.close()


def test_sdk_source(sdk_plugins: dict[str, Plugin]) -> None:
    inst = sdk_plugins["sdk_source"].instantiate(config={"rows": 25})
    sizes, ids, labels = [], [], []
    while (res := inst.read(10)) is not None:
        assert res.output is not None
        sizes.append(res.output.num_rows)
        ids += res.output.column("id").to_pylist()
        labels += res.output.column("label").to_pylist()
    assert sizes == [10, 10, 5]
    assert ids == list(range(25))
    assert labels == [None if i % 7 == 0 else f"id-{i}" for i in range(25)]
    inst.close()
    with pytest.raises(PluginConfigError):
        sdk_plugins["sdk_source"].instantiate(config={"rows": -1})


NATIVE_CASES = {
    "transformer": (
        "examples/basic-transformer/basic_transformer.c",
        {"lowercase": ["k", "s"], "derive": [{"name": "y", "from": "x", "multiply": 3, "add": -1},
                                             {"name": "z", "from": "f", "multiply": 0.5}]},
    ),
    "filter-int": ("examples/row-filter/row_filter.c", {"column": "x", "op": ">=", "value": 10}),
    "filter-float": ("examples/row-filter/row_filter.c", {"column": "f", "op": "!=", "value": 0.5}),
    "aggregator": ("examples/streaming-aggregator/streaming_aggregator.c", {"group_by": "k", "sum": "x"}),
    "take": ("sdk/c/tests/sdk_selftest.c", {"mode": "take"}),
    "copy": ("sdk/c/tests/sdk_selftest.c", {"mode": "copy"}),
    "build": ("sdk/c/tests/sdk_selftest.c", {"mode": "build"}),
}  # fmt: skip


@pytest.fixture(scope="session")
def native_driver(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``native_driver(src)`` -> sdk/c/tests/native_driver.c built around ``src`` (cached)."""
    from dataflare_provider.toolchain.c import find_clang

    out = tmp_path_factory.mktemp("native")
    built: dict[str, Path] = {}

    def build(src: str) -> Path:
        if src not in built:
            exe = out / Path(src).stem
            cmd = [
                find_clang(), "-g", "-O1", "-fsanitize=address,undefined",
                "-fno-sanitize-recover=all", "-DDATAFLARE_ARENA_DEBUG", "-Wall", "-Wextra", "-Werror",
                f"-I{ROOT / 'sdk' / 'c'}", f'-DPLUGIN_SRC="{ROOT / src}"', "-o", str(exe),
                str(SDK_TESTS / "native_driver.c"), "-lm",
            ]  # fmt: skip
            proc = subprocess.run(cmd, capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
            built[src] = exe
        return built[src]

    return build


@pytest.mark.parametrize("case", list(NATIVE_CASES))
def test_sdk_and_examples_under_native_sanitizers(native_driver: Any, case: str) -> None:
    """The same C compiled natively with AddressSanitizer + UBSan and a one-malloc-per-allocation
    arena, driven by sdk/c/tests/native_driver.c over random batches with nulls and offsets."""
    src, config = NATIVE_CASES[case]
    proc = subprocess.run(
        [str(native_driver(src)), json.dumps(config)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok:"), proc.stdout


# -- shared cross-SDK vectors (tests/vectors/<plugin>/, docs/testing-plugins.md) ---------------

VECTORS = ROOT / "tests" / "vectors"
VECTOR_SETS = sorted(d.name for d in VECTORS.glob("*") if d.is_dir() and d.name in NAMES)


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_c_examples_pass_the_shared_vectors(plugins: dict[str, Plugin], name: str) -> None:
    from dataflare_provider.testing import assert_vectors

    report = assert_vectors(plugins[name], VECTORS / name)
    assert report.results

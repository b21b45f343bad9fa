"""Generate the shared SDK test vectors from pyarrow reference implementations.

    python tests/vectors/generate.py            # rewrites tests/vectors/<plugin>/ and the
                                                # template fixtures in dataflare_provider/templates

Every SDK's implementation of a reference plugin must turn each input into exactly the expected
batches (compared as normalised Arrow IPC bytes, see ``dataflare_provider.testing``). The layout
of a vector set (``cases.json`` + Arrow IPC files) is described in ``docs/testing-plugins.md``.

The data is deterministic (seeded) and the script is idempotent: rerunning it rewrites the same
cases; ``tests/sdk/test_sdk_vectors.py`` checks that the committed files match this script.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TEMPLATE_FIXTURES = ROOT / "dataflare_provider" / "templates" / "common" / "fixtures"
PYTHON_TEMPLATE_FIXTURES = ROOT / "dataflare_provider" / "templates" / "python" / "fixtures"
FORMAT = "dataflare-vectors 1"

INT_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64(),
             pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()]  # fmt: skip
FLOAT_TYPES = [pa.float32(), pa.float64()]
NUMERIC_TYPES = INT_TYPES + FLOAT_TYPES

# -- data ---------------------------------------------------------------------------------------


def int_range(t: pa.DataType) -> tuple[int, int]:
    bits = t.bit_width
    if pa.types.is_signed_integer(t):
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


def numeric_values(t: pa.DataType, n: int, rng: random.Random, null_rate: float = 0.2) -> pa.Array:
    """n values of type t with nulls, including the type's extremes (no NaN: NaN payloads after
    arithmetic are not specified by wasm, so byte comparison would be meaningless)."""
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
                v = (float(i % 5 - 2), float("inf"), -0.0)[i % 3]
            out.append(float(pa.scalar(v, t).as_py()))  # representable in t
    return pa.array(out, t)


WORDS = ["Hello", "WORLD", "MiXeD Case", "", "ÄÖÜ Straße", "日本語 ABC", "z", "Zebra-42",
         "A" * 40, "@[`{ edge ASCII AZaz", "ÉCOLE été"]  # fmt: skip


def words(n: int, rng: random.Random, null_rate: float = 0.2) -> list[str | None]:
    return [None if rng.random() < null_rate else rng.choice(WORDS) for _ in range(n)]


def mixed_batch(n: int, seed: int) -> pa.RecordBatch:
    """One column of every abi-1 type, with nulls."""
    rng = random.Random(seed)
    cols: dict[str, pa.Array] = {}
    for t in NUMERIC_TYPES:
        cols[f"c_{t}"] = numeric_values(t, n, rng)
    w = words(n, rng)
    cols["s"] = pa.array(w, pa.string())
    cols["ls"] = pa.array(words(n, rng), pa.large_string())
    cols["bin"] = pa.array([None if x is None else x.encode() for x in w], pa.binary())
    cols["lbin"] = pa.array([None if x is None else x.encode()[::-1] for x in w], pa.large_binary())
    cols["b"] = pa.array([None if rng.random() < 0.2 else rng.random() < 0.5 for _ in range(n)],
                         pa.bool_())  # fmt: skip
    cols["d"] = pa.array([None if rng.random() < 0.2 else rng.randint(-1000, 30000) for _ in range(n)],
                         pa.date32())  # fmt: skip
    for unit, tz in (("s", None), ("ms", "UTC"), ("us", "Europe/Paris"), ("ns", None)):
        cols[f"ts_{unit}"] = pa.array(
            [None if rng.random() < 0.2 else rng.randint(-(10**12), 10**12) for _ in range(n)],
            pa.timestamp(unit, tz),
        )
    cols["nul"] = pa.nulls(n)
    return pa.record_batch(list(cols.values()), names=list(cols))


# -- basic-transformer reference (examples/basic-transformer/README.md) -------------------------


def wrap64(v: int) -> int:
    return (v + 2**63) % 2**64 - 2**63


def ascii_lower(s: str | None) -> str | None:
    if s is None:
        return None
    return s.encode().translate(bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                                b"abcdefghijklmnopqrstuvwxyz")).decode()  # fmt: skip


def basic_transformer(batch: pa.RecordBatch, config: dict[str, Any]) -> pa.RecordBatch:
    lower = set(config.get("lowercase", []))
    arrays, names = [], []
    for name, col in zip(batch.schema.names, batch.columns, strict=True):
        if name in lower:
            col = pa.array([ascii_lower(x) for x in col.to_pylist()], col.type)
        arrays.append(col)
        names.append(name)
    for d in config.get("derive", []):
        src = batch.column(batch.schema.names.index(d["from"]))  # the first of that name
        m, a = d.get("multiply", 1), d.get("add", 0)
        if pa.types.is_integer(src.type):
            vals = [None if x is None else wrap64(wrap64(x) * m + a) for x in src.to_pylist()]
            arrays.append(pa.array(vals, pa.int64()))
        else:
            arrays.append(pa.array([None if x is None else float(x) * m + a for x in src.to_pylist()],
                                   pa.float64()))  # fmt: skip
        names.append(d["name"])
    return pa.record_batch(arrays, names=names)


# -- row-filter reference (examples/row-filter/README.md) ---------------------------------------

OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda x, v: x > v, ">=": lambda x, v: x >= v, "<": lambda x, v: x < v,
    "<=": lambda x, v: x <= v, "==": lambda x, v: x == v, "!=": lambda x, v: x != v,
}  # fmt: skip


def row_filter(batch: pa.RecordBatch, config: dict[str, Any]) -> pa.RecordBatch | None:
    """Kept and null rows in input order plus ``_dataflare_error``; None = status 1."""
    column, op, value = config["column"], config["op"], config["value"]
    rows, errors = [], []
    for i, x in enumerate(batch.column(column).to_pylist()):
        if x is None:
            rows.append(i)
            errors.append(f"{column} is null")
        elif OPS[op](x, value):
            rows.append(i)
            errors.append(None)
    if not rows:
        return None
    out = batch.take(pa.array(rows, pa.int64()))
    return out.append_column("_dataflare_error", pa.array(errors, pa.string()))


# -- the python template's record-level plugin (dataflare_provider/templates/python) -----------


def lowercase_records(batch: pa.RecordBatch, config: dict[str, Any]) -> pa.RecordBatch:
    """Rows with the listed fields ASCII-lowercased; a null listed field -> dead letter."""
    fields = config.get("lowercase", [])
    rows = batch.to_pylist()
    errors: list[str | None] = []
    for row in rows:
        bad = next((f for f in fields if row.get(f) is None), None)
        errors.append(None if bad is None else f"{bad} is null")
        if bad is None:
            for f in fields:
                row[f] = ascii_lower(row[f])
    out = pa.RecordBatch.from_pylist(rows, schema=batch.schema)
    return out.append_column("_dataflare_error", pa.array(errors, pa.string()))


def python_template_vectors() -> VectorSet:
    vs = VectorSet("lowercase-records", lowercase_records)
    batch = pa.record_batch({"name": ["Ada", "GRACE", None, "Émile ZOLA", ""], "n": [1, 2, 3, 4, 5],
                             "score": [0.5, 1.25, -2.0, 3.0, 0.0]})  # fmt: skip
    vs.case("lowercase", "lowercase one field, a null row to the dead letter", {"lowercase": ["name"]}, batch,
            [(0, 5), (1, 3)])  # fmt: skip
    vs.case("passthrough", "{} changes nothing", {}, batch)
    return vs


# -- vector sets --------------------------------------------------------------------------------


class VectorSet:
    """Collects cases, then writes ``cases.json`` and the IPC files of one plugin's vectors."""

    def __init__(self, plugin: str, reference: Callable[[pa.RecordBatch, dict[str, Any]], Any]):
        self.plugin = plugin
        self.reference = reference
        self.cases: list[dict[str, Any]] = []
        self.files: dict[str, list[pa.RecordBatch]] = {}
        self.inputs: dict[int, str] = {}  # id(batch) -> file: cases on one batch share its file

    def case(self, name: str, description: str, config: dict[str, Any], batch: pa.RecordBatch,
             slices: list[tuple[int, int]] | None = None) -> None:  # fmt: skip
        """A case whose every slice (offset, length) of ``batch`` produces the reference output."""
        slices = slices or [(0, batch.num_rows)]
        runs: list[dict[str, Any]] = []
        expected: list[pa.RecordBatch] = []
        for off, length in slices:
            out = self.reference(batch.slice(off, length), config)
            if out is None:
                runs.append({"slice": [off, length], "no_output": True})
            else:
                runs.append({"slice": [off, length], "expected": len(expected)})
                expected.append(out)
        case: dict[str, Any] = {"name": name, "description": description, "config": config,
                                "input": self._input(name, batch), "runs": runs}  # fmt: skip
        if expected:
            case["expected"] = f"{name}.expected.arrow"
            self.files[case["expected"]] = expected
        self.cases.append(case)

    def error_case(self, name: str, description: str, config: dict[str, Any], status: int,
                   contains: str | None = None, batch: pa.RecordBatch | None = None) -> None:  # fmt: skip
        """A case that fails: at init (no ``batch``) or processing ``batch``."""
        error: dict[str, Any] = {"status": status}
        if contains is not None:
            error["contains"] = contains
        case: dict[str, Any] = {"name": name, "description": description, "config": config}
        if batch is None:
            case["error"] = error
        else:
            case["input"] = self._input(name, batch)
            case["runs"] = [{"slice": [0, batch.num_rows], "error": error}]
        self.cases.append(case)

    def _input(self, name: str, batch: pa.RecordBatch) -> str:
        if id(batch) not in self.inputs:
            self.inputs[id(batch)] = f"{name}.input.arrow"
            self.files[self.inputs[id(batch)]] = [batch]
        return self.inputs[id(batch)]

    def write(self, out_dir: Path, names: list[str] | None = None) -> None:
        """Write every case (or the named ones) into a fresh ``out_dir``."""
        cases = [c for c in self.cases if names is None or c["name"] in names]
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        for c in cases:
            for key in ("input", "expected"):
                if key in c:
                    write_ipc(out_dir / c[key], self.files[c[key]])
        doc = {"format": FORMAT, "plugin": self.plugin, "cases": cases}
        (out_dir / "cases.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def write_ipc(path: Path, batches: list[pa.RecordBatch]) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batches[0].schema) as w:
        for b in batches:
            w.write_batch(b)


def basic_transformer_vectors() -> VectorSet:
    vs = VectorSet("basic-transformer", basic_transformer)
    mixed = mixed_batch(64, seed=1)
    vs.case("passthrough", "{} passes every column of every type through (zero-copy)", {}, mixed,
            [(0, 64), (3, 40), (13, 1), (0, 0)])  # fmt: skip
    vs.case("lowercase", "utf8 and large_utf8 columns lowercased in place, ASCII only", {"lowercase": ["s", "ls"]},
            mixed_batch(200, seed=2), [(0, 200), (3, 150), (5, 11), (8, 0)])  # fmt: skip
    vs.case("lowercase-repeated-name", "every column with a listed name is lowercased",
            {"lowercase": ["s"]},
            pa.record_batch([pa.array(["AB", None, "Cd"]), pa.array([1, 2, 3]), pa.array(["XY", "Z", None])],
                            names=["s", "n", "s"]))  # fmt: skip
    rng = random.Random(3)
    for t in NUMERIC_TYPES:
        batch = pa.record_batch({"x": numeric_values(t, 300, rng), "s": pa.array(words(300, rng))})
        if pa.types.is_integer(t):
            derive: list[dict[str, Any]] = [
                {"name": "y", "from": "x", "multiply": 3, "add": -7},
                {"name": "big", "from": "x", "multiply": 2**62 + 1, "add": 2**63 - 1},
                {"name": "neg", "from": "x", "multiply": -(2**63), "add": -1},
                {"name": "same", "from": "x"},
            ]
        else:
            derive = [
                {"name": "y", "from": "x", "multiply": 0.1, "add": 2.5},
                {"name": "z", "from": "x", "multiply": -3, "add": 1e300},
                {"name": "tiny", "from": "x", "multiply": 1e-310, "add": -0.0},
                {"name": "same", "from": "x"},
            ]
        vs.case(f"derive-{t}", f"derive from a {t} column (nulls give 0 under a null)",
                {"lowercase": ["s"], "derive": derive}, batch, [(0, 300), (3, 250), (7, 0), (1, 9)])  # fmt: skip
    vs.case("derive-wraps", "integer arithmetic wraps in 64-bit two's complement",
            {"derive": [{"name": "y", "from": "x", "multiply": 4, "add": 1}, {"name": "u", "from": "u", "add": 1}]},
            pa.record_batch({"x": pa.array([2**63 - 1, 2**62, 3, -(2**63)], pa.int64()),
                             "u": pa.array([2**64 - 1, 2**63, 0, None], pa.uint64())}))  # fmt: skip
    vs.case("derive-appended-names", "derived columns are appended in config order even if the name exists",
            {"derive": [{"name": "x", "from": "x", "multiply": 2}, {"name": "f", "from": "x", "add": 1},
                        {"name": "x", "from": "f", "multiply": -1}]},
            pa.record_batch({"x": pa.array([1, None, 3], pa.int16()), "f": pa.array([0.5, 1.5, None])}))  # fmt: skip
    vs.case("derive-first-of-name", "derive reads the first column of that name",
            {"derive": [{"name": "y", "from": "x", "add": 10}]},
            pa.record_batch([pa.array([1, 2], pa.int8()), pa.array([100.0, 200.0])], names=["x", "x"]))  # fmt: skip
    vs.case("empty-batch", "a batch with no rows", {"lowercase": ["s"], "derive": [{"name": "y", "from": "c_int32", "multiply": 2}]},
            mixed_batch(10, seed=4).slice(0, 0))  # fmt: skip
    vs.case("no-columns", "a batch with no columns still derives nothing and passes nothing", {},
            pa.record_batch([], names=[]))  # fmt: skip
    rng = random.Random(5)
    many = pa.record_batch({"x": numeric_values(pa.float64(), 5000, rng), "s": pa.array(words(5000, rng)),
                            "i": numeric_values(pa.uint32(), 5000, rng)})  # fmt: skip
    vs.case("several-batches", "one instance, batches of different sizes (arena reuse)",
            {"lowercase": ["s"], "derive": [{"name": "y", "from": "x", "multiply": 2}, {"name": "j", "from": "i", "add": -1}]},
            many, [(0, 5000), (17, 1), (0, 0), (100, 4000), (4999, 1), (1, 2000)])  # fmt: skip
    for i, cfg in enumerate([
        {"lowercase": "s"}, {"lowercase": [1]}, {"derive": {"name": "y"}}, {"derive": [{"from": "x"}]},
        {"derive": [{"name": "y"}]}, {"derive": [{"name": "y", "from": "x", "multiply": "2"}]},
        {"derive": [{"name": "y", "from": "x", "scale": 2}]}, {"derive": ["y"]}, {"uppercase": ["s"]},
        {"derive": [{"name": 1, "from": "x"}]}, {"derive": [{"name": "y", "from": "x", "add": None}]},
    ]):  # fmt: skip
        vs.error_case(f"bad-config-{i}", f"invalid config {json.dumps(cfg)} -> -2", cfg, -2)
    small = pa.record_batch({"x": pa.array([1, 2], pa.int32()), "f": pa.array([1.0, 2.0]),
                             "s": pa.array(["A", "B"])})  # fmt: skip
    for i, param in enumerate([{"multiply": 2.5}, {"add": 1.0}, {"multiply": 1e3}, {"add": 2**63}]):
        vs.error_case(f"int-param-{i}", f"integer source with non-integer {json.dumps(param)} -> -2",
                      {"derive": [{"name": "y", "from": "x", **param}]}, -2, "integer", small)  # fmt: skip
        vs.case(f"float-param-{i}", f"float source accepts {json.dumps(param)}",
                {"derive": [{"name": "y", "from": "f", **param}]}, small)  # fmt: skip
    for i, (cfg, needle) in enumerate([
        ({"lowercase": ["nope"]}, "nope"), ({"lowercase": ["x"]}, "x"),
        ({"derive": [{"name": "y", "from": "missing"}]}, "missing"),
        ({"derive": [{"name": "y", "from": "s"}]}, "s"),
    ]):  # fmt: skip
        vs.error_case(
            f"bad-schema-{i}",
            f"{json.dumps(cfg)} on an unsuitable batch -> -3",
            cfg,
            -3,
            needle,
            small,
        )
    return vs


def row_filter_vectors() -> VectorSet:
    vs = VectorSet("row-filter", row_filter)
    rng = random.Random(7)
    base = mixed_batch(120, seed=7)
    for t in NUMERIC_TYPES:
        batch = base.set_column(0, "amount", numeric_values(t, 120, rng))
        for op, value in ((">", 17), ("<=", -5), ("==", 0), ("!=", 2.5)):
            vs.case(f"filter-{t}-{OPS_NAMES[op]}-{value}", f"amount {op} {value} on {t}",
                    {"column": "amount", "op": op, "value": value}, batch, [(0, 120), (3, 100), (5, 1)])  # fmt: skip
    exact = [
        (pa.uint8(), [0, 1, 255], ">", -1), (pa.uint64(), [0, 2**63, 2**64 - 1], ">=", 2**63),
        (pa.int64(), [-(2**63), 0, 2**63 - 1], "<", 2**63), (pa.int32(), [2, 3, 1000, 1001], ">", 2.5),
        (pa.int32(), [999, 1000, 1001], ">=", 1e3), (pa.int64(), [2**53 + 1, 2**53], "==", 2**53 + 1),
        (pa.float32(), [0.1, 0.5], "==", 0.1), (pa.float64(), [float("inf"), 1.0, -float("inf")], ">", 0),
    ]  # fmt: skip
    for i, (t, values, op, value) in enumerate(exact):
        batch = pa.record_batch(
            {"x": pa.array([*values, None], t), "i": pa.array(range(len(values) + 1))}
        )
        vs.case(
            f"exact-{i}",
            f"x {op} {value} on {t} {values}",
            {"column": "x", "op": op, "value": value},
            batch,
        )
    vs.case("all-dropped", "no row kept, none null -> status 1", {"column": "x", "op": ">", "value": 100},
            pa.record_batch({"x": pa.array([1, 2, 3])}))  # fmt: skip
    for i, cfg in enumerate([{"column": "x", "op": "~", "value": 1}, {"column": "x", "op": ">"},
                             {"column": "x", "op": ">", "value": "1"}, {"column": "x", "op": ">", "value": 1, "z": 0}]):  # fmt: skip
        vs.error_case(f"bad-config-{i}", f"invalid config {json.dumps(cfg)} -> -2", cfg, -2)
    vs.error_case("bad-schema", "string column -> -3", {"column": "s", "op": ">", "value": 1}, -3, "s",
                  pa.record_batch({"s": pa.array(["a"])}))  # fmt: skip
    return vs


OPS_NAMES = {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "==": "eq", "!=": "ne"}

# The small set copied into every `dataflare plugin new` project (fixtures/).
TEMPLATE_CASES = ["passthrough", "lowercase", "derive-int32", "derive-double", "derive-wraps",
                  "empty-batch", "bad-config-0", "bad-config-5", "int-param-0", "bad-schema-0"]  # fmt: skip


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else HERE
    bt = basic_transformer_vectors()
    bt.write(out / "basic-transformer")
    row_filter_vectors().write(out / "row-filter")
    if len(argv) <= 1:
        bt.write(TEMPLATE_FIXTURES, TEMPLATE_CASES)
        python_template_vectors().write(PYTHON_TEMPLATE_FIXTURES)
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"wrote vectors to {out} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

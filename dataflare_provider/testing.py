"""Testing plugins: test vectors, batch comparison with readable diffs, and pytest fixtures.

A *vector set* is a directory with ``cases.json`` and Arrow IPC files (``docs/testing-plugins.md``):
each case gives a config, an input batch, the slices of it to process in order through one
instance, and for each slice the expected output batch (with any ``_dataflare_error`` column, as
the plugin returns it), "no output" (status 1) or an error status. :func:`run_vectors` runs a
plugin against it through the real runtime; outputs must equal the expected batches byte for byte
after normalisation (:func:`normalise`: schema, validity bits and value bytes with offsets and
slicing removed; the value slots under nulls count).

For pytest (registered as the ``dataflare`` pytest plugin)::

    def test_my_plugin(dataflare_instance):
        inst = dataflare_instance("build/my-plugin.wasm", {"lowercase": ["name"]})
        out = inst.process(batch).output
        assert_batches_equal(out, expected)

    def test_vectors(dataflare_vectors):
        dataflare_vectors("build/my-plugin.wasm", "fixtures")   # fails with a diff
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dataflare_provider.errors import (
    DataFlareError,
    PluginConfigError,
    PluginError,
    PluginSchemaError,
)
from dataflare_provider.runtime.loader import load_plugin
from dataflare_provider.runtime.plugin import split_dead_letter

VECTOR_FORMAT = "dataflare-vectors 1"
STATUS_OF: dict[type[DataFlareError], int] = {
    PluginConfigError: -2,
    PluginSchemaError: -3,
    PluginError: -1,
}
MAX_DIFF_ROWS = 8


# -- comparison -----------------------------------------------------------------------------------


def _bits(col: pa.Array, buf: pa.Buffer | None, valid_default: bool) -> bytes:
    """A bitmap (validity or bool values) of ``col`` re-packed from bit 0, trailing bits zero."""
    n = len(col)
    if buf is None:
        bits = np.full(n, valid_default, dtype=bool)
    else:
        raw = np.frombuffer(buf, dtype=np.uint8)
        bits = np.unpackbits(raw, bitorder="little")[col.offset : col.offset + n].astype(bool)
    return bytes(np.packbits(bits, bitorder="little"))


def _column_bytes(col: pa.Array) -> bytes:
    """Canonical bytes of one column: validity, then values (offsets rebased for var width)."""
    t, n, off = col.type, len(col), col.offset
    bufs = col.buffers()
    if pa.types.is_null(t):
        return n.to_bytes(8, "little")
    parts = [_bits(col, bufs[0], True) if col.null_count else _bits(col, None, True)]
    if pa.types.is_boolean(t):
        parts.append(_bits(col, bufs[1], False))
    elif t.num_buffers == 3:  # utf8, binary and their large forms
        width = 8 if pa.types.is_large_string(t) or pa.types.is_large_binary(t) else 4
        if n == 0:  # an empty column may have no offsets buffer at all
            parts += [bytes(width), b""]
        else:
            offsets = np.frombuffer(bufs[1], dtype=f"<i{width}")[off : off + n + 1]
            start, end = int(offsets[0]), int(offsets[-1])
            parts.append((offsets - start).astype(f"<i{width}").tobytes())
            parts.append(bytes(bufs[2])[start:end] if bufs[2] is not None else b"")
    else:
        width = t.bit_width // 8
        parts.append(bytes(bufs[1])[off * width : (off + n) * width] if bufs[1] else b"")
    return b"".join(len(p).to_bytes(8, "little") + p for p in parts)


def normalise(batch: pa.RecordBatch) -> bytes:
    """Canonical bytes of a batch: equal bytes = equal schema, rows, values, null slots.

    Offsets and slicing are removed (a sliced column and its copy normalise alike), bitmaps are
    repacked with zero trailing bits, var-width offsets start at 0; the value slots under nulls
    are compared as they are (the reference plugins specify them as 0).
    """
    head = json.dumps([[f.name, str(f.type)] for f in batch.schema] + [batch.num_rows])
    return head.encode() + b"".join(_column_bytes(c) for c in batch.columns)


def _pylist(col: pa.Array) -> list[Any]:
    """Python values; temporal columns as their integers (pyarrow's datetimes overflow)."""
    t = col.type
    if pa.types.is_timestamp(t) or pa.types.is_date64(t):
        return list(col.view(pa.int64()).to_pylist())
    if pa.types.is_date32(t):
        return list(col.view(pa.int32()).to_pylist())
    return list(col.to_pylist())


def _fmt(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def diff_batches(actual: pa.RecordBatch | None, expected: pa.RecordBatch | None) -> str:
    """A readable description of how ``actual`` differs from ``expected`` ('' when identical)."""
    if actual is None or expected is None:
        if actual is None and expected is None:
            return ""
        what = "no batch" if actual is None else f"a batch of {actual.num_rows} rows"
        want = "no batch" if expected is None else f"a batch of {expected.num_rows} rows"
        return f"got {what}, expected {want}"
    if normalise(actual) == normalise(expected):
        return ""
    lines: list[str] = []
    a_fields = [f"{f.name}: {f.type}" for f in actual.schema]
    e_fields = [f"{f.name}: {f.type}" for f in expected.schema]
    if a_fields != e_fields:
        lines.append("schema differs:")
        for i in range(max(len(a_fields), len(e_fields))):
            a = a_fields[i] if i < len(a_fields) else "(none)"
            e = e_fields[i] if i < len(e_fields) else "(none)"
            mark = "  " if a == e else "! "
            lines.append(f"  {mark}column {i}: got {a:<30} expected {e}")
        return "\n".join(lines)
    if actual.num_rows != expected.num_rows:
        lines.append(f"row count differs: got {actual.num_rows}, expected {expected.num_rows}")
    for i, name in enumerate(expected.schema.names):
        a_col, e_col = actual.column(i), expected.column(i)
        a_vals, e_vals = _pylist(a_col), _pylist(e_col)
        bad = [r for r in range(min(len(a_vals), len(e_vals))) if not _same(a_vals[r], e_vals[r])]
        if bad:
            lines.append(f"column {i} '{name}' ({e_col.type}): {len(bad)} row(s) differ")
            for r in bad[:MAX_DIFF_ROWS]:
                lines.append(f"    row {r}: got {_fmt(a_vals[r])}, expected {_fmt(e_vals[r])}")
            if len(bad) > MAX_DIFF_ROWS:
                lines.append(f"    ... {len(bad) - MAX_DIFF_ROWS} more")
        elif len(a_vals) == len(e_vals) and normalise(_one(a_col, name)) != normalise(
            _one(e_col, name)
        ):
            lines.append(
                f"column {i} '{name}' ({e_col.type}): same values, different bytes "
                "(e.g. the value slot under a null is not 0)"
            )
    return "\n".join(lines) or "batches differ in their IPC bytes"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # both NaN
    return bool(a == b and type(a) is type(b))


def _one(col: pa.Array, name: str) -> pa.RecordBatch:
    return pa.record_batch([col], names=[name])


def assert_batches_equal(actual: pa.RecordBatch | None, expected: pa.RecordBatch | None) -> None:
    """Fail with a readable diff unless the batches are identical after normalisation."""
    diff = diff_batches(actual, expected)
    if diff:
        raise AssertionError("batches differ:\n" + diff)


# -- vector sets ----------------------------------------------------------------------------------


@dataclass
class CaseResult:
    """The outcome of one vector case."""

    name: str
    ok: bool
    message: str = ""
    runs: int = 0

    def __str__(self) -> str:
        head = f"{'PASS' if self.ok else 'FAIL'} {self.name}"
        if self.ok:
            return head
        return head + "\n" + "\n".join("    " + line for line in self.message.splitlines())


@dataclass
class VectorReport:
    """Results of one vector set."""

    directory: Path
    plugin: str
    results: list[CaseResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        n_fail = len(self.failed)
        return f"{len(self.results) - n_fail} passed, {n_fail} failed"


def load_cases(directory: str | Path) -> dict[str, Any]:
    """The parsed ``cases.json`` of a vector set."""
    path = Path(directory) / "cases.json"
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(f"not a vector set: {path}: {exc}") from None
    if doc.get("format") != VECTOR_FORMAT:
        raise ValueError(f"{path}: format is {doc.get('format')!r}, expected {VECTOR_FORMAT!r}")
    return doc


def _read_ipc(path: Path) -> list[pa.RecordBatch]:
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_file(source)
        return [reader.get_batch(i) for i in range(reader.num_record_batches)]


def _status_of(exc: DataFlareError) -> int | None:
    for cls, status in STATUS_OF.items():
        if isinstance(exc, cls):
            return status
    return None


def _check_error(exc: DataFlareError | None, want: Mapping[str, Any], where: str) -> str:
    """'' if ``exc`` is the expected error, else what went wrong."""
    if exc is None:
        return f"{where}: expected status {want['status']}, but it succeeded"
    status = _status_of(exc)
    if status != want["status"]:
        return f"{where}: expected status {want['status']}, got {type(exc).__name__}: {exc.message}"
    needle = want.get("contains")
    if needle and needle not in exc.message:
        return f"{where}: the message should name {needle!r}: {exc.message}"
    return ""


def run_case(plugin: Any, case: Mapping[str, Any], directory: Path) -> CaseResult:
    """Run one case (a loaded plugin: :class:`Plugin` or ``ComponentPlugin``)."""
    name = case["name"]
    init_error: DataFlareError | None = None
    inst = None
    try:
        inst = plugin.instantiate(case.get("config", {}))
    except (PluginConfigError, PluginSchemaError, PluginError) as exc:
        init_error = exc
    if "error" in case:
        if inst is not None:
            inst.close()
        msg = _check_error(init_error, case["error"], "init")
        return CaseResult(name, not msg, msg)
    if init_error is not None:
        return CaseResult(name, False, f"init failed: {init_error.message}")
    assert inst is not None
    try:
        (batch,) = _read_ipc(directory / case["input"])
        expected = _read_ipc(directory / case["expected"]) if "expected" in case else []
        for i, run in enumerate(case["runs"]):
            off, length = run["slice"]
            where = f"run {i} (rows {off}..{off + length} of {case['input']})"
            err: DataFlareError | None = None
            result = None
            try:
                result = inst.process(batch.slice(off, length))
            except (PluginConfigError, PluginSchemaError, PluginError) as exc:
                err = exc
            if "error" in run:
                msg = _check_error(err, run["error"], where)
                if msg:
                    return CaseResult(name, False, msg, i)
                continue
            if err is not None:
                return CaseResult(name, False, f"{where}: {type(err).__name__}: {err.message}", i)
            assert result is not None
            if run.get("no_output"):
                want_out, want_dl = None, None
            else:
                want = split_dead_letter(expected[run["expected"]])
                want_out, want_dl = want.output, want.dead_letter
            for label, got, exp in (("output", result.output, want_out),
                                    ("dead letter", result.dead_letter, want_dl)):  # fmt: skip
                diff = diff_batches(got, exp)
                if diff:
                    return CaseResult(name, False, f"{where}: {label} differs:\n{diff}", i)
        return CaseResult(name, True, runs=len(case["runs"]))
    except DataFlareError as exc:  # traps, ABI violations
        return CaseResult(name, False, f"{type(exc).__name__}: {exc.message}")
    finally:
        inst.close()


def run_vectors(
    plugin: str | Path | Any, directory: str | Path, names: Sequence[str] | None = None
) -> VectorReport:
    """Run a plugin (path or loaded plugin) against every case (or the named ones) of a set."""
    directory = Path(directory)
    doc = load_cases(directory)
    loaded = load_plugin(plugin) if isinstance(plugin, str | Path) else plugin
    report = VectorReport(directory, doc.get("plugin", ""))
    for case in doc["cases"]:
        if names is None or case["name"] in names:
            report.results.append(run_case(loaded, case, directory))
    return report


def assert_vectors(plugin: str | Path | Any, directory: str | Path) -> VectorReport:
    """:func:`run_vectors`, failing with every failed case's diff."""
    report = run_vectors(plugin, directory)
    if not report.ok:
        details = "\n".join(str(r) for r in report.failed)
        raise AssertionError(f"{directory}: {report.summary()}\n{details}")
    return report


# -- pytest fixtures (entry point ``pytest11: dataflare``) -----------------------------------------
# Defined only where pytest is installed: the CLI (`dataflare plugin test`) imports this module too.

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is a dev dependency
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def dataflare_instance() -> Iterator[Callable[..., Any]]:
        """``dataflare_instance(path, config={})`` -> an initialised instance, closed after the test."""
        made: list[Any] = []
        loaded: dict[Path, Any] = {}

        def instantiate(path: str | Path, config: Mapping[str, Any] | None = None) -> Any:
            p = Path(path).resolve()
            if p not in loaded:
                loaded[p] = load_plugin(p)
            inst = loaded[p].instantiate(dict(config or {}))
            made.append(inst)
            return inst

        yield instantiate
        for inst in made:
            inst.close()

    @pytest.fixture
    def dataflare_vectors() -> Callable[[str | Path | Any, str | Path], VectorReport]:
        """``dataflare_vectors(plugin, directory)``: run a vector set, fail with readable diffs."""
        return assert_vectors

"""Helpers shared by the cases: running a kernel over batches and checking results agree."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyarrow as pa

from dataflare_provider.runtime import PluginInstance

Kernel = Callable[[pa.RecordBatch], pa.RecordBatch | None]


class ResultMismatch(AssertionError):
    """A peer and dataflare disagree: the timing would compare different work, so stop."""


def dataflare_kernel(inst: PluginInstance) -> Kernel:
    def run(b: pa.RecordBatch) -> pa.RecordBatch | None:
        return inst.process(b).output

    return run


def run_all(kernel: Kernel, batches: Sequence[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """``kernel`` over every batch; the non-empty outputs (kept, like a writer would hold them)."""
    out = []
    for b in batches:
        r = kernel(b)
        if r is not None:
            out.append(r)
    return out


def runner(kernel: Kernel, batches: Sequence[pa.RecordBatch]) -> Callable[[], object]:
    return lambda: run_all(kernel, batches)


def check_same(
    case: str, peer: str, expected: Sequence[pa.RecordBatch], got: Sequence[pa.RecordBatch]
) -> None:
    """Raise :class:`ResultMismatch` unless both outputs hold the same rows and columns."""
    if not expected and not got:
        return
    a = pa.Table.from_batches(list(expected)).combine_chunks()
    b = pa.Table.from_batches(list(got)).combine_chunks()
    if a.schema.names != b.schema.names:
        raise ResultMismatch(
            f"{case}: {peer} has columns {b.schema.names}, dataflare {a.schema.names}"
        )
    if a.num_rows != b.num_rows:
        raise ResultMismatch(f"{case}: {peer} has {b.num_rows} rows, dataflare {a.num_rows}")
    for name in a.schema.names:
        if not a.column(name).equals(b.column(name)):
            raise ResultMismatch(f"{case}: column {name!r} of {peer} differs from dataflare's")

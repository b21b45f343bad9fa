"""Sizes of every case, per mode (``--smoke`` for the test suite, ``--quick`` for CI, full)."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.plugins.build import LargeSpec


@dataclass(frozen=True)
class Sizes:
    mode: str
    rows: int = 1_000_000  # cases 1-3
    batch_rows: int = 65_536
    reps: int = 7  # interleaved rounds per ratio
    slow_reps: int = 3  # rounds for the Python-loop peers (10-100x slower), interleaved separately
    row_loop_filter: bool = False  # the filter's Python loop over row dicts (~4 s per round)
    load_reps: int = 5  # fresh processes per load figure (after one warm-up process)
    compile_reps: int = 2
    crossing_calls: int = 1_000  # calls per timed block
    crossing_reps: int = 5
    idle_instances: int = 100
    memory_reps: int = 3  # fresh processes per memory figure
    rss_batches: int = 10_000
    rss_batch_rows: int = 1_024
    parallel_rows: int = 2_097_152
    parallel_reps: int = 9
    sweep_batch_rows: tuple[int, ...] = (4_096, 65_536, 262_144)
    sweep_rows: int = 262_144
    sweep_reps: int = 5
    large: LargeSpec = field(default_factory=LargeSpec)
    component: str = "if-built"  # "always" (builds it, ~30 s the first time), "if-built", "never"


QUICK = Sizes("quick")
FULL = Sizes(
    "full",
    reps=15,
    slow_reps=7,
    row_loop_filter=True,
    load_reps=11,
    compile_reps=5,
    crossing_calls=2_000,
    crossing_reps=15,
    memory_reps=5,
    parallel_rows=4_194_304,
    parallel_reps=15,
    sweep_batch_rows=(256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576),
    sweep_rows=2_097_152,
    sweep_reps=7,
    component="always",
)
SMOKE = Sizes(
    "smoke",
    rows=20_000,
    batch_rows=4_096,
    reps=2,
    slow_reps=1,
    load_reps=1,
    compile_reps=1,
    crossing_calls=50,
    crossing_reps=2,
    idle_instances=5,
    memory_reps=1,
    rss_batches=50,
    rss_batch_rows=64,
    parallel_rows=16_384,
    parallel_reps=2,
    sweep_batch_rows=(1_024, 4_096),
    sweep_rows=8_192,
    sweep_reps=1,
    large=LargeSpec(funcs=8, ops=2, table_words=256),
    component="never",
)
MODES = {"quick": QUICK, "full": FULL, "smoke": SMOKE}

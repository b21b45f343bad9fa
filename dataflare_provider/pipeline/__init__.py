"""Source -> plugins -> sink over streams of record batches, with checkpoints and reports.

Everything the orchestrator layers do is available here from plain Python::

    from dataflare_provider.pipeline import resolve_step, run_transform
    step = resolve_step("dataflare/basic-transformer:^1.0", {"lowercase": ["name"]})
    report = run_transform([step], output="out.parquet", input="in.parquet")
"""

from dataflare_provider.pipeline.chain import DEAD_LETTER_SCHEMA
from dataflare_provider.pipeline.memory import TableResult, transform_batches, transform_table
from dataflare_provider.pipeline.report import RunReport
from dataflare_provider.pipeline.runner import Progress, TransformRun, run_transform
from dataflare_provider.pipeline.steps import Step, resolve_step

__all__ = [
    "DEAD_LETTER_SCHEMA",
    "Progress",
    "RunReport",
    "Step",
    "TableResult",
    "TransformRun",
    "resolve_step",
    "run_transform",
    "transform_batches",
    "transform_table",
]

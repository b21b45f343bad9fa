"""``dataflare run``: run one or more plugins over files, with a progress bar and a metrics table."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dataflare_provider.cli.app import app
from dataflare_provider.errors import DataFlareError
from dataflare_provider.pipeline import Progress as RunProgress
from dataflare_provider.pipeline import RunReport, resolve_step, run_transform
from dataflare_provider.runtime.limits import Limits

err = Console(stderr=True)


def _json_option(value: str | None, what: str) -> dict[str, Any]:
    if not value:
        return {}
    text = Path(value[1:]).read_text() if value.startswith("@") else value
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{what} must be a JSON object")
    return data


def metrics_table(report: RunReport) -> Table:
    table = Table(title="DataFlare run", show_lines=False)
    table.add_column("metric")
    for m in report.metrics:
        table.add_column(m.plugin, justify="right")
    rows = [m.table_rows() for m in report.metrics]
    names = [k for k, _ in rows[0]] if rows else []
    for i, name in enumerate(names):
        table.add_row(name, *(r[i][1] if i < len(r) else "" for r in rows))
    return table


@app.command("run")
def run(
    plugins: Annotated[
        list[str],
        typer.Argument(help="Plugin .wasm path(s) or registry reference(s), run in sequence"),
    ],
    input: Annotated[
        str | None, typer.Option("--input", "-i", help="Input file, directory, glob or URI")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Output file or directory/")] = ...,  # type: ignore[assignment]
    config: Annotated[
        list[str] | None,
        typer.Option("--config", "-c", help="Plugin config as JSON (or @file); once per plugin"),
    ] = None,
    dead_letter: Annotated[
        str | None, typer.Option("--dead-letter", help="Where rejected rows go")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per batch")] = 65_536,
    workers: Annotated[int, typer.Option(help="Worker threads (one instance each)")] = 1,
    max_error_rate: Annotated[
        float | None, typer.Option(help="Fail when more rows than this fraction are rejected")
    ] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per batch per plugin")] = None,
    memory_mb: Annotated[int | None, typer.Option(help="Linear memory cap per instance")] = None,
    fuel: Annotated[int | None, typer.Option(help="Fuel per call (off by default)")] = None,
    input_format: Annotated[str | None, typer.Option(help="parquet, csv or jsonl")] = None,
    output_format: Annotated[str | None, typer.Option(help="parquet, csv or jsonl")] = None,
    resume: Annotated[
        bool, typer.Option(help="Resume from committed parts of a failed run")
    ] = True,
    metrics_json: Annotated[
        Path | None, typer.Option("--metrics-json", help="Write the run summary here")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log lifecycle lines")] = False,
) -> None:
    """Run plugins over INPUT and write OUTPUT (Parquet, CSV or JSON Lines by extension)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    configs = [_json_option(c, f"--config #{i + 1}") for i, c in enumerate(config or [])]
    if len(configs) > len(plugins):
        raise typer.BadParameter("more --config options than plugins")
    limits = {
        k: v
        for k, v in {
            "timeout_s": timeout,
            "memory_bytes": memory_mb * 2**20 if memory_mb else None,
            "fuel": fuel,
        }.items()
        if v is not None
    }
    try:
        steps = [
            resolve_step(
                p,
                configs[i] if i < len(configs) else {},
                limits=Limits(**limits) if limits else None,
            )
            for i, p in enumerate(plugins)
        ]
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=None),
            TextColumn("{task.fields[rows]} rows, {task.fields[rate]} rows/s"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bar:
            task = bar.add_task("running", total=None, rows="0", rate="0")

            def on_progress(p: RunProgress) -> None:
                bar.update(task, rows=f"{p.rows_in:,}", rate=f"{p.rows_per_s:,.0f}")

            report = run_transform(
                steps, output, input, dead_letter=dead_letter, batch_size=batch_size,
                workers=workers, max_error_rate=max_error_rate, input_format=input_format,
                output_format=output_format, resume=resume, on_progress=on_progress,
                progress_interval_s=0.5,
            )  # fmt: skip
    except DataFlareError as exc:
        err.print(f"[red]error[/] ({exc.failure_class}): {exc}", highlight=False)
        raise typer.Exit(2 if exc.failure_class == "transient" else 1) from None
    out = Console()
    out.print(metrics_table(report))
    out.print(
        f"{report.rows_in:,} rows in, {report.rows_out:,} out, {report.rows_error:,} rejected "
        f"in {report.duration_s:.2f} s -> {report.output}",
        highlight=False,
    )
    if metrics_json:
        metrics_json.write_text(json.dumps(report.summary(), indent=2))

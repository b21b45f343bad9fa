"""What every DataFlare operator shares: resolve plugins through the hook, run the pipeline, map
failures onto retries, and report metrics (task log, XCom, Stats, asset events, OpenLineage).

The work itself is :class:`dataflare_provider.pipeline.TransformRun`; this layer only adapts it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from dataflare_provider.airflow.exceptions import airflow_exception_for, io_error
from dataflare_provider.airflow.hooks.dataflare import DataFlareHook
from dataflare_provider.airflow.lineage import operator_lineage
from dataflare_provider.airflow.reporting import (
    emit_failure_stats,
    emit_run_stats,
    record_outlet_events,
    stats_tags,
)
from dataflare_provider.errors import ConfigError, DataFlareError, ErrorRateExceeded
from dataflare_provider.io.readers import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS
from dataflare_provider.pipeline import RunReport, Step, TransformRun
from dataflare_provider.pipeline.runner import DEFAULT_COMMIT_EVERY
from dataflare_provider.runtime.limits import Limits

if TYPE_CHECKING:
    from airflow.sdk import Context

PluginSpec = str | Mapping[str, Any]


def normalize_limits(limits: Limits | Mapping[str, Any] | None) -> dict[str, Any]:
    """``Limits`` or a dict of its fields (``memory_mb`` accepted for ``memory_bytes``)."""
    if limits is None:
        return {}
    if isinstance(limits, Limits):
        return limits.model_dump(exclude_unset=True)
    if not isinstance(limits, Mapping):
        raise ConfigError(f"limits must be a mapping, got {type(limits).__name__}")
    out = dict(limits)
    if "memory_mb" in out:
        mb = out.pop("memory_mb")
        try:
            out["memory_bytes"] = None if mb is None else int(mb) * 2**20
        except (TypeError, ValueError):
            raise ConfigError(f"limits.memory_mb must be an integer, got {mb!r}") from None
    return out


class BaseWasmOperator(BaseOperator):
    """Base of the DataFlare operators (not used directly).

    :param output: output file (``.parquet``, ``.csv``, ``.jsonl``) or directory (trailing ``/`` or
        no extension); path, fsspec URI or ``ObjectStoragePath``. Written atomically. (templated)
    :param dead_letter: where rejected rows go (same forms as ``output``). (templated)
    :param batch_size: rows per batch (batches are also capped at ``max_batch_bytes``).
    :param max_batch_bytes: byte cap per batch (bounds every instance's memory).
    :param workers: threads, one plugin instance each (1 for stateful plugins and sources).
    :param limits: per-plugin sandbox limits ``{"timeout_s", "memory_mb" | "memory_bytes",
        "fuel"}``, over the connection's defaults and the plugin manifest's. (templated)
    :param max_error_rate: fail (keeping the dead letter) when more than this fraction of rows is
        rejected.
    :param lockfile: ``dataflare.lock`` pinning plugin digests (path on the worker). (templated)
    :param dataflare_conn_id: the ``dataflare`` connection (default ``dataflare_default``; the
        local registry when it is not defined).
    :param input_format, output_format: ``parquet``, ``csv`` or ``jsonl`` when the extension
        does not tell.
    :param storage_options: fsspec options for string URIs. (templated)
    :param retry_on_plugin_failure: retry guest traps, fuel or memory exhaustion (deterministic on
        the same input, so off by default).
    :param resume: a retry keeps the output ranges an earlier try committed (default True).
    :param commit_every: input batches per committed output range.
    :param progress_interval_s: seconds between progress lines in the task log.
    """

    template_fields: Sequence[str] = ("output_path", "dead_letter_path", "limits", "lockfile",
                                      "storage_options")  # fmt: skip
    template_fields_renderers = {"limits": "json", "storage_options": "json"}
    ui_color = "#f2e6ff"

    def __init__(
        self,
        *,
        output: Any,
        dead_letter: Any = None,
        batch_size: int = DEFAULT_BATCH_ROWS,
        max_batch_bytes: int = DEFAULT_BATCH_BYTES,
        workers: int = 1,
        limits: Limits | Mapping[str, Any] | None = None,
        max_error_rate: float | None = None,
        lockfile: str | None = None,
        dataflare_conn_id: str | None = DataFlareHook.default_conn_name,
        input_format: str | None = None,
        output_format: str | None = None,
        storage_options: dict[str, Any] | None = None,
        retry_on_plugin_failure: bool = False,
        resume: bool = True,
        commit_every: int = DEFAULT_COMMIT_EVERY,
        progress_interval_s: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # ``output``/``input`` are stored as ``output_path``/``input_path``: ``BaseOperator.output``
        # is the task's XComArg.
        self.output_path = output
        self.dead_letter_path = dead_letter
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes
        self.workers = workers
        self.limits = limits
        self.max_error_rate = max_error_rate
        self.lockfile = lockfile
        self.dataflare_conn_id = dataflare_conn_id
        self.input_format = input_format
        self.output_format = output_format
        self.storage_options = storage_options
        self.retry_on_plugin_failure = retry_on_plugin_failure
        self.resume = resume
        self.commit_every = commit_every
        self.progress_interval_s = progress_interval_s
        self._run: TransformRun | None = None
        self._report: RunReport | None = None
        self._killed = False

    # -- what subclasses say ----------------------------------------------------------------

    def plugin_specs(self) -> list[tuple[Any, dict[str, Any], dict[str, Any]]]:
        """(plugin reference or path, config, limits) of every step, in order."""
        raise NotImplementedError

    def input_target(self) -> Any:
        """The input location, or None for a pipeline that starts with a source plugin."""
        return None

    # -- the run ----------------------------------------------------------------------------

    @cached_property
    def hook(self) -> DataFlareHook:
        return DataFlareHook(self.dataflare_conn_id, lockfile=self.lockfile)

    @cached_property
    def run_logger(self) -> logging.Logger:
        """The stdlib logger the pipeline writes lifecycle, progress and summary lines to."""
        cls = type(self)
        return logging.getLogger(f"airflow.task.operators.{cls.__module__}.{cls.__name__}")

    def resolve_steps(self) -> list[Step]:
        """Pull, verify and load every plugin and validate its config (no data moves yet)."""
        steps = []
        for spec, config, limits in self.plugin_specs():
            self.run_logger.info("resolving plugin %s", spec)
            step = self.hook.resolve_step(spec, config, limits)
            where = f" ({step.digest})" if step.digest else ""
            version = f" {step.manifest.version}" if step.manifest else ""
            self.run_logger.info("plugin %s%s%s: config valid", step.name, version, where)
            steps.append(step)
        return steps

    def build_run(self, steps: Sequence[Step]) -> TransformRun:
        return TransformRun(
            steps,
            self.output_path,
            self.input_target(),
            dead_letter=self.dead_letter_path,
            input_format=self.input_format,
            output_format=self.output_format,
            batch_size=self.batch_size,
            max_batch_bytes=self.max_batch_bytes,
            workers=self.workers,
            max_error_rate=self.max_error_rate,
            resume=self.resume,
            commit_every=self.commit_every,
            storage_options=self.storage_options,
            logger=self.run_logger,
            progress_interval_s=self.progress_interval_s,
        )

    def execute(self, context: Context) -> dict[str, Any]:
        # The same operator object may run several tries in one process (``dag.test()``).
        self._run, self._report, self._killed = None, None, False
        ti = context.get("ti")
        tags = stats_tags(self.dag_id, self.task_id)
        try_number = getattr(ti, "try_number", None)
        prefix = f"{self.task_id}: "
        try:
            steps = self.resolve_steps()
            run = self.build_run(steps)
            self._run = run
            if self._killed:
                run.interrupt()
            self.run_logger.info(
                "running %s (try %s): %s -> %s", " -> ".join(s.name for s in steps),
                try_number, run.input.location if run.input else "source",
                run.output.location,
            )  # fmt: skip
            report = run.run()
        except DataFlareError as exc:
            self._log_failure(exc)
            emit_failure_stats(str(exc.failure_class), tags)
            raise airflow_exception_for(
                exc, retry_on_plugin_failure=self.retry_on_plugin_failure, prefix=prefix
            ) from exc
        except OSError as exc:
            self.run_logger.error("I/O error: %s", exc)
            emit_failure_stats("transient", tags)
            raise io_error(exc, prefix) from exc
        finally:
            hook = self.__dict__.pop("hook", None)  # a later try gets a fresh client
            if hook is not None:
                hook.close()
        self._report = report
        emit_run_stats(report, tags)
        outlet_events = context.get("outlet_events")
        if self.outlets and outlet_events is not None:
            n = record_outlet_events(self.outlets, outlet_events, report)
            self.run_logger.info("metrics attached to %d asset event(s)", n)
        return report.summary()

    def _log_failure(self, exc: DataFlareError) -> None:
        log = self.run_logger
        if isinstance(exc, ErrorRateExceeded):
            log.error("too many rejected rows: %s", exc)
        elif isinstance(exc, ConfigError):
            log.error("invalid configuration (no data was read): %s", exc)
        else:
            log.error("%s failure: %s", exc.failure_class, exc)
        retry = exc.retryable or (
            exc.failure_class == "deterministic" and self.retry_on_plugin_failure
        )
        if retry and self.resume and self._run is not None and self._run.resumable:
            log.info("a retry (if any is left) resumes from the output ranges committed so far")
        elif not retry:
            log.info("not retrying: a %s failure fails the same way again", exc.failure_class)

    def on_kill(self) -> None:
        """Interrupt the running plugins: running guest calls trap (epoch interruption)."""
        self._killed = True
        run = self._run
        if run is not None:
            self.run_logger.warning("on_kill: interrupting the DataFlare run")
            run.interrupt()

    # -- OpenLineage (used only when the openlineage provider is installed) -------------------

    def _lineage_uris(self) -> tuple[str | None, str] | None:
        run = self._run
        if run is None:
            return None
        return (run.input.location.uri if run.input else None), run.output.location.uri

    def get_openlineage_facets_on_start(self) -> Any:
        uris = self._lineage_uris()
        return operator_lineage(None, *uris) if uris else None

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        uris = self._lineage_uris()
        return operator_lineage(self._report, *uris) if uris else None


__all__ = ["BaseWasmOperator", "PluginSpec", "normalize_limits"]

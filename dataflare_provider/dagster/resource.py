"""``DataFlareResource``: registry settings, default limits and workers for WASM plugins.

Usable inside assets (``context.resources.dataflare`` or a ``dataflare: DataFlareResource``
parameter) and from plain Python alike::

    dataflare = DataFlareResource(workers=2)
    result = dataflare.transform_table("dataflare/basic-transformer:^1.0", table,
                                       config={"lowercase": ["name"]})
    report = dataflare.run("dataflare/row-filter:^1.0", input="in.parquet", output="out.parquet",
                           config={"column": "amount", "op": ">=", "value": 0})
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from dataflare_provider.dagster.plugins import PluginLike, PluginSpec, as_specs
from dataflare_provider.io.readers import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS
from dataflare_provider.pipeline import (
    RunReport,
    Step,
    TableResult,
    TransformRun,
    resolve_step,
    transform_table,
)
from dataflare_provider.pipeline.memory import ArrowData
from dataflare_provider.registry import PulledPlugin, RegistryClient, RegistrySettings
from dataflare_provider.runtime.limits import Limits


class LimitsConfig(dg.Config):
    """Default sandbox limits of every plugin instance; unset fields keep the manifest's."""

    timeout_s: float | None = Field(
        default=None, gt=0, description="Wall-clock limit of one guest call (one batch), seconds."
    )
    memory_mb: int | None = Field(
        default=None, gt=0, description="Cap on each instance's linear memory, MiB."
    )
    fuel: int | None = Field(
        default=None, gt=0, description="Fuel per guest call (roughly wasm instructions)."
    )

    def overrides(self) -> dict[str, Any]:
        """The set fields as ``runtime.limits.Limits`` keyword arguments."""
        out: dict[str, Any] = {}
        if self.timeout_s is not None:
            out["timeout_s"] = self.timeout_s
        if self.memory_mb is not None:
            out["memory_bytes"] = self.memory_mb * 2**20
        if self.fuel is not None:
            out["fuel"] = self.fuel
        return out


class DataFlareResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Pulls, verifies and runs DataFlare WebAssembly plugins.

    Unset registry fields fall back to the ``DATAFLARE_*`` environment variables (as in the CLI);
    with no registry at all, plugins come from the embedded local store
    (``$DATAFLARE_HOME/registry``).
    """

    registry: str | None = Field(
        default=None,
        description="OCI registry URL or host[:port]; unset = the embedded local store.",
    )
    namespace: str | None = Field(default=None, description="Namespace for bare plugin names.")
    username: str | None = Field(default=None, description="Registry user name.")
    password: str | None = Field(
        default=None, description="Registry password or token (use dagster.EnvVar)."
    )
    trust_policy_file: str | None = Field(
        default=None, description="Trust policy (TOML): trusted keys per namespace."
    )
    require_signatures: bool | None = Field(
        default=None, description="Refuse unsigned plugins (overrides the trust policy)."
    )
    lockfile: str | None = Field(default=None, description="dataflare.lock pinning digests.")
    lockfile_only: bool = Field(
        default=False, description="Refuse references that the lockfile does not pin."
    )
    local_dir: str | None = Field(
        default=None, description="Local store directory (default $DATAFLARE_HOME/registry)."
    )
    limits: LimitsConfig = Field(
        default_factory=LimitsConfig, description="Default limits of every plugin instance."
    )
    workers: int = Field(default=1, ge=1, description="Threads (one instance each) per run.")
    batch_size: int = Field(default=DEFAULT_BATCH_ROWS, ge=1, description="Rows per batch.")
    max_batch_bytes: int = Field(
        default=DEFAULT_BATCH_BYTES, ge=1, description="Bytes per batch (bounds guest memory)."
    )

    # -- registry ------------------------------------------------------------------------------

    def registry_settings(self) -> RegistrySettings:
        """The registry client settings: these fields over the ``DATAFLARE_*`` environment."""
        return RegistrySettings.from_env(
            registry=self.registry,
            namespace=self.namespace,
            username=self.username,
            password=self.password,
            trust_policy_file=Path(self.trust_policy_file) if self.trust_policy_file else None,
            require_signatures=self.require_signatures,
            lockfile=Path(self.lockfile) if self.lockfile else None,
            lockfile_only=self.lockfile_only or None,
            local_dir=Path(self.local_dir) if self.local_dir else None,
        )

    @contextmanager
    def registry_client(self) -> Iterator[RegistryClient]:
        """A :class:`RegistryClient` with these settings, closed on exit."""
        with RegistryClient(self.registry_settings()) as client:
            yield client

    def resolve(self, reference: str) -> str:
        """The manifest digest ``reference`` resolves to (lockfile first)."""
        with self.registry_client() as client:
            return client.resolve(reference)

    def pull(self, reference: str) -> PulledPlugin:
        """Resolve, fetch, verify and scan a plugin; returns it on local disk."""
        with self.registry_client() as client:
            return client.pull(reference)

    # -- steps ---------------------------------------------------------------------------------

    def _limits(self, spec_limits: Limits | Mapping[str, Any] | None) -> dict[str, Any] | None:
        merged = self.limits.overrides()
        if isinstance(spec_limits, Limits):
            merged.update(spec_limits.model_dump(exclude_unset=True))
        elif spec_limits:
            merged.update(spec_limits)
        return merged or None

    def steps(
        self, plugins: PluginLike | Sequence[PluginLike], config: Mapping[str, Any] | None = None
    ) -> list[Step]:
        """Load every plugin of a chain (pulled and verified, config validated)."""
        specs = as_specs(plugins, config)
        if all(isinstance(spec, Step) for spec in specs):
            return [spec for spec in specs if isinstance(spec, Step)]
        with self.registry_client() as client:
            return [
                spec
                if isinstance(spec, Step)
                else resolve_step(
                    spec.label, spec.config, limits=self._limits(spec.limits), registry=client
                )
                for spec in specs
            ]

    # -- running -------------------------------------------------------------------------------

    def transform_table(
        self,
        plugins: PluginLike | Sequence[PluginLike],
        data: ArrowData,
        *,
        config: Mapping[str, Any] | None = None,
        max_error_rate: float | None = None,
        logger: logging.Logger | None = None,
        batch_size: int | None = None,
    ) -> TableResult:
        """Run one plugin or a chain over a ``Table``, a ``RecordBatchReader`` or batches, in
        memory; returns the output and dead-letter tables and the report."""
        steps = self.steps(plugins, config)
        return transform_table(
            steps, data, batch_size=batch_size or self.batch_size,
            max_batch_bytes=self.max_batch_bytes,
            workers=self.workers, max_error_rate=max_error_rate, logger=logger,
        )  # fmt: skip

    def run(
        self,
        plugins: PluginLike | Sequence[PluginLike],
        *,
        output: Any,
        input: Any = None,
        dead_letter: Any = None,
        config: Mapping[str, Any] | None = None,
        max_error_rate: float | None = None,
        resume: bool = True,
        logger: logging.Logger | None = None,
        **options: Any,
    ) -> RunReport:
        """Run plugins from files to files (``pipeline.TransformRun``): staged, atomic output;
        a retry of the same run resumes after the last committed range of input batches.

        ``options`` go to ``TransformRun`` (``input_format``, ``commit_every``,
        ``storage_options``, ``batch_size``, ...).
        """
        steps = self.steps(plugins, config)
        kwargs: dict[str, Any] = {
            "batch_size": self.batch_size,
            "max_batch_bytes": self.max_batch_bytes,
            "workers": self.workers,
            **{k: v for k, v in options.items() if v is not None},
        }
        return TransformRun(
            steps, output, input, dead_letter=dead_letter, max_error_rate=max_error_rate,
            resume=resume, logger=logger, **kwargs,
        ).run()  # fmt: skip


__all__ = ["DataFlareResource", "LimitsConfig", "PluginSpec"]

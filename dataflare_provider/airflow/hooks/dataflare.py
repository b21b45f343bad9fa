"""``DataFlareHook``: the plugin registry client and default limits of a ``dataflare`` connection.

Connection fields (``airflow connections add dataflare_default --conn-type dataflare ...``):

- ``host`` (+ ``port``): registry URL or ``host[:port]``; empty = the embedded local registry
  (``$DATAFLARE_HOME/registry``)
- ``login`` / ``password``: registry credentials (Basic, or exchanged for a Bearer token)
- extra: ``namespace``, ``require_signatures``, ``trusted_keys`` ({namespace pattern: PEM text or
  path}), ``trust_policy`` (TOML text), ``trust_policy_file``, ``lockfile``, ``lockfile_only``,
  ``insecure``, and default limits ``timeout_s``, ``memory_mb``, ``fuel``

Without a connection named ``dataflare_default`` the hook falls back to
``RegistrySettings.from_env()`` (``DATAFLARE_REGISTRY``..., by default the local registry), so DAGs
run on a fresh machine with no setup.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException
from pydantic import ValidationError

from dataflare_provider.airflow.exceptions import DataFlarePermanentError
from dataflare_provider.errors import ConfigError, DataFlareError, FailureClass
from dataflare_provider.pipeline import Step, resolve_step
from dataflare_provider.registry import RegistryClient, RegistrySettings, TrustPolicy
from dataflare_provider.registry.trust import TrustRule
from dataflare_provider.runtime.limits import Limits

if TYPE_CHECKING:
    from airflow.sdk import Connection

_TRUE = ("1", "true", "yes", "on", "y", "t")


def _as_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def _as_number(value: Any, kind: type[int] | type[float], field: str) -> int | float | None:
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"connection field {field} must be a number", value=value) from None


class DataFlareHook(BaseHook):
    """Registry client and runtime defaults from a ``dataflare`` connection.

    :param dataflare_conn_id: the connection; when it is the default (``dataflare_default``) and
        not defined, the local registry (or the ``DATAFLARE_*`` environment) is used.
    :param lockfile: a lockfile that overrides the connection's (path on the worker).
    """

    conn_name_attr = "dataflare_conn_id"
    default_conn_name = "dataflare_default"
    conn_type = "dataflare"
    hook_name = "DataFlare plugin registry"

    def __init__(
        self, dataflare_conn_id: str | None = default_conn_name, *, lockfile: str | None = None
    ) -> None:
        super().__init__()
        self.dataflare_conn_id = dataflare_conn_id
        self.lockfile = lockfile

    # -- connection -> settings -------------------------------------------------------------

    @cached_property
    def connection(self) -> Connection | None:
        """The Airflow connection, or None when falling back to the environment."""
        if not self.dataflare_conn_id:
            return None
        try:
            return self.get_connection(self.dataflare_conn_id)
        except AirflowNotFoundException:
            if self.dataflare_conn_id != self.default_conn_name:
                raise DataFlarePermanentError(
                    f"connection {self.dataflare_conn_id!r} is not defined",
                    failure_class=FailureClass.PERMANENT,
                    context={"conn_id": self.dataflare_conn_id},
                ) from None
            self.log.info(
                "no connection %r: using the local registry / DATAFLARE_* environment",
                self.dataflare_conn_id,
            )
            return None

    @cached_property
    def extras(self) -> dict[str, Any]:
        conn = self.connection
        return dict(conn.extra_dejson) if conn is not None else {}

    def registry_settings(self) -> RegistrySettings:
        """:class:`RegistrySettings` built from the connection (or the environment)."""
        conn = self.connection
        if conn is None:
            return RegistrySettings.from_env(lockfile=self.lockfile)
        ex = self.extras
        registry = None
        if conn.host:
            registry = conn.host.rstrip("/")
            if conn.port:
                registry = f"{registry}:{conn.port}"
        data: dict[str, Any] = {
            "registry": registry,
            "namespace": ex.get("namespace") or None,
            "username": conn.login or None,
            "password": conn.password or None,
            "insecure": _as_bool(ex.get("insecure")),
            "trust_policy": self._trust_policy(ex),
            "trust_policy_file": ex.get("trust_policy_file") or None,
            "require_signatures": _as_bool(ex.get("require_signatures")),
            "lockfile": self.lockfile or ex.get("lockfile") or None,
            "lockfile_only": bool(_as_bool(ex.get("lockfile_only"))),
        }
        try:
            return RegistrySettings.model_validate({k: v for k, v in data.items() if v is not None})
        except ValidationError as exc:
            raise ConfigError(
                f"connection {self.dataflare_conn_id!r} has invalid fields: {exc}"
            ) from None

    @staticmethod
    def _trust_policy(ex: Mapping[str, Any]) -> TrustPolicy | None:
        text, keys = ex.get("trust_policy"), ex.get("trusted_keys")
        if not text and not keys:
            return None
        policy = TrustPolicy()
        if text:
            try:
                policy = TrustPolicy.model_validate(tomllib.loads(text))
            except (tomllib.TOMLDecodeError, ValueError) as exc:
                raise ConfigError(
                    f"connection field trust_policy is not a valid policy: {exc}"
                ) from None
        if keys:
            if not isinstance(keys, Mapping):
                raise ConfigError("connection field trusted_keys must map namespaces to keys")
            rules = [TrustRule(namespaces=[str(ns)], key=str(k)) for ns, k in keys.items()]
            policy = policy.model_copy(update={"trust": [*policy.trust, *rules]})
        return policy

    def default_limits(self) -> dict[str, Any]:
        """Limits set on the connection (``timeout_s``, ``memory_mb``, ``fuel``); may be empty."""
        ex = self.extras
        memory_mb = _as_number(ex.get("memory_mb"), int, "memory_mb")
        limits = {
            "timeout_s": _as_number(ex.get("timeout_s"), float, "timeout_s"),
            "memory_bytes": int(memory_mb) * 2**20 if memory_mb else None,
            "fuel": _as_number(ex.get("fuel"), int, "fuel"),
        }
        return {k: v for k, v in limits.items() if v is not None}

    # -- clients ----------------------------------------------------------------------------

    @cached_property
    def client(self) -> RegistryClient:
        """The registry client (cached)."""
        return RegistryClient(self.registry_settings())

    def get_conn(self) -> RegistryClient:
        """The registry client (cached)."""
        return self.client

    def limits_for(self, limits: Limits | Mapping[str, Any] | None = None) -> Limits | None:
        """Connection defaults overridden by ``limits`` (both override the plugin's manifest)."""
        override: dict[str, Any] = (
            limits.model_dump(exclude_unset=True)
            if isinstance(limits, Limits)
            else dict(limits or {})
        )
        merged = {**self.default_limits(), **override}
        try:
            return Limits.model_validate(merged) if merged else None
        except ValidationError as exc:
            raise ConfigError(f"invalid limits {merged}: {exc}") from None

    def resolve_step(
        self,
        plugin: str | Path,
        config: Mapping[str, Any] | None = None,
        limits: Limits | Mapping[str, Any] | None = None,
    ) -> Step:
        """Pull, verify and load ``plugin`` and validate ``config`` against its schema."""
        return resolve_step(plugin, config, limits=self.limits_for(limits), registry=self.client)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()

    # -- connection test --------------------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """Check that the registry answers (and that the trust policy and lockfile load)."""
        try:
            client = self.client
            if client.settings.lockfile or client.settings.lockfile_only:
                client.lockfile()
            if client.default_registry:
                backend = client.backend(client.default_registry)
                backend.client.ping()  # type: ignore[attr-defined]
                message = f"registry {client.default_registry} answers"
            else:
                plugins = len(client.list_plugins())
                message = f"local registry {client.store.root} ({plugins} plugins)"
        except DataFlareError as exc:
            return False, f"{exc.failure_class} failure: {exc}"
        return True, message

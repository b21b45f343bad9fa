"""``DataFlareHook``: connection -> registry settings and limits, fallback, test_connection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dataflare_provider.registry.errors import UnsignedPluginError

pytestmark = pytest.mark.airflow


def _conn(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: object) -> None:
    """An Airflow connection from the environment (``AIRFLOW_CONN_<ID>``, JSON form)."""
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "dataflare", **fields})
    )


def test_no_connection_uses_local_registry(published_examples: dict[str, str]) -> None:
    from dataflare_provider.airflow.hooks.dataflare import DataFlareHook

    hook = DataFlareHook()
    assert hook.connection is None
    assert hook.registry_settings().registry is None
    ok, message = hook.test_connection()
    assert ok, message
    assert "local registry" in message and "(3 plugins)" in message
    step = hook.resolve_step(
        published_examples["row-filter"], {"column": "a", "op": ">", "value": 1}
    )
    assert step.manifest is not None and step.manifest.name == "row-filter"


def test_connection_fields(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from dataflare_provider.airflow.hooks.dataflare import DataFlareHook

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    _conn(
        monkeypatch, "df_remote", host="127.0.0.1", port=1, login="robot", password="s3cret",
        extra={"namespace": "acme", "require_signatures": "true", "trusted_keys": {"acme/*": pem},
               "memory_mb": 32, "timeout_s": "5", "fuel": 1000,
               "lockfile": str(tmp_path / "dataflare.lock")},
    )  # fmt: skip
    hook = DataFlareHook("df_remote")
    s = hook.registry_settings()
    assert (s.registry, s.namespace, s.username) == ("127.0.0.1:1", "acme", "robot")
    assert s.password is not None and s.password.get_secret_value() == "s3cret"
    assert s.require_signatures is True
    assert s.trust_policy is not None and s.trust_policy.trust[0].namespaces == ["acme/*"]
    assert s.lockfile == tmp_path / "dataflare.lock"
    assert hook.default_limits() == {"timeout_s": 5.0, "memory_bytes": 32 * 2**20, "fuel": 1000}
    limits = hook.limits_for({"fuel": 5})
    assert limits is not None and limits.model_dump(exclude_unset=True) == {
        "timeout_s": 5.0, "memory_bytes": 32 * 2**20, "fuel": 5,
    }  # fmt: skip
    ok, message = hook.test_connection()  # nothing listens on port 1
    assert not ok and message.startswith("transient failure") and "127.0.0.1:1" in message


def test_connection_limits_reach_the_plugin(
    monkeypatch: pytest.MonkeyPatch, published_examples: dict[str, str]
) -> None:
    from dataflare_provider.airflow.hooks.dataflare import DataFlareHook

    _conn(monkeypatch, "df_limits", extra={"memory_mb": 16, "timeout_s": 7})
    hook = DataFlareHook("df_limits")
    step = hook.resolve_step(published_examples["basic-transformer"], {}, {"timeout_s": 3})
    assert step.plugin.limits.memory_bytes == 16 * 2**20  # connection over the manifest's 64 MiB
    assert step.plugin.limits.timeout_s == 3  # the task's over the connection's


def test_require_signatures_refuses_unsigned(
    monkeypatch: pytest.MonkeyPatch, published_examples: dict[str, str]
) -> None:
    from dataflare_provider.airflow.exceptions import DataFlarePermanentError, airflow_exception_for
    from dataflare_provider.airflow.hooks.dataflare import DataFlareHook

    _conn(monkeypatch, "df_signed", extra={"require_signatures": True})
    with pytest.raises(UnsignedPluginError) as err:
        DataFlareHook("df_signed").resolve_step(published_examples["row-filter"])
    assert isinstance(airflow_exception_for(err.value), DataFlarePermanentError)


def test_undefined_named_connection_is_permanent() -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from dataflare_provider.airflow.hooks.dataflare import DataFlareHook

    with pytest.raises(AirflowFailException, match="'nope' is not defined"):
        DataFlareHook("nope").registry_settings()


def test_bad_limits_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataflare_provider.airflow.hooks.dataflare import DataFlareHook
    from dataflare_provider.airflow.operators.base import normalize_limits
    from dataflare_provider.errors import ConfigError

    with pytest.raises(ConfigError):
        DataFlareHook().limits_for({"fuel": -1})
    with pytest.raises(ConfigError):
        normalize_limits({"memory_mb": "lots"})
    _conn(monkeypatch, "df_bad", extra={"memory_mb": "lots"})
    with pytest.raises(ConfigError):
        DataFlareHook("df_bad").default_limits()

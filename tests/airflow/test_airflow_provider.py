"""Provider registration: the entry point, Airflow's schema, the providers manager and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.airflow

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def test_provider_info_matches_airflow_schema() -> None:
    import airflow
    import jsonschema

    from dataflare_provider.airflow.provider_info import get_provider_info

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    assert info["package-name"] == "dataflare-provider"
    (conn,) = info["connection-types"]
    assert conn["connection-type"] == "dataflare"
    assert {
        "namespace",
        "trusted_keys",
        "require_signatures",
        "timeout_s",
        "memory_mb",
        "fuel",
    } <= set(conn["conn-fields"])


def test_providers_manager_knows_the_connection_type() -> None:
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    pm = ProvidersManager()
    assert "dataflare-provider" in pm.providers
    hook = ProvidersManagerTaskRuntime().hooks["dataflare"]
    assert hook is not None
    assert hook.hook_class_name == "dataflare_provider.airflow.hooks.dataflare.DataFlareHook"
    assert hook.connection_id_attribute_name == "dataflare_conn_id"
    assert hook.connection_testable  # test_connection() is offered in the UI
    widgets = pm.connection_form_widgets
    assert "extra__dataflare__trusted_keys" in widgets
    assert "extra__dataflare__memory_mb" in widgets
    behaviour = pm.field_behaviours["dataflare"]
    assert "schema" in behaviour["hidden_fields"]
    assert behaviour["relabeling"]["host"].startswith("Registry URL")


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [AIRFLOW, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_airflow_cli_lists_provider_and_hook(airflow_home: Path) -> None:
    """``airflow providers list`` / ``providers hooks`` in a subprocess with the test home."""
    env = {**os.environ, "AIRFLOW_HOME": str(airflow_home)}
    procs = {
        "list": _cli("providers", "list", "-o", "json", env=env),
        "hooks": _cli("providers", "hooks", "-o", "json", env=env),
    }
    out: dict[str, Any] = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr
        out[name] = json.loads(stdout[stdout.index("[") :])
    providers = {p["package_name"]: p for p in out["list"]}
    assert providers["dataflare-provider"]["version"] == "0.1.0"
    hooks = {h["connection_type"]: h for h in out["hooks"]}
    assert hooks["dataflare"]["class"] == "dataflare_provider.airflow.hooks.dataflare.DataFlareHook"
    assert hooks["dataflare"]["package_name"] == "dataflare-provider"
    assert hooks["dataflare"]["conn_id_attribute_name"] == "dataflare_conn_id"

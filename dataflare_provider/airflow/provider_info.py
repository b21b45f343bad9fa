"""Provider metadata for Airflow's ``apache_airflow_provider`` entry point.

Airflow reads this without importing hooks or operators: it lists the provider, its connection type
(with the connection form's fields, stored in ``Connection.extra``) and its modules.
"""

from __future__ import annotations

from typing import Any

HOOK_CLASS = "dataflare_provider.airflow.hooks.dataflare.DataFlareHook"
CONN_TYPE = "dataflare"


def _field(label: str, type_: str | list[str], description: str, **schema: Any) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": type_, **schema}}


CONN_FIELDS: dict[str, dict[str, Any]] = {
    "namespace": _field(
        "Default namespace", ["string", "null"], "Namespace for bare plugin names (json-flatten)"
    ),
    "require_signatures": _field(
        "Require signatures",
        ["boolean", "null"],
        "Refuse unsigned plugins (overrides the trust policy's setting)",
    ),
    "trusted_keys": _field(
        "Trusted public keys",
        ["object", "null"],
        'Namespace pattern -> PEM public key (text or path), e.g. {"dataflare": "-----BEGIN ..."}',
        format="json",
    ),
    "trust_policy": _field(
        "Trust policy (TOML)",
        ["string", "null"],
        "A trust policy as TOML text (require_signatures, [[trust]] namespaces + key)",
        format="multiline",
    ),
    "trust_policy_file": _field(
        "Trust policy file", ["string", "null"], "Path of a trust policy TOML file on the workers"
    ),
    "lockfile": _field(
        "Lockfile", ["string", "null"], "Path of a dataflare.lock pinning plugin digests"
    ),
    "lockfile_only": _field(
        "Lockfile only",
        ["boolean", "null"],
        "Refuse references that the lockfile does not pin",
        default=False,
    ),
    "insecure": _field(
        "Plain HTTP",
        ["boolean", "null"],
        "Talk plain http to the registry (default: loopback only)",
    ),
    "timeout_s": _field(
        "Default timeout per batch (s)",
        ["number", "null"],
        "Wall-clock limit of one guest call (one batch)",
        minimum=0,
    ),
    "memory_mb": _field(
        "Default memory limit (MiB)", ["integer", "null"], "Cap on guest linear memory", minimum=1
    ),
    "fuel": _field(
        "Default fuel per call",
        ["integer", "null"],
        "Instructions per guest call; empty = unmetered",
        minimum=1,
    ),
}


def get_provider_info() -> dict[str, Any]:
    """What ``airflow providers list`` and the connection form know about this provider."""
    return {
        "package-name": "dataflare-provider",
        "name": "DataFlare",
        "description": "Sandboxed WebAssembly data plugins over Apache Arrow record batches.",
        "integrations": [
            {
                "integration-name": "DataFlare",
                "tags": ["software"],
            }
        ],
        "operators": [
            {
                "integration-name": "DataFlare",
                "python-modules": [
                    "dataflare_provider.airflow.operators.transform",
                    "dataflare_provider.airflow.operators.source",
                ],
            }
        ],
        "hooks": [
            {
                "integration-name": "DataFlare",
                "python-modules": ["dataflare_provider.airflow.hooks.dataflare"],
            }
        ],
        "connection-types": [
            {
                "hook-class-name": HOOK_CLASS,
                "hook-name": "DataFlare plugin registry",
                "connection-type": CONN_TYPE,
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "extra"],
                    "relabeling": {
                        "host": "Registry URL (empty: the local registry)",
                        "login": "Username",
                        "password": "Password / token",
                    },
                    "placeholders": {
                        "host": "https://registry.example.com or 127.0.0.1:5000",
                        "login": "robot$dataflare",
                    },
                },
            }
        ],
    }

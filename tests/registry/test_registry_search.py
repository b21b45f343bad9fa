"""Search and categories over the local store and a remote catalog (cached)."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_servers import RegistryServer
from registry_wasm import write_plugin

from dataflare_provider.registry import RegistryClient, RegistrySettings
from dataflare_provider.registry.errors import RegistryUnavailableError


def _publish_set(client: RegistryClient, tmp: Path, registry: str | None = None) -> None:
    for name, kind, extra in [
        ("json-flatten", "processor", 'keywords = ["json", "flatten", "nested"]'),
        ("csv-read", "source", 'keywords = ["csv", "decode"]'),
        ("jsonl-write", "sink", 'keywords = ["json", "lines", "encode"]'),
    ]:
        wasm, toml = write_plugin(tmp / name, name, "1.0.0", kind=kind)
        text = toml.read_text().replace('keywords = ["test", "' + name + '"]', extra)
        toml.write_text(text)
        client.publish(wasm, toml, registry=registry)


def names(found: list[object]) -> list[str]:
    return sorted(s.repository for s in found)  # type: ignore[attr-defined]


def test_local_search(tmp_path: Path) -> None:
    client = RegistryClient()
    assert client.search("anything") == []
    _publish_set(client, tmp_path)
    assert names(client.search("json")) == ["dataflare/json-flatten", "dataflare/jsonl-write"]
    assert names(client.search("json", kind="sink")) == ["dataflare/jsonl-write"]
    assert names(client.search(category="processors/transform")) == ["dataflare/json-flatten"]
    assert names(client.search(category="sources")) == ["dataflare/csv-read"]
    assert names(client.search("json nested")) == ["dataflare/json-flatten"]
    assert client.search("xml") == []
    client.pull("dataflare/csv-read:1.0.0")
    client.pull("dataflare/csv-read:1.0.0")
    [csv] = client.search("csv")
    assert csv.downloads == 2 and csv.latest == "1.0.0" and csv.kind == "source"
    assert len(client.list_plugins()) == 3


def test_remote_catalog_search_is_cached(tmp_path: Path, fresh_registry: RegistryServer) -> None:
    client = RegistryClient(RegistrySettings(registry=fresh_registry.url))
    _publish_set(client, tmp_path)
    found = client.search("json", registry=fresh_registry.url)
    assert names(found) == ["dataflare/json-flatten", "dataflare/jsonl-write"]
    assert all(s.registry == fresh_registry.name for s in found)
    fresh_registry.stop()
    # served from the catalog cache while the registry is down
    assert names(client.search(kind="source", registry=fresh_registry.url)) == [
        "dataflare/csv-read"
    ]
    fresh = RegistryClient(RegistrySettings(registry=fresh_registry.url, retries=1))
    with pytest.raises(RegistryUnavailableError):
        fresh.search("json", registry=fresh_registry.url, refresh=True)

"""Interop with skopeo: registry -> oci: layout -> registry keeps digests, and skopeo reads and
writes the local store's layout."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from registry_servers import RegistryServer
from registry_wasm import write_plugin

from dataflare_provider.registry import RegistryClient, RegistrySettings

pytestmark = pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo not installed")


def skopeo(*args: str) -> None:
    proc = subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_registry_to_oci_layout_and_back(tmp_path: Path, registry: RegistryServer) -> None:
    client = RegistryClient(RegistrySettings(registry=registry.url))
    wasm, toml = write_plugin(tmp_path / "src", "skopeo-rt", "1.0.0")
    published = client.publish(wasm, toml)
    layout = tmp_path / "oci"
    skopeo("copy", f"docker://{registry.name}/dataflare/skopeo-rt:1.0.0", f"oci:{layout}:1.0.0",
           "--src-tls-verify=false")
    [entry] = json.loads((layout / "index.json").read_text())["manifests"]
    assert entry["digest"] == published.digest
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == "1.0.0"
    skopeo("copy", f"oci:{layout}:1.0.0", f"docker://{registry.name}/dataflare/skopeo-back:1.0.0",
           "--dest-tls-verify=false")
    assert client.resolve("dataflare/skopeo-back:1.0.0") == published.digest
    pulled = client.pull("dataflare/skopeo-back:^1")
    assert pulled.wasm_digest == client.pull("dataflare/skopeo-rt:1.0.0").wasm_digest


def test_skopeo_reads_and_writes_the_local_store(tmp_path: Path, registry: RegistryServer) -> None:
    local = RegistryClient()
    wasm, toml = write_plugin(tmp_path / "src", "store-interop", "2.0.0")
    published = local.publish(wasm, toml)
    store = local.store.root
    skopeo("copy", f"oci:{store}:dataflare/store-interop:2.0.0",
           f"docker://{registry.name}/dataflare/store-interop:2.0.0", "--dest-tls-verify=false")
    remote = RegistryClient(RegistrySettings(registry=registry.url))
    assert remote.resolve("dataflare/store-interop:2.0.0") == published.digest
    # and back into the store under another name: the store reads what skopeo wrote
    skopeo("copy", f"docker://{registry.name}/dataflare/store-interop:2.0.0",
           f"oci:{store}:dataflare/store-copy:2.0.0", "--src-tls-verify=false")
    assert local.pull("dataflare/store-copy:^2").digest == published.digest

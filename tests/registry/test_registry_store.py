"""The local OCI-layout store: layout, atomic transactions, concurrent writers, statistics."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from registry_wasm import write_plugin

from dataflare_provider.registry import RegistryClient, RegistrySettings
from dataflare_provider.registry.errors import DigestMismatchError, VersionExistsError
from dataflare_provider.registry.local_store import LocalStore
from dataflare_provider.registry.oci import ANN_REF_NAME, sha256_digest
from dataflare_provider.settings import local_registry_dir


def _worker(args: tuple[str, str, int, int]) -> list[str]:
    """Publish ``n`` versions of plugin ``w{index}`` and pull each twice (in a child process)."""
    store_dir, src_dir, index, n = args
    client = RegistryClient(RegistrySettings(local_dir=Path(store_dir)))
    digests = []
    for i in range(n):
        wasm, toml = write_plugin(Path(src_dir) / f"w{index}", f"w{index}", f"1.{i}.0")
        digests.append(client.publish(wasm, toml).digest)
        client.pull(f"dataflare/w{index}:1.{i}.0")
        client.pull(f"dataflare/w{index}:^1")
    return digests


def test_layout_is_oci_and_default_location(dataflare_home: Path, tmp_path: Path) -> None:
    client = RegistryClient()
    assert client.store.root == local_registry_dir() == dataflare_home / "registry"
    wasm, toml = write_plugin(tmp_path, "layout", "1.0.0")
    res = client.publish(wasm, toml)
    root = client.store.root
    assert json.loads((root / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((root / "index.json").read_text())
    assert index["schemaVersion"] == 2
    [entry] = index["manifests"]
    assert entry["digest"] == res.digest
    assert entry["annotations"][ANN_REF_NAME] == "dataflare/layout:1.0.0"
    for blob in (root / "blobs" / "sha256").iterdir():  # every blob is named by its digest
        assert sha256_digest(blob.read_bytes()) == "sha256:" + blob.name
    assert not list((root / ".dataflare" / "tmp").iterdir())


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.init()
    before = sorted(p.name for p in (store.root / "blobs" / "sha256").iterdir())
    index = (store.root / "index.json").read_bytes()
    with pytest.raises(DigestMismatchError), store.transaction() as tx:
        tx.add_blob(b"config", None)
        tx.add_blob(b"module", expected="sha256:" + "0" * 64)
    assert sorted(p.name for p in (store.root / "blobs" / "sha256").iterdir()) == before
    assert (store.root / "index.json").read_bytes() == index
    assert not list((store.root / ".dataflare" / "tmp").iterdir())


def test_versions_are_immutable(tmp_path: Path) -> None:
    client = RegistryClient()
    wasm, toml = write_plugin(tmp_path / "a", "immutable", "1.0.0")
    first = client.publish(wasm, toml)
    assert client.publish(wasm, toml).unchanged  # same module + manifest: no-op
    wasm2, toml2 = write_plugin(tmp_path / "b", "immutable", "1.0.0", salt="different")
    with pytest.raises(VersionExistsError, match=first.digest):
        client.publish(wasm2, toml2)
    forced = client.publish(wasm2, toml2, force=True)
    assert client.resolve("dataflare/immutable:1.0.0") == forced.digest != first.digest


def test_tampered_local_blob_is_refused(tmp_path: Path) -> None:
    client = RegistryClient()
    wasm, toml = write_plugin(tmp_path, "local-tamper", "1.0.0")
    client.publish(wasm, toml)
    pulled = client.pull("dataflare/local-tamper:1.0.0")
    pulled.path.chmod(0o644)
    pulled.path.write_bytes(pulled.path.read_bytes() + b"\x00")
    with pytest.raises(DigestMismatchError, match=pulled.wasm_digest):
        client.pull("dataflare/local-tamper:1.0.0")


def test_concurrent_writers(tmp_path: Path) -> None:
    """3 processes publish and pull into one store at once: no lost tags, exact statistics."""
    store_dir = tmp_path / "shared-store"
    procs, per = 3, 4
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(procs) as pool:
        results = pool.map(_worker, [(str(store_dir), str(tmp_path / "src"), i, per)
                                     for i in range(procs)])
    store = LocalStore(store_dir)
    tags = {(repo, tag) for repo, tag, _ in store.entries()}
    assert tags == {(f"dataflare/w{i}", f"1.{j}.0") for i in range(procs) for j in range(per)}
    client = RegistryClient(RegistrySettings(local_dir=store_dir))
    for i, digests in enumerate(results):
        for j, d in enumerate(digests):
            assert client.resolve(f"dataflare/w{i}:1.{j}.0") == d
    stats = store.download_stats()
    for i in range(procs):
        per_version = stats[f"dataflare/w{i}"]
        assert sum(per_version.values()) == 2 * per  # every pull counted, none lost
        assert per_version[f"1.{per - 1}.0"] >= 2
    assert not list((store_dir / ".dataflare" / "tmp").iterdir())


def test_gc_removes_only_unreferenced_blobs(tmp_path: Path) -> None:
    from dataflare_provider.registry.signing import generate_keypair

    key, _ = generate_keypair(tmp_path / "k")
    client = RegistryClient()
    wasm, toml = write_plugin(tmp_path / "a", "gc", "1.0.0")
    first = client.publish(wasm, toml, sign_key=key)
    wasm2, toml2 = write_plugin(tmp_path / "b", "gc", "1.0.0", salt="other")
    client.publish(wasm2, toml2, force=True)  # the first manifest and module lose their tag
    removed = client.store.gc()
    assert first.digest in removed
    assert client.pull("dataflare/gc:1.0.0").path.is_file()  # what is tagged survives
    assert client.store.gc() == []

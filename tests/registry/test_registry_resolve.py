"""Range resolution against published tags, transitive requires, conflicts, lockfile round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_servers import RegistryServer
from registry_wasm import write_plugin

from dataflare_provider.registry import Lockfile, RegistryClient, RegistrySettings
from dataflare_provider.registry.errors import (
    LockfileError,
    PluginNotFoundError,
    ResolutionError,
    VersionConflictError,
)


def _publish(client: RegistryClient, tmp: Path, name: str, versions: list[str],
             requires: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    digests = {}
    for v in versions:
        wasm, toml = write_plugin(tmp / name, name, v, requires=(requires or {}).get(v))
        digests[v] = client.publish(wasm, toml).digest
    return digests


@pytest.fixture()
def local(tmp_path: Path) -> RegistryClient:
    return RegistryClient(RegistrySettings(lockfile=tmp_path / "dataflare.lock"))


def test_ranges_pick_highest_match(tmp_path: Path, local: RegistryClient) -> None:
    d = _publish(local, tmp_path, "ranged", ["1.0.0", "1.2.0", "1.2.5", "1.4.1", "2.0.0",
                                             "2.1.0-rc.1"])
    assert local.resolve("dataflare/ranged:^1.2") == d["1.4.1"]
    assert local.resolve("dataflare/ranged:~1.2.0") == d["1.2.5"]
    assert local.resolve("dataflare/ranged:>=1,<2") == d["1.4.1"]
    assert local.resolve("dataflare/ranged:1.2.0") == d["1.2.0"]
    assert local.resolve("dataflare/ranged") == d["2.0.0"]  # prereleases are opt-in
    assert local.resolve("dataflare/ranged:>=2.1.0-rc.1") == d["2.1.0-rc.1"]
    assert local.resolve(f"dataflare/ranged@{d['1.0.0']}") == d["1.0.0"]
    with pytest.raises(ResolutionError) as err:
        local.resolve("dataflare/ranged:^3")
    assert "^3" in str(err.value) and "1.4.1" in str(err.value)
    with pytest.raises(PluginNotFoundError):
        local.resolve("dataflare/nothing-here:^1")


def test_remote_ranges_ignore_signature_tags(tmp_path: Path, registry: RegistryServer) -> None:
    from dataflare_provider.registry.signing import generate_keypair

    key, _ = generate_keypair(tmp_path / "k")
    client = RegistryClient(RegistrySettings(registry=registry.url))
    for v in ("0.9.0", "1.0.0", "1.1.0"):
        wasm, toml = write_plugin(tmp_path / "r", "remote-ranged", v)
        client.publish(wasm, toml, sign_key=key)
    backend = client.backend(registry.name)
    raw_tags = backend.client.list_tags("dataflare/remote-ranged", include_signatures=True)  # type: ignore[attr-defined]
    assert any(t.startswith("sha256-") and t.endswith(".sig") for t in raw_tags)
    assert sorted(backend.tags("dataflare/remote-ranged")) == ["0.9.0", "1.0.0", "1.1.0"]
    r, _, version = client.resolve_version("dataflare/remote-ranged:^1")
    assert version == "1.1.0" and r.registry == registry.name


def test_transitive_requires_and_lockfile_round_trip(tmp_path: Path,
                                                     local: RegistryClient) -> None:
    _publish(local, tmp_path, "csv-decode", ["1.0.0", "1.3.0", "2.0.0"])
    _publish(local, tmp_path, "mask", ["0.4.0", "0.4.2", "0.5.0"])
    _publish(local, tmp_path, "pipeline", ["1.0.0", "1.1.0"], requires={
        "1.0.0": {"dataflare/csv-decode": "^1.0"},
        "1.1.0": {"dataflare/csv-decode": "~1.3", "dataflare/mask": "^0.4"},
    })
    resolution = local.resolve_all(["dataflare/pipeline:^1"])
    versions = {k: p.version for k, p in resolution.packages.items()}
    assert versions == {"dataflare/pipeline": "1.1.0", "dataflare/csv-decode": "1.3.0",
                        "dataflare/mask": "0.4.2"}
    lock = local.lock(["dataflare/pipeline:^1"])
    path = tmp_path / "dataflare.lock"
    assert path.exists() and Lockfile.load(path).dumps() == lock.dumps()
    locked = {p.name: (p.version, p.digest) for p in Lockfile.load(path).packages}
    assert locked["dataflare/csv-decode"][0] == "1.3.0"

    # newer versions appear; the lockfile keeps runs on the locked digests
    _publish(local, tmp_path, "pipeline", ["1.2.0"])
    _publish(local, tmp_path, "csv-decode", ["1.3.9"])
    pinned = RegistryClient(RegistrySettings(lockfile=path, lockfile_only=True))
    assert pinned.resolve("dataflare/pipeline:^1") == locked["dataflare/pipeline"][1]
    assert pinned.resolve("dataflare/csv-decode:~1.3") == locked["dataflare/csv-decode"][1]
    pulled = pinned.pull("dataflare/pipeline:^1")
    assert pulled.version == "1.1.0"
    with pytest.raises(LockfileError) as err:
        pinned.resolve("dataflare/mask:^0.5")
    assert "dataflare/mask:^0.5" in str(err.value) and "lockfile-only" in str(err.value)
    # without the lockfile, resolution moves on
    assert RegistryClient().resolve_version("dataflare/pipeline:^1")[2] == "1.2.0"
    # re-locking picks the new versions
    relocked = {p.name: p.version for p in local.lock(["dataflare/pipeline:^1"]).packages}
    assert relocked["dataflare/pipeline"] == "1.2.0"


def test_conflicting_requires_name_both_constraints(tmp_path: Path,
                                                    local: RegistryClient) -> None:
    _publish(local, tmp_path, "json-flatten", ["1.1.0", "1.4.0", "2.0.0"])
    _publish(local, tmp_path, "enrich", ["1.0.0"],
             requires={"1.0.0": {"dataflare/json-flatten": "~1.1"}})
    _publish(local, tmp_path, "redact", ["3.2.0"],
             requires={"3.2.0": {"dataflare/json-flatten": "^2"}})
    with pytest.raises(VersionConflictError) as err:
        local.resolve_all(["dataflare/enrich:^1", "dataflare/redact:^3"])
    msg = str(err.value)
    assert "dataflare/enrich@1.0.0 requires dataflare/json-flatten ~1.1" in msg
    assert "dataflare/redact@3.2.0 requires dataflare/json-flatten ^2" in msg
    # a root constraint conflicting with a dependency's is named too
    with pytest.raises(VersionConflictError) as err:
        local.resolve_all(["dataflare/enrich:^1", "dataflare/json-flatten:^1.4"])
    assert "root requires dataflare/json-flatten ^1.4" in str(err.value)
    assert "dataflare/enrich@1.0.0 requires dataflare/json-flatten ~1.1" in str(err.value)

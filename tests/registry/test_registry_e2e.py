"""Publish -> pull -> run, through the local store and a real docker-registry, signatures on."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from registry_servers import RegistryServer
from registry_wasm import write_plugin

from dataflare_provider.registry import RegistryClient, RegistrySettings, TrustPolicy
from dataflare_provider.registry.signing import generate_keypair
from dataflare_provider.runtime.plugin import Plugin

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(path: Path) -> pa.RecordBatch:
    batch = pa.record_batch({"x": pa.array([1, 2, 3], pa.int64()), "s": ["a", None, "c"]})
    with Plugin.from_file(path).instantiate({}) as inst:
        result = inst.process(batch)
    assert result.output is not None
    return result.output


@pytest.fixture()
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return generate_keypair(tmp_path / "keys" / "dataflare")


def test_local_store_publish_pull_run(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    key, pub = keys
    wasm, toml = write_plugin(tmp_path / "src", "passthrough", "1.0.0")
    policy = TrustPolicy.trusting({"dataflare": pub}, require_signatures=True)
    client = RegistryClient(RegistrySettings(trust_policy=policy))
    published = client.publish(wasm, toml, sign_key=key)
    assert published.reference.registry is None
    pulled = client.pull("dataflare/passthrough:^1")
    assert pulled.digest == published.digest
    assert pulled.verification.status == "verified"
    out = _run(pulled.path)
    assert out.column(0).to_pylist() == [1, 2, 3]
    assert client.store.download_stats("dataflare/passthrough") == {
        "dataflare/passthrough": {"1.0.0": 1}
    }


def test_remote_publish_pull_run(
    tmp_path: Path, registry: RegistryServer, keys: tuple[Path, Path]
) -> None:
    key, pub = keys
    wasm, toml = write_plugin(tmp_path / "src", "e2e-remote", "1.2.0")
    policy = TrustPolicy.trusting({"dataflare": pub}, require_signatures=True)
    client = RegistryClient(RegistrySettings(registry=registry.url, trust_policy=policy))
    published = client.publish(wasm, toml, sign_key=key)
    assert published.reference.registry == registry.name
    pulled = client.pull("dataflare/e2e-remote:~1.2")
    assert pulled.digest == published.digest and not pulled.from_cache
    assert pulled.verification.status == "verified"
    assert pulled.path.is_relative_to(client.store.root)
    assert _run(pulled.path).num_rows == 3
    again = client.pull(f"dataflare/e2e-remote@{published.digest}")
    assert again.from_cache and again.path == pulled.path


C_EXAMPLES = ("basic-transformer", "row-filter", "streaming-aggregator")


def _example_wasm() -> list[Path]:
    """The built C examples (the Rust/Go/TS builds of ``make -C examples sdk`` share their names
    and versions, so publishing those too would be a version conflict)."""
    return [p for n in C_EXAMPLES if (p := EXAMPLES / n / "build" / f"{n}.wasm").exists()]


@pytest.mark.skipif(not (EXAMPLES / "basic-transformer" / "build" / "basic-transformer.wasm")
                    .exists(), reason="examples not built (make -C examples)")
def test_example_plugins_publish_pull_run(
    tmp_path: Path, registry: RegistryServer, keys: tuple[Path, Path]
) -> None:
    """The C example plugins: publish signed, pull by range with a strict policy, run."""
    key, pub = keys
    policy = TrustPolicy.trusting({"dataflare": pub}, require_signatures=True)
    client = RegistryClient(RegistrySettings(registry=registry.url, trust_policy=policy))
    published = 0
    for wasm in _example_wasm():
        toml = wasm.parent.parent / "plugin.toml"
        if toml.exists():
            res = client.publish(wasm, toml, sign_key=key)
            assert res.scan.ok, res.scan.findings
            published += 1
    assert published >= 1
    pulled = client.pull("dataflare/basic-transformer:^1")
    assert pulled.verification.status == "verified"
    from dataflare_provider.registry import validate_config

    config = {"lowercase": ["s"]}
    validate_config(pulled.manifest, config)
    batch = pa.record_batch({"s": ["AbC", None, "XYZ"], "n": pa.array([1, 2, 3], pa.int64())})
    with Plugin.from_file(pulled.path).instantiate(config) as inst:
        out = inst.process(batch).output
    assert out is not None
    assert out.column(0).to_pylist() == ["abc", None, "xyz"]


def test_locate_path_or_reference_and_limits(tmp_path: Path) -> None:
    from dataflare_provider.runtime.limits import Limits

    wasm, toml = write_plugin(tmp_path / "src", "locate", "1.0.0")
    client = RegistryClient()
    client.publish(wasm, toml)
    assert client.locate(wasm) == (wasm, None)
    path, pulled = client.locate("dataflare/locate:^1")
    assert pulled is not None and path == pulled.path
    pulled.validate_config({"separator": "."})
    limits = Limits(**pulled.limits())
    assert limits.memory_bytes == 16 << 20
    with Plugin.from_file(path, limits=limits).instantiate({}) as inst:
        assert inst.process(pa.record_batch({"x": [1]})).rows_out == 1

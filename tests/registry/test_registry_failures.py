"""Each failure is its own clear error, and a failed pull leaves the local store as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_servers import USERS, RegistryServer, free_port
from registry_wasm import write_plugin

from dataflare_provider.errors import FailureClass
from dataflare_provider.registry import RegistryClient, RegistrySettings, TrustPolicy
from dataflare_provider.registry.errors import (
    DigestMismatchError,
    RegistryAuthError,
    RegistryUnavailableError,
    UnsignedPluginError,
    UntrustedSignatureError,
)
from dataflare_provider.registry.signing import generate_keypair, key_id, load_public_key


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the store except the lock file, with its content."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "lock"
    }


@pytest.fixture()
def keys(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    return {n: generate_keypair(tmp_path / "keys" / n) for n in ("good", "other")}


def _client(server: RegistryServer | str, pub: Path, require: bool = True,
            **kw: object) -> RegistryClient:
    url = server if isinstance(server, str) else server.url
    policy = TrustPolicy.trusting({"dataflare": pub}, require_signatures=require)
    return RegistryClient(RegistrySettings(registry=url, trust_policy=policy, **kw))  # type: ignore[arg-type]


def _warm_name(tmp_path: Path) -> str:
    return "warm-" + tmp_path.name.lower().replace("_", "-")


def _warm(client: RegistryClient, tmp_path: Path, key: Path) -> dict[str, bytes]:
    """Publish and pull one good plugin so the store exists; return its snapshot."""
    name = _warm_name(tmp_path)
    wasm, toml = write_plugin(tmp_path / "warm", name, "1.0.0")
    client.publish(wasm, toml, sign_key=key)
    client.pull(f"dataflare/{name}:1.0.0")
    return snapshot(client.store.root)


def test_tampered_blob(tmp_path: Path, fresh_registry: RegistryServer,
                       keys: dict[str, tuple[Path, Path]]) -> None:
    key, pub = keys["good"]
    client = _client(fresh_registry, pub)
    _warm(client, tmp_path, key)
    wasm, toml = write_plugin(tmp_path / "src", "victim", "1.0.0")
    res = client.publish(wasm, toml, sign_key=key)
    wasm_digest = client.inspect(res.reference).image.wasm_layer().digest
    blob = fresh_registry.storage_blob(wasm_digest)
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF  # flip a byte of the custom section: still valid wasm
    blob.write_bytes(bytes(data))
    before = snapshot(client.store.root)  # after publishing: only the pull must leave no trace
    with pytest.raises(DigestMismatchError) as err:
        client.pull("dataflare/victim:1.0.0")
    msg = str(err.value)
    assert f"expected {wasm_digest}" in msg and "got sha256:" in msg
    assert snapshot(client.store.root) == before


def test_tampered_manifest(tmp_path: Path, fresh_registry: RegistryServer,
                           keys: dict[str, tuple[Path, Path]]) -> None:
    key, pub = keys["good"]
    client = _client(fresh_registry, pub)
    _warm(client, tmp_path, key)
    wasm, toml = write_plugin(tmp_path / "src", "victim", "1.0.0")
    res = client.publish(wasm, toml, sign_key=key)
    blob = fresh_registry.storage_blob(res.digest)
    blob.write_bytes(blob.read_bytes().replace(b"Test plugin victim", b"Evil plugin victim"))
    before = snapshot(client.store.root)  # after publishing: only the pull must leave no trace
    with pytest.raises(DigestMismatchError) as err:
        client.pull("dataflare/victim:1.0.0")
    assert res.digest in str(err.value)
    assert snapshot(client.store.root) == before


def test_wrong_key(tmp_path: Path, registry: RegistryServer,
                   keys: dict[str, tuple[Path, Path]]) -> None:
    good_key, good_pub = keys["good"]
    other_key, _ = keys["other"]
    client = _client(registry, good_pub)
    _warm(client, tmp_path, good_key)
    wasm, toml = write_plugin(tmp_path / "src", "wrong-key", "1.0.0")
    client.publish(wasm, toml, sign_key=other_key)
    before = snapshot(client.store.root)  # after publishing: only the pull must leave no trace
    with pytest.raises(UntrustedSignatureError) as err:
        client.pull("dataflare/wrong-key:1.0.0")
    msg = str(err.value)
    from dataflare_provider.registry.signing import load_private_key

    assert key_id(load_private_key(other_key).public_key()) in msg  # who signed it
    assert key_id(load_public_key(good_pub)) in msg  # whom we trust
    assert snapshot(client.store.root) == before


def test_unsigned_under_strict_policy(tmp_path: Path, registry: RegistryServer,
                                      keys: dict[str, tuple[Path, Path]]) -> None:
    key, pub = keys["good"]
    client = _client(registry, pub)
    _warm(client, tmp_path, key)
    wasm, toml = write_plugin(tmp_path / "src", "unsigned", "1.0.0")
    res = client.publish(wasm, toml)
    before = snapshot(client.store.root)  # after publishing: only the pull must leave no trace
    with pytest.raises(UnsignedPluginError) as err:
        client.pull("dataflare/unsigned:1.0.0")
    assert res.digest in str(err.value) and "requires" in str(err.value)
    assert snapshot(client.store.root) == before
    # the same plugin passes when the policy allows unsigned plugins
    lax = _client(registry, pub, require=False)
    assert lax.pull("dataflare/unsigned:1.0.0").verification.status == "unsigned"


def test_registry_down(tmp_path: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    _, pub = keys["good"]
    port = free_port()  # nothing listens here
    client = _client(f"http://127.0.0.1:{port}", pub, retries=3, backoff_s=0.01)
    with pytest.raises(RegistryUnavailableError) as err:
        client.pull("dataflare/anything:^1")
    assert err.value.failure_class is FailureClass.TRANSIENT and err.value.retryable
    assert f"127.0.0.1:{port}" in str(err.value) and "3 attempts" in str(err.value)
    assert not client.store.root.exists() or not list(client.store.root.rglob("blobs/sha256/*"))


def test_bad_credentials_basic(tmp_path: Path, basic_registry: RegistryServer,
                               keys: dict[str, tuple[Path, Path]]) -> None:
    key, pub = keys["good"]
    good = _client(basic_registry, pub, username="alice", password=USERS["alice"])
    before = _warm(good, tmp_path, key)
    bad = _client(basic_registry, pub, username="alice", password="not-the-password")
    with pytest.raises(RegistryAuthError) as err:
        bad.pull(f"dataflare/{_warm_name(tmp_path)}:1.0.0")
    msg = str(err.value)
    assert "alice" in msg and "401" in msg and basic_registry.name in msg
    assert err.value.failure_class is FailureClass.PERMANENT
    assert snapshot(good.store.root) == before


def test_bad_credentials_token(tmp_path: Path, token_registry: RegistryServer,
                               keys: dict[str, tuple[Path, Path]]) -> None:
    _, pub = keys["good"]
    bad = _client(token_registry, pub, username="bob", password="wrong")
    with pytest.raises(RegistryAuthError) as err:
        bad.pull("dataflare/warm:1.0.0")
    assert "bob" in str(err.value) and "401" in str(err.value)


def test_errors_are_distinct() -> None:
    classes = [DigestMismatchError, UntrustedSignatureError, UnsignedPluginError,
               RegistryUnavailableError, RegistryAuthError]
    assert len(set(classes)) == len(classes)
    for a in classes:
        for b in classes:
            assert a is b or not issubclass(a, b)


def test_registry_down_but_cached(tmp_path: Path, fresh_registry: RegistryServer,
                                  keys: dict[str, tuple[Path, Path]],
                                  caplog: pytest.LogCaptureFixture) -> None:
    """A plugin pulled before still resolves and verifies from the cache when the registry is
    down (with a warning); one never pulled fails as transient."""
    key, pub = keys["good"]
    client = _client(fresh_registry, pub, retries=2, backoff_s=0.01)
    wasm, toml = write_plugin(tmp_path / "src", "offline", "1.4.0")
    res = client.publish(wasm, toml, sign_key=key)
    client.pull("dataflare/offline:^1")
    fresh_registry.stop()
    offline = _client(fresh_registry, pub, retries=2, backoff_s=0.01)
    pulled = offline.pull("dataflare/offline:^1")
    assert pulled.from_cache and pulled.digest == res.digest
    assert pulled.verification.status == "verified"
    assert "using the cached dataflare/offline 1.4.0" in caplog.text
    with pytest.raises(RegistryUnavailableError):
        offline.pull("dataflare/offline:^2")

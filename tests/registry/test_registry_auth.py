"""Basic and Bearer auth against real registries, token caching per scope, re-auth on 401,
retries with backoff, and the error for each status."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from registry_servers import USERS, RegistryServer, TokenServer
from registry_wasm import write_plugin

from dataflare_provider.registry import RegistryClient, RegistrySettings
from dataflare_provider.registry.auth import Credentials, parse_challenge
from dataflare_provider.registry.errors import (
    PluginNotFoundError,
    RegistryError,
    RegistryForbiddenError,
    RegistryUnavailableError,
)
from dataflare_provider.registry.oci_client import OCIClient, RetryPolicy


def test_parse_challenge() -> None:
    ch = parse_challenge('Bearer realm="http://a/token",service="reg",'
                         'scope="repository:ns/x:pull,push"')
    assert ch is not None and ch.scheme == "bearer"
    assert ch.params == {"realm": "http://a/token", "service": "reg",
                         "scope": "repository:ns/x:pull,push"}
    basic = parse_challenge('Basic realm="dataflare-test"')
    assert basic is not None and basic.scheme == "basic" and basic.realm == "dataflare-test"


def test_basic_auth_round_trip(tmp_path: Path, basic_registry: RegistryServer) -> None:
    client = RegistryClient(RegistrySettings(registry=basic_registry.url, username="alice",
                                             password=USERS["alice"]))
    wasm, toml = write_plugin(tmp_path, "basic-auth", "1.0.0")
    res = client.publish(wasm, toml)
    assert client.pull("dataflare/basic-auth:^1").digest == res.digest
    anonymous = RegistryClient(RegistrySettings(registry=basic_registry.url))
    from dataflare_provider.registry.errors import RegistryAuthError

    with pytest.raises(RegistryAuthError, match="no credentials"):
        anonymous.resolve("dataflare/basic-auth:^1")


def test_token_auth_cache_per_scope_and_reauth(
    tmp_path: Path, token_registry: RegistryServer, token_server: TokenServer
) -> None:
    client = RegistryClient(RegistrySettings(registry=token_registry.url, username="bob",
                                             password=USERS["bob"]))
    wasm, toml = write_plugin(tmp_path, "token-auth", "1.0.0")
    res = client.publish(wasm, toml)
    tokens = client._tokens  # shared by every remote backend of this client
    after_publish = tokens.fetches
    scopes = {a["name"] + ":" + ",".join(a["actions"])  # type: ignore[index]
              for i in token_server.issued[-after_publish:] for a in i["access"]}  # type: ignore[union-attr]
    assert "dataflare/token-auth:pull,push" in scopes
    # pulling twice needs one more token (pull scope) at most, then none
    client.pull("dataflare/token-auth:1.0.0")
    client.pull(f"dataflare/token-auth@{res.digest}")
    n = tokens.fetches
    assert n <= after_publish + 1
    client.resolve("dataflare/token-auth:^1")
    assert tokens.fetches == n
    # a cached token the registry rejects (revoked, expired early) is dropped and re-fetched
    for key in list(tokens._tokens):
        tokens.put(key, "not-a-valid-token", 300)
    assert client.resolve("dataflare/token-auth:^1") == res.digest
    assert tokens.fetches == n + 1
    # the catalog needs its own scope (registry:catalog:*)
    found = client.search("token", registry=token_registry.url, refresh=True)
    assert [s.repository for s in found] == ["dataflare/token-auth"]
    assert tokens.fetches == n + 2


def test_not_found_names_the_reference(registry: RegistryServer) -> None:
    client = RegistryClient(RegistrySettings(registry=registry.url))
    with pytest.raises(PluginNotFoundError, match="dataflare/never-published"):
        client.resolve("dataflare/never-published:^1")
    with OCIClient(registry.url) as oci, pytest.raises(PluginNotFoundError) as err:
        oci.get_manifest("dataflare/never-published", "1.0.0")
    assert "manifest dataflare/never-published:1.0.0" in str(err.value) and "404" in str(err.value)


def _mock(statuses: list[int], seen: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        status = statuses.pop(0) if statuses else 200
        headers = {"Retry-After": "0"} if status == 429 else {}
        return httpx.Response(status, headers=headers, json={
            "errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]
        } if status >= 400 else {})
    return httpx.MockTransport(handler)


def test_retries_transient_statuses_then_succeeds() -> None:
    seen: list[str] = []
    client = OCIClient("http://127.0.0.1:1", transport=_mock([503, 502, 429], seen),
                       retry=RetryPolicy(attempts=4, backoff_s=0.001))
    client.ping()
    assert len(seen) == 4


def test_retries_give_up_as_transient() -> None:
    seen: list[str] = []
    client = OCIClient("http://127.0.0.1:1", transport=_mock([500] * 10, seen),
                       retry=RetryPolicy(attempts=3, backoff_s=0.001))
    with pytest.raises(RegistryUnavailableError, match=r"after 3 attempts: HTTP 500") as err:
        client.ping()
    assert err.value.retryable and len(seen) == 3


def test_forbidden_and_other_statuses_are_permanent() -> None:
    client = OCIClient("http://127.0.0.1:1", Credentials("carol", "x"),
                       transport=_mock([403], []), retry=RetryPolicy(attempts=1))
    with pytest.raises(RegistryForbiddenError, match=r"403.*DENIED"):
        client.get_manifest("acme/x", "1.0.0")
    client = OCIClient("http://127.0.0.1:1", transport=_mock([400], []))
    with pytest.raises(RegistryError, match="HTTP 400"):
        client.get_manifest("acme/x", "1.0.0")

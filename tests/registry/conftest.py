"""Fixtures: real docker-registry servers (no auth, Basic, token) and an isolated DATAFLARE_HOME."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_servers import (
    REGISTRY_BIN,
    USERS,
    RegistryServer,
    TokenServer,
    htpasswd_yaml,
    start_registry,
)

needs_registry = pytest.mark.skipif(
    not Path(REGISTRY_BIN).exists(), reason="docker-registry is not installed"
)
needs_skopeo = pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo not installed")


@pytest.fixture(autouse=True)
def dataflare_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("DATAFLARE_HOME", str(home))
    for var in ("DATAFLARE_REGISTRY", "DATAFLARE_REGISTRY_USERNAME", "DATAFLARE_REGISTRY_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """docker-registry without auth."""
    if not Path(REGISTRY_BIN).exists():
        pytest.skip("docker-registry is not installed")
    server = start_registry(tmp_path_factory.mktemp("registry-open"))
    yield server
    server.stop()


@pytest.fixture()
def fresh_registry(tmp_path: Path) -> Iterator[RegistryServer]:
    """A registry of its own for tests that tamper with its storage."""
    if not Path(REGISTRY_BIN).exists():
        pytest.skip("docker-registry is not installed")
    server = start_registry(tmp_path / "registry")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """docker-registry with htpasswd (bcrypt) Basic auth; users in :data:`USERS`."""
    if not Path(REGISTRY_BIN).exists():
        pytest.skip("docker-registry is not installed")
    root = tmp_path_factory.mktemp("registry-basic")
    server = start_registry(root, htpasswd_yaml(root, USERS))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    ts = TokenServer(USERS, tmp_path_factory.mktemp("token-server"))
    yield ts
    ts.stop()


@pytest.fixture(scope="session")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory, token_server: TokenServer
) -> Iterator[RegistryServer]:
    """docker-registry with token auth trusting :func:`token_server`'s certificate."""
    if not Path(REGISTRY_BIN).exists():
        pytest.skip("docker-registry is not installed")
    server = start_registry(tmp_path_factory.mktemp("registry-token"), token_server.registry_yaml())
    yield server
    server.stop()


SERVER_FIXTURES = {"registry", "fresh_registry", "basic_registry", "token_registry"}
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that start docker-registry with ``registry`` (``-m 'not registry'`` skips them)."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE) and SERVER_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.registry)

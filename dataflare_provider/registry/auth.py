"""Registry authentication: ``WWW-Authenticate`` challenges, Basic credentials and Bearer tokens
cached per (realm, service, scope) until they expire (distribution's token protocol)."""

from __future__ import annotations

import base64
import re
import threading
import time
from dataclasses import dataclass, field

import httpx

from dataflare_provider.registry.errors import RegistryAuthError, RegistryUnavailableError

_PARAM = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class Challenge:
    """One parsed ``WWW-Authenticate`` challenge."""

    scheme: str  # "basic" or "bearer", lower case
    params: dict[str, str]

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


def parse_challenge(header: str) -> Challenge | None:
    """Parse ``Bearer realm="...",service="...",scope="..."`` or ``Basic realm="..."``."""
    header = header.strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    params = {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
              for m in _PARAM.finditer(rest)}
    params = {k: v.replace('\\"', '"') for k, v in params.items()}
    return Challenge(scheme.lower(), params)


@dataclass(frozen=True)
class Credentials:
    """Username and password (or a pre-issued token as the password with username ``<token>``)."""

    username: str
    password: str

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclass
class _Token:
    value: str
    expires_at: float


@dataclass
class TokenCache:
    """Bearer tokens per (realm, service, scope); thread-safe."""

    skew_s: float = 10.0
    _tokens: dict[tuple[str, str, str], _Token] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    fetches: int = 0

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._lock:
            tok = self._tokens.get(key)
            if tok is None or tok.expires_at - self.skew_s <= time.monotonic():
                return None
            return tok.value

    def put(self, key: tuple[str, str, str], value: str, expires_in: float) -> None:
        with self._lock:
            self._tokens[key] = _Token(value, time.monotonic() + expires_in)

    def drop(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)


def fetch_token(
    http: httpx.Client,
    challenge: Challenge,
    scope: str,
    credentials: Credentials | None,
    cache: TokenCache,
    registry: str,
) -> str:
    """Get (from cache or the token server) a Bearer token for ``scope``."""
    realm = challenge.realm
    if not realm:
        raise RegistryAuthError(f"registry {registry} sent a Bearer challenge without a realm")
    service = challenge.params.get("service", "")
    key = (realm, service, scope)
    cached = cache.get(key)
    if cached is not None:
        return cached
    params = {"scope": scope} if scope else {}
    if service:
        params["service"] = service
    headers = {}
    if credentials is not None:
        headers["Authorization"] = credentials.basic_header()
    try:
        resp = http.get(realm, params=params, headers=headers)
    except httpx.TransportError as exc:
        raise RegistryUnavailableError(
            f"token server {realm} for registry {registry} unreachable: {exc}", registry=registry
        ) from None
    cache.fetches += 1
    if resp.status_code in (401, 403):
        who = f"user {credentials.username!r}" if credentials else "anonymous access"
        raise RegistryAuthError(
            f"token server {realm} refused {who} for scope {scope!r} "
            f"(HTTP {resp.status_code})",
            registry=registry,
            status=resp.status_code,
        )
    if resp.status_code >= 500:
        raise RegistryUnavailableError(
            f"token server {realm} answered HTTP {resp.status_code}", registry=registry
        )
    if resp.status_code != 200:
        raise RegistryAuthError(
            f"token server {realm} answered HTTP {resp.status_code} for scope {scope!r}",
            registry=registry,
            status=resp.status_code,
        )
    try:
        body = resp.json()
        token = body.get("token") or body.get("access_token")
        expires_in = float(body.get("expires_in") or 60)
    except (ValueError, AttributeError, TypeError):
        token = None
    if not token:
        raise RegistryAuthError(f"token server {realm} returned no token", registry=registry)
    cache.put(key, str(token), expires_in)
    return str(token)

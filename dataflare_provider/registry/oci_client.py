"""A small OCI Distribution client on httpx.

Every manifest and blob it returns has been checked against its digest. Auth follows the registry's
``WWW-Authenticate`` challenge: Basic with the configured credentials, or Bearer tokens fetched from
the token server per scope and cached until they expire; a 401 with a cached token drops it and
authenticates once more. Connection errors, 5xx and 429 are retried with exponential backoff and
then raised as :class:`RegistryUnavailableError` (transient); 401/403/404 and digest mismatches
raise permanent errors naming the registry, repository, reference and status.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import httpx

from dataflare_provider.registry.auth import (
    Challenge,
    Credentials,
    TokenCache,
    fetch_token,
    parse_challenge,
)
from dataflare_provider.registry.errors import (
    DigestMismatchError,
    PluginNotFoundError,
    RegistryAuthError,
    RegistryError,
    RegistryForbiddenError,
    RegistryUnavailableError,
)
from dataflare_provider.registry.oci import (
    CHUNK,
    MANIFEST_ACCEPT,
    MEDIA_OCI_MANIFEST,
    sha256_digest,
)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
Body = bytes | Callable[[], Iterator[bytes]] | None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry transient failures."""

    attempts: int = 4
    backoff_s: float = 0.2
    max_backoff_s: float = 4.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.max_backoff_s)
            except ValueError:
                pass
        return float(min(self.backoff_s * (2**attempt), self.max_backoff_s))


def registry_base_url(registry: str, insecure: bool | None = None) -> tuple[str, str]:
    """(base URL, host[:port] name) for a registry given as a name or a URL.

    Without a scheme, loopback hosts get ``http`` and others ``https`` unless ``insecure``.
    """
    if "://" in registry:
        u = urlparse(registry)
        return f"{u.scheme}://{u.netloc}", u.netloc
    host = registry.split(":")[0].strip("[]")
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    scheme = "http" if (insecure if insecure is not None else loopback) else "https"
    return f"{scheme}://{registry}", registry


def _file_body(path: Path) -> Callable[[], Iterator[bytes]]:
    def gen() -> Iterator[bytes]:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    return gen


def _error_codes(resp: httpx.Response) -> str:
    try:
        errs = resp.json().get("errors") or []
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errs)
    except (ValueError, AttributeError):
        return ""


class OCIClient:
    """Talks to one OCI Distribution registry."""

    def __init__(
        self,
        registry: str,
        credentials: Credentials | None = None,
        *,
        insecure: bool | None = None,
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        token_cache: TokenCache | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url, self.name = registry_base_url(registry, insecure)
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.tokens = token_cache or TokenCache()
        self._challenge: Challenge | None = None
        self._http = httpx.Client(
            timeout=timeout_s, follow_redirects=True, transport=transport,
            headers={"User-Agent": "dataflare-provider"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OCIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ----------------------------------------------------------------------------

    def _auth_header(self, scope: str) -> str | None:
        ch = self._challenge
        if ch is None:
            return None
        if ch.scheme == "basic":
            return self.credentials.basic_header() if self.credentials else None
        if ch.scheme == "bearer":
            token = fetch_token(
                self._http, ch, scope or ch.params.get("scope", ""), self.credentials,
                self.tokens, self.name,
            )
            return f"Bearer {token}"
        return None

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: Body, params: Any,
        stream: bool,
    ) -> httpx.Response:
        """Send with retries on transport errors and 5xx/429."""
        last: str = ""
        for attempt in range(self.retry.attempts):
            content = body() if callable(body) else body
            try:
                req = self._http.build_request(method, url, headers=headers, content=content,
                                               params=params)
                resp = self._http.send(req, stream=stream)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code not in RETRY_STATUS:
                    return resp
                last = f"HTTP {resp.status_code} {_error_codes(resp) if not stream else ''}".strip()
                retry_after = resp.headers.get("Retry-After")
                resp.close()
                if attempt + 1 < self.retry.attempts:
                    time.sleep(self.retry.delay(attempt, retry_after))
                continue
            if attempt + 1 < self.retry.attempts:
                time.sleep(self.retry.delay(attempt))
        raise RegistryUnavailableError(
            f"registry {self.base_url} unavailable for {method} {urlparse(url).path} after "
            f"{self.retry.attempts} attempts: {last}",
            registry=self.name,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        scope: str,
        what: str,
        headers: dict[str, str] | None = None,
        body: Body = None,
        params: Any = None,
        ok: tuple[int, ...] = (200,),
        stream: bool = False,
    ) -> httpx.Response:
        """One authenticated request; raises the mapped error unless the status is in ``ok``."""
        url = path if "://" in path else urljoin(self.base_url, path)
        hdrs = dict(headers or {})
        authed = False
        for _ in range(3):
            fetched_before = self.tokens.fetches
            auth = self._auth_header(scope)
            fresh = self.tokens.fetches > fetched_before  # a token straight from the server
            if auth:
                hdrs["Authorization"] = auth
                authed = True
            resp = self._send(method, url, hdrs, body, params, stream)
            if resp.status_code != 401:
                break
            resp.close()
            ch = parse_challenge(resp.headers.get("WWW-Authenticate", ""))
            if ch is None:
                break
            if authed:
                if ch.scheme == "bearer" and not fresh:  # cached token expired or revoked:
                    scope_key = scope or ch.params.get("scope", "")  # drop it, re-auth once
                    self.tokens.drop((ch.realm, ch.params.get("service", ""), scope_key))
                    self._challenge = ch
                    authed = False
                    continue
                break
            self._challenge = ch
            if ch.scheme == "basic" and self.credentials is None:
                break
        if resp.status_code in ok:
            return resp
        if stream:
            resp.read()
        self._raise_for(resp, what)
        raise AssertionError("unreachable")

    def _raise_for(self, resp: httpx.Response, what: str) -> None:
        code = resp.status_code
        detail = _error_codes(resp)
        suffix = f": {detail}" if detail else ""
        ctx = {"registry": self.name, "status": code}
        if code == 401:
            who = f"user {self.credentials.username!r}" if self.credentials else "no credentials"
            raise RegistryAuthError(
                f"registry {self.name} refused {who} for {what} (HTTP 401){suffix}", **ctx
            )
        if code == 403:
            raise RegistryForbiddenError(
                f"registry {self.name} forbids {what} (HTTP 403){suffix}", **ctx
            )
        if code == 404:
            raise PluginNotFoundError(f"{what} not found in registry {self.name} (HTTP 404)", **ctx)
        raise RegistryError(f"registry {self.name} answered HTTP {code} for {what}{suffix}", **ctx)

    # --- API ----------------------------------------------------------------------------------

    @staticmethod
    def scope(repository: str, push: bool = False) -> str:
        return f"repository:{repository}:{'pull,push' if push else 'pull'}"

    def ping(self) -> None:
        """``GET /v2/``: checks reachability and credentials."""
        self.request("GET", "/v2/", scope="", what="API version check")

    def get_manifest(self, repository: str, reference: str) -> tuple[bytes, str, str]:
        """Fetch a manifest by tag or digest; returns (raw, digest, media type), digest verified."""
        what = f"manifest {repository}{'@' if reference.startswith('sha256:') else ':'}{reference}"
        resp = self.request(
            "GET", f"/v2/{repository}/manifests/{reference}", scope=self.scope(repository),
            what=what, headers={"Accept": MANIFEST_ACCEPT},
        )
        raw = resp.content
        got = sha256_digest(raw)
        expected = reference if reference.startswith("sha256:") else None
        header = resp.headers.get("Docker-Content-Digest")
        for exp, source in ((expected, "requested digest"), (header, "Docker-Content-Digest")):
            if exp and exp != got:
                raise DigestMismatchError(
                    f"digest mismatch for {what} from {self.name}: expected {exp} ({source}), "
                    f"got {got}",
                    expected=exp,
                    got=got,
                )
        media_type = resp.headers.get("Content-Type", MEDIA_OCI_MANIFEST).split(";")[0].strip()
        return raw, got, media_type

    def head_manifest(self, repository: str, reference: str) -> str | None:
        """The digest a tag points to, or None when the tag does not exist."""
        resp = self.request(
            "HEAD", f"/v2/{repository}/manifests/{reference}", scope=self.scope(repository),
            what=f"manifest {repository}:{reference}", headers={"Accept": MANIFEST_ACCEPT},
            ok=(200, 404),
        )
        if resp.status_code == 404:
            return None
        found = resp.headers.get("Docker-Content-Digest")
        return str(found) if found else None

    def put_manifest(
        self, repository: str, reference: str, raw: bytes, media_type: str = MEDIA_OCI_MANIFEST
    ) -> str:
        """Upload a manifest under a tag (or its digest); returns its digest."""
        digest = sha256_digest(raw)
        resp = self.request(
            "PUT", f"/v2/{repository}/manifests/{reference}", scope=self.scope(repository, True),
            what=f"manifest upload {repository}:{reference}",
            headers={"Content-Type": media_type}, body=raw, ok=(200, 201, 202),
        )
        header = resp.headers.get("Docker-Content-Digest")
        if header and header != digest:
            raise DigestMismatchError(
                f"registry {self.name} stored manifest {repository}:{reference} as {header}, "
                f"expected {digest}",
                expected=digest,
                got=header,
            )
        return digest

    def blob_exists(self, repository: str, digest: str) -> bool:
        resp = self.request(
            "HEAD", f"/v2/{repository}/blobs/{digest}", scope=self.scope(repository),
            what=f"blob {digest} of {repository}", ok=(200, 404),
        )
        return resp.status_code == 200

    def get_blob(self, repository: str, digest: str) -> bytes:
        """Fetch a (small) blob into memory, digest verified."""
        what = f"blob {digest} of {repository}"
        resp = self.request(
            "GET", f"/v2/{repository}/blobs/{digest}", scope=self.scope(repository), what=what
        )
        got = sha256_digest(resp.content)
        if got != digest:
            raise DigestMismatchError(
                f"digest mismatch for {what} from {self.name}: expected {digest}, got {got}",
                expected=digest,
                got=got,
            )
        return resp.content

    def download_blob(self, repository: str, digest: str, dest: Path, max_size: int) -> int:
        """Stream a blob to ``dest`` while hashing it; raises on mismatch. Returns its size."""
        what = f"blob {digest} of {repository}"
        resp = self.request(
            "GET", f"/v2/{repository}/blobs/{digest}", scope=self.scope(repository), what=what,
            stream=True,
        )
        h = hashlib.sha256()
        size = 0
        try:
            with open(dest, "wb") as fh:
                for chunk in resp.iter_bytes(CHUNK):
                    size += len(chunk)
                    if size > max_size:
                        raise RegistryError(
                            f"{what} is larger than the {max_size} byte limit", registry=self.name
                        )
                    h.update(chunk)
                    fh.write(chunk)
        except httpx.TransportError as exc:
            raise RegistryUnavailableError(
                f"download of {what} from {self.name} failed: {exc}", registry=self.name
            ) from None
        finally:
            resp.close()
        got = "sha256:" + h.hexdigest()
        if got != digest:
            raise DigestMismatchError(
                f"digest mismatch for {what} from {self.name}: expected {digest}, got {got}",
                expected=digest,
                got=got,
            )
        return size

    def push_blob(self, repository: str, digest: str, size: int, content: bytes | Path) -> bool:
        """Monolithic streaming upload (POST then PUT ?digest=); skipped when the blob exists.

        Returns whether it uploaded.
        """
        if self.blob_exists(repository, digest):
            return False
        scope = self.scope(repository, True)
        resp = self.request(
            "POST", f"/v2/{repository}/blobs/uploads/", scope=scope,
            what=f"blob upload to {repository}", ok=(202,),
        )
        location = resp.headers.get("Location")
        if not location:
            raise RegistryError(f"registry {self.name} started an upload without a Location")
        url = urljoin(self.base_url, location)
        url += ("&" if "?" in url else "?") + f"digest={digest}"
        body: Body = content if isinstance(content, bytes) else _file_body(content)
        self.request(
            "PUT", url, scope=scope, what=f"blob {digest} upload to {repository}",
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            body=body, ok=(201, 204),
        )
        return True

    def _paged(self, path: str, key: str, scope: str, what: str) -> list[str]:
        out: list[str] = []
        url: str | None = path
        params: dict[str, Any] | None = {"n": 1000}
        while url:
            resp = self.request("GET", url, scope=scope, what=what, params=params)
            try:
                out.extend(resp.json().get(key) or [])
            except (ValueError, AttributeError):
                raise RegistryError(f"registry {self.name} sent a malformed {what}") from None
            link = resp.headers.get("Link", "")
            url = link.split(";")[0].strip().strip("<>") if 'rel="next"' in link else None
            params = None
        return out

    def list_tags(self, repository: str, include_signatures: bool = False) -> list[str]:
        """Tags of a repository; cosign ``sha256-*`` tags are left out unless asked for."""
        try:
            tags = self._paged(
                f"/v2/{repository}/tags/list", "tags", self.scope(repository),
                f"tag list of {repository}",
            )
        except PluginNotFoundError:
            return []
        return tags if include_signatures else [t for t in tags if not t.startswith("sha256-")]

    def catalog(self) -> list[str]:
        """Repositories of the registry (``/v2/_catalog``)."""
        return self._paged("/v2/_catalog", "repositories", "registry:catalog:*", "catalog")


"""Search and listing over the local store and a remote registry's catalog.

A remote catalog is ``/v2/_catalog``, then each repository's tags and the manifest annotations of
its highest version; the result is cached in the local store (``.dataflare/catalog/``) for a few
minutes so repeated searches do not walk the registry again.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dataflare_provider.errors import PermanentError
from dataflare_provider.registry.backend import Backend, plugin_manifest_of, version_tags
from dataflare_provider.registry.semver import sort_versions
from dataflare_provider.registry.taxonomy import matches as category_matches

CATALOG_TTL_S = 300.0


@dataclass
class PluginSummary:
    """One plugin (all its versions) as search and list show it."""

    registry: str  # "" = local store
    repository: str
    versions: list[str]
    latest: str | None
    description: str = ""
    kind: str = ""
    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    license: str | None = None
    downloads: int = 0

    @property
    def reference(self) -> str:
        base = f"{self.registry}/{self.repository}" if self.registry else self.repository
        return f"{base}:{self.latest}" if self.latest else base


def summarize(backend: Backend, repositories: list[str] | None = None) -> list[PluginSummary]:
    """Summaries of every plugin repository of ``backend`` (non-plugin repositories skipped)."""
    out = []
    for repo in sorted(repositories if repositories is not None else backend.repositories()):
        versions = sort_versions(version_tags(backend.tags(repo)))
        if not versions:
            continue
        latest = versions[-1]
        try:
            raw, _ = backend.manifest(repo, latest)
            _, m = plugin_manifest_of(raw, f"{repo}:{latest}")
        except PermanentError:
            continue  # not a DataFlare plugin (or unreadable): not listed
        out.append(PluginSummary(
            registry=backend.name, repository=repo, versions=versions, latest=latest,
            description=m.description, kind=m.kind, categories=list(m.categories),
            keywords=list(m.keywords), license=m.license,
        ))
    return out


def cached_remote_summaries(
    backend: Backend, cache_dir: Path, refresh: bool = False, ttl_s: float = CATALOG_TTL_S
) -> list[PluginSummary]:
    """Remote summaries, from the cache when younger than ``ttl_s``."""
    path = cache_dir / (backend.name.replace(":", "_").replace("/", "_") + ".json")
    if not refresh and path.exists():
        try:
            data = json.loads(path.read_text())
            if time.time() - float(data["fetched_at"]) < ttl_s:
                return [PluginSummary(**s) for s in data["plugins"]]
        except (ValueError, KeyError, TypeError):
            pass
    summaries = summarize(backend)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fetched_at": time.time(),
                               "plugins": [asdict(s) for s in summaries]}))
    tmp.replace(path)
    return summaries


def matches(s: PluginSummary, text: str = "", category: str | None = None,
            kind: str | None = None) -> bool:
    """Whether ``s`` matches every word of ``text`` (name, description, keywords, categories),
    is in ``category`` (or below it) and of ``kind``."""
    if kind and s.kind != kind:
        return False
    if category and not any(category_matches(c, category) for c in s.categories):
        return False
    hay = " ".join([s.repository, s.description, *s.keywords, *s.categories]).lower()
    return all(word in hay for word in text.lower().split())


def search(
    summaries: list[PluginSummary], text: str = "", category: str | None = None,
    kind: str | None = None,
) -> list[PluginSummary]:
    """Filter and rank: name hits first, then by downloads."""
    found = [s for s in summaries if matches(s, text, category, kind)]
    words = text.lower().split()
    found.sort(key=lambda s: (-sum(w in s.repository for w in words), -s.downloads, s.repository))
    return found

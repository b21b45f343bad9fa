"""Version resolution: semver ranges against available tags (highest match), then the transitive
``requires`` of the chosen versions, iterated to a fixed point. When the constraints on one plugin
have no version in common, :class:`VersionConflictError` names every constraint and who made it.

This is a greedy resolver (highest version first, no backtracking into older versions of the
requiring plugins): enough for pipelines of a few plugins, and its conflicts are easy to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from dataflare_provider.registry.errors import (
    PluginNotFoundError,
    ResolutionError,
    VersionConflictError,
)
from dataflare_provider.registry.manifest import PluginManifest
from dataflare_provider.registry.reference import PluginReference, parse_reference
from dataflare_provider.registry.semver import VersionRange, sort_versions

MAX_ROUNDS = 100


class VersionSource(Protocol):
    """Where versions and manifests come from (a registry backend)."""

    def versions(self, ref: PluginReference) -> list[str]: ...

    def manifest_at(self, ref: PluginReference, tag: str) -> tuple[str, PluginManifest]: ...

    def manifest_by_digest(self, ref: PluginReference) -> PluginManifest: ...


@dataclass(frozen=True)
class Constraint:
    package: str  # "[registry/]namespace/name"
    range: VersionRange
    origin: str  # "root" or "ns/name@1.2.3"

    def __str__(self) -> str:
        desc = self.range.describe()
        extra = f" ({desc})" if desc != str(self.range) else ""
        return f"{self.origin} requires {self.package} {self.range}{extra}"


@dataclass(frozen=True)
class Resolved:
    """One chosen plugin version."""

    reference: PluginReference  # registry + repository, pinned to the digest
    version: str
    digest: str
    manifest: PluginManifest

    @property
    def key(self) -> str:
        return _key(self.reference)


@dataclass
class Resolution:
    """Chosen versions for every plugin, and which package each root reference resolved to."""

    packages: dict[str, Resolved] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)  # str(root ref) -> package key

    def for_root(self, ref: PluginReference) -> Resolved:
        return self.packages[self.roots[str(ref)]]


def _key(ref: PluginReference) -> str:
    return f"{ref.registry}/{ref.repository}" if ref.registry else ref.repository


def dependency_reference(dep: str, rng: str, parent: PluginReference) -> PluginReference:
    """A ``requires`` entry as a reference; without a registry it inherits the parent's."""
    ref = parse_reference(f"{dep}:{rng}" if rng.strip() not in ("", "*") else dep)
    return ref.with_registry(parent.registry)


class Resolver:
    """Resolve root references and their transitive ``requires`` against a :class:`VersionSource`."""

    def __init__(self, source: VersionSource) -> None:
        self.source = source
        self._versions: dict[str, list[str]] = {}

    def _available(self, ref: PluginReference) -> list[str]:
        key = _key(ref)
        if key not in self._versions:
            self._versions[key] = sort_versions(self.source.versions(ref))
        return self._versions[key]

    def resolve(self, roots: list[PluginReference]) -> Resolution:
        """Choose one version per plugin satisfying every constraint; raises on conflicts."""
        result = Resolution()
        constraints: dict[str, list[Constraint]] = {}
        refs: dict[str, PluginReference] = {}
        pinned: dict[str, Resolved] = {}
        for root in roots:
            key = _key(root)
            result.roots[str(root)] = key
            refs.setdefault(key, root)
            if root.digest:
                manifest = self.source.manifest_by_digest(root)
                pinned[key] = Resolved(root, manifest.version, root.digest, manifest)
                rng = VersionRange.exact(manifest.version)
            else:
                rng = root.version_range()
            constraints.setdefault(key, []).append(Constraint(key, rng, "root"))
        chosen: dict[str, Resolved] = {}
        for _ in range(MAX_ROUNDS):
            changed = False
            for key in list(constraints):
                best = self._choose(key, refs[key], constraints[key], pinned.get(key))
                if key in chosen and chosen[key].version == best.version:
                    continue
                if key in chosen:  # drop what the previously chosen version required
                    origin = f"{key}@{chosen[key].version}"
                    for k in constraints:
                        constraints[k] = [c for c in constraints[k] if c.origin != origin]
                chosen[key] = best
                changed = True
                origin = f"{key}@{best.version}"
                for dep, dep_range in sorted(best.manifest.requires.items()):
                    dref = dependency_reference(dep, dep_range, refs[key])
                    dkey = _key(dref)
                    refs.setdefault(dkey, dref)
                    constraints.setdefault(dkey, []).append(
                        Constraint(dkey, dref.version_range(), origin)
                    )
            # forget plugins nothing requires any more
            for key in [k for k, cs in constraints.items() if not cs]:
                del constraints[key]
                chosen.pop(key, None)
            if not changed:
                result.packages = chosen
                return result
        raise ResolutionError(f"resolution did not settle after {MAX_ROUNDS} rounds")

    def _choose(
        self, key: str, ref: PluginReference, cons: list[Constraint], pin: Resolved | None
    ) -> Resolved:
        available = self._available(ref)
        if pin is not None:
            bad = [c for c in cons if not c.range.contains(pin.version)]
            if bad:
                raise VersionConflictError(
                    f"conflicting requirements for {key}: root pins {pin.digest} "
                    f"(version {pin.version}); " + "; ".join(str(c) for c in bad),
                    plugin=key,
                )
            return pin
        ok = [v for v in available if all(c.range.contains(v) for c in cons)]
        if not ok:
            if not available:
                raise PluginNotFoundError(
                    f"no versions of {key} found (" + "; ".join(str(c) for c in cons) + ")",
                    plugin=key,
                )
            listed = ", ".join(available[-10:])
            if len(cons) == 1:
                raise ResolutionError(
                    f"no version of {key} matches {cons[0].range} ({cons[0]}); "
                    f"available: {listed}",
                    plugin=key,
                )
            raise VersionConflictError(
                f"conflicting requirements for {key}: " + "; ".join(str(c) for c in cons)
                + f" -- no version satisfies all of them (available: {listed})",
                plugin=key,
            )
        version = ok[-1]
        digest, manifest = self.source.manifest_at(ref, version)
        return Resolved(ref.pinned(digest), version, digest, manifest)

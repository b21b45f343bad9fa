"""Semantic versions and npm/cargo-style version ranges over :class:`packaging.version.Version`.

``packaging`` orders versions but has no ``^``/``~`` ranges, so this module parses them:

- exact ``1.2.3``; partial ``1``, ``1.2``, ``1.2.x``, ``1.*``, ``*`` (any) and ``latest`` (any);
- caret ``^1.2.3`` (>=1.2.3 <2.0.0), ``^0.2.3`` (<0.3.0), ``^0.0.3`` (<0.0.4), ``^1.2``, ``^0``;
- tilde ``~1.4.0`` / ``~1.4`` (>=1.4.0 <1.5.0), ``~1`` (<2.0.0);
- comparators ``>=``, ``>``, ``<=``, ``<``, ``=`` with full or partial versions (``>1`` is >=2.0.0,
  ``<=1.2`` is <1.3.0), joined by spaces or commas (AND): ``>=1,<2``, ``>=1.2 <1.5``;
- hyphen ranges ``1.2 - 2.3`` (>=1.2.0 <2.4.0);
- alternatives joined by ``||`` (OR).

Prereleases (``1.3.0-rc.1``) only satisfy a range that names a prerelease of the same
``major.minor.patch`` (npm's rule), so ``^1.2`` never picks up a release candidate by accident.
Prerelease labels must be spelled as ``packaging`` understands them (``alpha``/``a``, ``beta``/``b``,
``rc``, ``dev``, optionally ``.N``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

_EXACT = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?$")
_PARTIAL = re.compile(
    r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?$"
)
_OP = re.compile(r"^(>=|<=|>|<|==|=|\^|~)?(.*)$")
_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")


class SemverError(ValueError):
    """A version or a range does not parse."""


def parse_version(text: str) -> Version:
    """Parse an exact version ``MAJOR.MINOR.PATCH[-PRERELEASE]`` (a leading ``v`` is allowed)."""
    if not _EXACT.match(text.strip()):
        raise SemverError(f"{text!r} is not a version (expected MAJOR.MINOR.PATCH[-PRERELEASE])")
    try:
        return Version(text.strip())
    except InvalidVersion as exc:
        raise SemverError(
            f"{text!r}: prerelease must be alpha/beta/rc/dev with an optional number"
        ) from exc


def is_version(text: str) -> bool:
    """True when ``text`` is an exact version this module accepts."""
    try:
        parse_version(text)
    except SemverError:
        return False
    return True


@dataclass(frozen=True)
class Comparator:
    """One bound: ``op`` is ``>=``, ``>``, ``<=``, ``<`` or ``==``."""

    op: str
    version: Version

    def matches(self, v: Version) -> bool:
        if self.op == ">=":
            return v >= self.version
        if self.op == ">":
            return v > self.version
        if self.op == "<=":
            return v <= self.version
        if self.op == "<":
            return v < self.version
        return v == self.version

    def __str__(self) -> str:
        return f"{self.op}{self.version}"


def _v(major: int, minor: int, patch: int, pre: str | None = None) -> Version:
    text = f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise SemverError(f"{text!r}: unsupported prerelease label") from exc


def _num(part: str | None) -> int | None:
    return None if part is None or part in ("x", "X", "*") else int(part)


def _desugar(token: str) -> list[Comparator]:
    """Turn one range token (``^1.2``, ``>=1``, ``1.x``...) into comparators."""
    m = _OP.match(token)
    assert m is not None
    op, rest = m.group(1) or "", m.group(2)
    pm = _PARTIAL.match(rest)
    if not pm:
        raise SemverError(f"{token!r} is not a version or range term")
    major, minor, patch = _num(pm.group(1)), _num(pm.group(2)), _num(pm.group(3))
    pre = pm.group(4)
    if major is None and (minor is not None or patch is not None):
        raise SemverError(f"{token!r}: wildcard major with a concrete minor or patch")
    if major is None:  # "*" / "x": any version, whatever the operator
        return [] if op in ("", "=", "==", ">=", "<=", "^", "~") else [Comparator("<", _v(0, 0, 0))]
    if minor is None and patch is not None:
        raise SemverError(f"{token!r}: wildcard minor with a concrete patch")
    full = minor is not None and patch is not None
    lo = _v(major, minor or 0, patch or 0, pre)

    def bump_partial() -> Version:  # the first version past the partial: 1 -> 2.0.0, 1.2 -> 1.3.0
        if minor is None:
            return _v(major + 1, 0, 0)
        return _v(major, minor + 1, 0)

    if op in ("", "=", "=="):
        if full:
            return [Comparator("==", lo)]
        return [Comparator(">=", lo), Comparator("<", bump_partial())]
    if op == "^":
        if major > 0 or minor is None:
            hi = _v(major + 1, 0, 0)
        elif minor > 0 or patch is None:
            hi = _v(0, minor + 1, 0)
        else:
            hi = _v(0, 0, patch + 1)
        return [Comparator(">=", lo), Comparator("<", hi)]
    if op == "~":
        return [Comparator(">=", lo), Comparator("<", bump_partial())]
    if op == ">":
        return [Comparator(">", lo)] if full else [Comparator(">=", bump_partial())]
    if op == ">=":
        return [Comparator(">=", lo)]
    if op == "<":
        return [Comparator("<", lo)]
    # "<="
    return [Comparator("<=", lo)] if full else [Comparator("<", bump_partial())]


def _parse_set(text: str) -> tuple[Comparator, ...]:
    text = text.strip()
    if text in ("", "*", "latest"):
        return ()
    h = _HYPHEN.match(text)
    if h:
        lo = _desugar(">=" + h.group(1))
        hi = _desugar("<=" + h.group(2))
        return tuple(lo + hi)
    text = re.sub(r"(>=|<=|==|>|<|=|\^|~)\s+", r"\1", text)
    out: list[Comparator] = []
    for token in re.split(r"[\s,]+", text):
        if token:
            out.extend(_desugar(token))
    return tuple(out)


def _set_matches(v: Version, comparators: tuple[Comparator, ...]) -> bool:
    if not all(c.matches(v) for c in comparators):
        return False
    if v.is_prerelease or v.is_devrelease:
        return any(
            (c.version.is_prerelease or c.version.is_devrelease)
            and c.version.release[:3] == v.release[:3]
            for c in comparators
        )
    return True


@dataclass(frozen=True)
class VersionRange:
    """A parsed range: OR of AND-ed comparators. ``str()`` gives the text it was parsed from."""

    text: str
    alternatives: tuple[tuple[Comparator, ...], ...]

    @classmethod
    def parse(cls, text: str) -> VersionRange:
        """Parse a range; raises :class:`SemverError` naming the bad term."""
        parts = text.split("||") if "||" in text else [text]
        try:
            alts = tuple(_parse_set(p) for p in parts)
        except SemverError as exc:
            raise SemverError(f"invalid version range {text!r}: {exc}") from None
        return cls(text.strip() or "*", alts)

    @classmethod
    def exact(cls, version: str) -> VersionRange:
        """The range matching exactly ``version``."""
        return cls(f"={version}", ((Comparator("==", parse_version(version)),),))

    def contains(self, version: str | Version) -> bool:
        """Whether ``version`` satisfies this range (prerelease rule included)."""
        v = version if isinstance(version, Version) else parse_version(version)
        return any(_set_matches(v, alt) for alt in self.alternatives)

    def filter(self, versions: Iterable[str]) -> list[str]:
        """The versions (strings, non-versions skipped) that satisfy this range, highest first."""
        ok: list[tuple[Version, str]] = []
        for text in versions:
            try:
                v = parse_version(text)
            except SemverError:
                continue
            if self.contains(v):
                ok.append((v, text))
        ok.sort(key=lambda p: p[0], reverse=True)
        return [t for _, t in ok]

    def max_satisfying(self, versions: Iterable[str]) -> str | None:
        """The highest version satisfying this range, or None."""
        found = self.filter(versions)
        return found[0] if found else None

    def describe(self) -> str:
        """The range in plain comparators, e.g. ``>=1.2.0,<2.0.0``."""
        return " || ".join(",".join(str(c) for c in alt) or "*" for alt in self.alternatives)

    def __str__(self) -> str:
        return self.text


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Valid versions among ``versions``, lowest first (non-versions dropped)."""
    pairs = []
    for text in versions:
        try:
            pairs.append((parse_version(text), text))
        except SemverError:
            continue
    pairs.sort(key=lambda p: p[0])
    return [t for _, t in pairs]

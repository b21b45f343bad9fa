"""The npm/cargo-style range parser over packaging.version.Version."""

from __future__ import annotations

import pytest

from dataflare_provider.registry.semver import (
    SemverError,
    VersionRange,
    is_version,
    parse_version,
    sort_versions,
)

CASES = [
    # range, matching, not matching
    ("^1.2.3", ["1.2.3", "1.9.0", "1.99.99"], ["1.2.2", "2.0.0", "0.9.0", "2.0.0-rc.1"]),
    ("^1.2", ["1.2.0", "1.5.1"], ["1.1.9", "2.0.0"]),
    ("^1", ["1.0.0", "1.9.9"], ["0.9.9", "2.0.0"]),
    ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0", "0.2.2", "1.0.0"]),
    ("^0.0.3", ["0.0.3"], ["0.0.4", "0.0.2"]),
    ("^0.0", ["0.0.0", "0.0.9"], ["0.1.0"]),
    ("^0", ["0.0.1", "0.9.9"], ["1.0.0"]),
    ("~1.4.0", ["1.4.0", "1.4.7"], ["1.5.0", "1.3.9"]),
    ("~1.4", ["1.4.0", "1.4.7"], ["1.5.0"]),
    ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
    (">=1,<2", ["1.0.0", "1.9.9"], ["0.9.9", "2.0.0"]),
    (">=1 <2", ["1.5.0"], ["2.0.0"]),
    (">= 1.2, < 1.5", ["1.2.0", "1.4.9"], ["1.5.0", "1.1.0"]),
    (">1", ["2.0.0"], ["1.9.9"]),
    (">1.2.3", ["1.2.4"], ["1.2.3"]),
    ("<=1.2", ["1.2.9", "0.1.0"], ["1.3.0"]),
    ("<=1.2.3", ["1.2.3"], ["1.2.4"]),
    ("<1.2", ["1.1.9"], ["1.2.0"]),
    ("1.2.3", ["1.2.3"], ["1.2.4"]),
    ("=1.2.3", ["1.2.3"], ["1.2.4"]),
    ("1.2", ["1.2.0", "1.2.8"], ["1.3.0"]),
    ("1.x", ["1.0.0", "1.8.0"], ["2.0.0"]),
    ("1.2.*", ["1.2.5"], ["1.3.0"]),
    ("*", ["0.0.1", "9.9.9"], ["1.0.0-rc.1"]),
    ("", ["1.0.0"], []),
    ("latest", ["3.0.0"], ["3.1.0-beta.1"]),
    ("1.2 - 2.3", ["1.2.0", "2.3.9"], ["2.4.0", "1.1.9"]),
    ("1.2.3 - 2.3.4", ["2.3.4"], ["2.3.5"]),
    ("^1.2 || ^3", ["1.3.0", "3.1.0"], ["2.0.0"]),
    (">=1.0.0-rc.1", ["1.0.0-rc.1", "1.0.0-rc.2", "1.0.0", "2.0.0"], ["1.0.0-beta.1", "1.1.0-rc.1"]),
    ("^1.2.0-beta.2", ["1.2.0-beta.2", "1.2.0-rc.1", "1.2.0", "1.3.0"], ["1.2.0-beta.1", "1.3.0-rc.1"]),
]


@pytest.mark.parametrize(("text", "yes", "no"), CASES)
def test_ranges(text: str, yes: list[str], no: list[str]) -> None:
    rng = VersionRange.parse(text)
    for v in yes:
        assert rng.contains(v), f"{text} should match {v} ({rng.describe()})"
    for v in no:
        assert not rng.contains(v), f"{text} should not match {v} ({rng.describe()})"


def test_max_satisfying_and_sorting() -> None:
    tags = ["1.0.0", "1.10.0", "1.9.0", "2.0.0-rc.1", "sha256-abc.sig", "latest", "1.2.3"]
    assert VersionRange.parse("^1").max_satisfying(tags) == "1.10.0"
    assert VersionRange.parse("~1.2").max_satisfying(tags) == "1.2.3"
    assert VersionRange.parse("^5").max_satisfying(tags) is None
    assert sort_versions(tags) == ["1.0.0", "1.2.3", "1.9.0", "1.10.0", "2.0.0-rc.1"]


def test_describe() -> None:
    assert VersionRange.parse("^1.2").describe() == ">=1.2.0,<2.0.0"
    assert VersionRange.parse("~0.4").describe() == ">=0.4.0,<0.5.0"
    assert str(VersionRange.parse(">=1,<2")) == ">=1,<2"


@pytest.mark.parametrize("bad", ["^", ">=x.1.2", "1.2.3.4", "banana", "^1.2 ||| 3", "~>1.2",
                                 "1.*.3"])
def test_bad_ranges(bad: str) -> None:
    with pytest.raises(SemverError) as err:
        VersionRange.parse(bad)
    assert repr(bad.strip()) in str(err.value) or bad.strip() in str(err.value)


def test_versions() -> None:
    assert is_version("1.2.3") and is_version("1.2.3-rc.1") and is_version("v1.0.0")
    assert not is_version("1.2") and not is_version("latest") and not is_version("1.2.3+build")
    assert parse_version("1.0.0-rc.1") < parse_version("1.0.0")
    with pytest.raises(SemverError, match="prerelease"):
        parse_version("1.0.0-foo.bar")

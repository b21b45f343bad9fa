"""Where data lives: an fsspec filesystem and a path on it.

Accepts local paths, fsspec URIs (``s3://bucket/key``, ``memory://x``) and path objects that carry
their own filesystem (Airflow's ``ObjectStoragePath``, universal-pathlib's ``UPath``).
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import Any

import fsspec
from fsspec.core import url_to_fs


@dataclass(frozen=True)
class Location:
    """A path on a filesystem."""

    fs: fsspec.AbstractFileSystem
    path: str

    @property
    def uri(self) -> str:
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        return (
            self.path if protocol in ("file", "local") else f"{protocol}://{self.path.lstrip('/')}"
        )

    @property
    def name(self) -> str:
        return posixpath.basename(self.path.rstrip("/"))

    @property
    def parent(self) -> Location:
        return Location(self.fs, posixpath.dirname(self.path.rstrip("/")))

    def child(self, name: str) -> Location:
        return Location(self.fs, posixpath.join(self.path.rstrip("/"), name))

    def sibling(self, name: str) -> Location:
        return self.parent.child(name)

    @property
    def is_local(self) -> bool:
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        return protocol in ("file", "local")

    def __str__(self) -> str:
        return self.uri


def resolve_location(target: Any, storage_options: dict[str, Any] | None = None) -> Location:
    """A :class:`Location` for a string, ``os.PathLike`` or filesystem-carrying path object."""
    if isinstance(target, Location):
        return target
    fs = getattr(target, "fs", None)
    path = getattr(target, "path", None)
    if isinstance(fs, fsspec.AbstractFileSystem) and isinstance(path, str):
        return Location(fs, path)
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if not isinstance(target, str):
        raise TypeError(f"expected a path or URI, got {type(target).__name__}")
    keep_slash = target.endswith("/")
    fs, path = url_to_fs(target, **(storage_options or {}))
    if keep_slash and not path.endswith("/"):
        path += "/"
    return Location(fs, path)
